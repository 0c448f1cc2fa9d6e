"""Rasa's built-in actions, the two-stage fallback loop and the action registry."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.actions.action import Action, ActionContext
from bot.core.actions.action_executor import ActionNotFound
from bot.core.actions.default_actions import ActionSessionStart, HandoverPlaceholderAction
from bot.core.actions.registry import (
    _DEFAULTS,
    _PLUGGED_IN,
    action_for_name,
    is_rejection,
    register_default_action,
)
from bot.core.actions.remote_action import RemoteAction
from bot.core.actions.two_stage_fallback import TwoStageFallbackAction
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)


def make_domain(responses: dict[str, Any] | None = None, carry_over: bool = True,
                actions: list[str] | None = None) -> Domain:
    return Domain.from_dict({
        "intents": ["greet", "affirm", "ask_weather"],
        "slots": {"name": {"type": "text", "mappings": [{"type": "custom"}]}},
        "forms": {"some_form": {"required_slots": ["name"]}},
        "responses": responses or {},
        "actions": actions or [],
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": carry_over},
    })


def user(intent: str, text: str | None = None, ranking: list[str] | None = None) -> UserUttered:
    parse: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.3}}
    if ranking:
        parse["intent_ranking"] = [{"name": name, "confidence": 0.3} for name in ranking]
    return UserUttered(text or intent, parse)


def new_tracker(domain: Domain, events: list[Event] = ()) -> DialogueStateTracker:
    tracker = DialogueStateTracker("tester", domain.slots)
    tracker.update_with_events([ActionExecuted("action_listen"), *events])
    return tracker


async def run(name: str, tracker: DialogueStateTracker, domain: Domain, **kwargs: Any) -> list[Event]:
    action = action_for_name(name, domain, **kwargs)
    events = await action.run(tracker, ActionContext(domain))
    if not is_rejection(name, events):
        tracker.update(ActionExecuted(name))
    tracker.update_with_events(events)
    return events


def names(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


async def test_listen_unlikely_intent_and_deactivate_loop() -> None:
    domain = make_domain()
    tracker = new_tracker(domain, [ActiveLoop("some_form"), SlotSet("requested_slot", "name")])
    assert await run("action_listen", tracker, domain) == []
    assert await run("action_unlikely_intent", tracker, domain) == []
    events = await run("action_deactivate_loop", tracker, domain)
    assert names(events) == ["ActiveLoop", "SlotSet"]
    assert tracker.active_loop_name is None and tracker.requested_slot is None


async def test_restart_with_and_without_its_response() -> None:
    domain = make_domain({"utter_restart": [{"text": "Starting over."}]})
    tracker = new_tracker(domain, [user("greet"), SlotSet("name", "Ada")])
    events = await run("action_restart", tracker, domain)
    assert names(events) == ["BotUttered", "Restarted"] and events[0].text == "Starting over."
    assert tracker.get_slot("name") is None
    assert names(await run("action_restart", new_tracker(make_domain()), make_domain())) == ["Restarted"]


@pytest.mark.parametrize("carry_over", [True, False])
async def test_session_start_carries_slots_over_and_stores_metadata(carry_over: bool) -> None:
    domain = make_domain(carry_over=carry_over)
    tracker = new_tracker(domain, [user("greet"), SlotSet("name", "Ada")])
    events = await run("action_session_start", tracker, domain, metadata={"country": "DE"})
    assert isinstance(events[0], SessionStarted)
    assert isinstance(events[-1], ActionExecuted) and events[-1].action_name == "action_listen"
    slots = [(e.key, e.value) for e in events if isinstance(e, SlotSet)]
    expected = [("name", "Ada")] if carry_over else []
    assert slots == [*expected, ("session_started_metadata", {"country": "DE"})]
    assert tracker.get_slot("name") == ("Ada" if carry_over else None)
    assert tracker.get_slot("session_started_metadata") == {"country": "DE"}
    assert isinstance(action_for_name("action_session_start", domain), ActionSessionStart)


async def test_default_fallback_and_back_revert_user_turns() -> None:
    domain = make_domain({"utter_default": [{"text": "Sorry?"}], "utter_back": [{"text": "Going back."}]})
    tracker = new_tracker(domain, [user("greet"), ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
                                   user("ask_weather")])
    events = await run("action_default_fallback", tracker, domain)
    assert names(events) == ["BotUttered", "UserUtteranceReverted"] and events[0].text == "Sorry?"
    assert tracker.latest_message.intent_name == "greet"  # the misunderstood message is gone

    tracker.update_with_events([ActionExecuted("action_listen"), user("back")])
    events = await run("action_back", tracker, domain)
    assert names(events) == ["BotUttered", "UserUtteranceReverted", "UserUtteranceReverted"]
    assert tracker.latest_message.text is None  # "back" and "greet" both reverted
    assert names(await run("action_back", new_tracker(make_domain()), make_domain())) == [
        "UserUtteranceReverted", "UserUtteranceReverted"]


async def test_ask_affirmation_asks_about_the_runner_up_of_nlu_fallback() -> None:
    domain = make_domain()
    tracker = new_tracker(domain, [user("nlu_fallback", "wetter?", ranking=["nlu_fallback", "ask_weather"])])
    [event] = await run("action_default_ask_affirmation", tracker, domain)
    assert event.text == "Did you mean 'ask_weather'?"
    assert event.data["buttons"] == [{"title": "Yes", "payload": "/ask_weather"},
                                     {"title": "No", "payload": "/out_of_scope"}]
    assert event.metadata["utter_action"] == "action_default_ask_affirmation"


async def test_ask_rephrase_send_text_and_handover_placeholder() -> None:
    domain = make_domain({"utter_ask_rephrase": [{"text": "Please rephrase."}],
                          "utter_handover": [{"text": "A colleague will take over."}]})
    tracker = new_tracker(domain, [user("greet")])
    [event] = await run("action_default_ask_rephrase", tracker, domain)
    assert event.text == "Please rephrase."
    [event] = await run("action_send_text", tracker, domain, metadata={"message": {"text": "Hi there"}})
    assert event.text == "Hi there"
    assert isinstance(action_for_name("action_handover", domain), HandoverPlaceholderAction)
    [event] = await run("action_handover", tracker, domain)
    assert event.text == "A colleague will take over."
    assert await run("action_handover", new_tracker(make_domain()), make_domain()) == []


def two_stage_domain() -> Domain:
    return make_domain({"utter_ask_rephrase": [{"text": "Please rephrase."}],
                        "utter_default": [{"text": "I give up."}]})


async def test_two_stage_fallback_affirmed_intent_replaces_the_fallback_turns() -> None:
    domain = two_stage_domain()
    tracker = new_tracker(domain, [user("nlu_fallback", "wetter?", ranking=["nlu_fallback", "ask_weather"])])
    events = await run("action_two_stage_fallback", tracker, domain)
    assert names(events) == ["ActiveLoop", "BotUttered"]
    assert events[1].text == "Did you mean 'ask_weather'?"
    assert tracker.active_loop_name == "action_two_stage_fallback"

    tracker.update_with_events([ActionExecuted("action_listen"), user("ask_weather", "/ask_weather")])
    events = await run("action_two_stage_fallback", tracker, domain)
    assert names(events) == ["ActiveLoop", "UserUtteranceReverted", "ActiveLoop", "ActionExecuted", "UserUttered"]
    assert tracker.active_loop_name is None
    assert tracker.latest_message.intent == {"name": "ask_weather", "confidence": 1.0}
    user_turns = [e.text for e in tracker.applied_events() if isinstance(e, UserUttered)]
    assert user_turns[-1] == "/ask_weather" and "/out_of_scope" not in user_turns


async def test_two_stage_fallback_denied_then_rephrased_badly_gives_up() -> None:
    domain = two_stage_domain()
    tracker = new_tracker(domain, [user("nlu_fallback", "wetter?", ranking=["nlu_fallback", "ask_weather"])])
    await run("action_two_stage_fallback", tracker, domain)
    tracker.update_with_events([ActionExecuted("action_listen"), user("out_of_scope", "/out_of_scope")])
    events = await run("action_two_stage_fallback", tracker, domain)
    assert [e.text for e in events if isinstance(e, BotUttered)] == ["Please rephrase."]
    assert tracker.active_loop_name == "action_two_stage_fallback"

    tracker.update_with_events([ActionExecuted("action_listen"), user("nlu_fallback", "blub")])
    events = await run("action_two_stage_fallback", tracker, domain)
    # asks to affirm again; the second "no" then ends in the default fallback
    assert events[0].text.startswith("Did you mean")
    tracker.update_with_events([ActionExecuted("action_listen"), user("out_of_scope", "/out_of_scope")])
    events = await run("action_two_stage_fallback", tracker, domain)
    assert names(events) == ["ActiveLoop", "BotUttered", "UserUtteranceReverted", "ActiveLoop"]
    assert events[1].text == "I give up."
    assert tracker.active_loop_name is None


async def test_two_fallbacks_in_a_row_give_up_at_once() -> None:
    domain = two_stage_domain()
    tracker = new_tracker(domain, [user("nlu_fallback", "a"), ActionExecuted("action_listen"),
                                   user("nlu_fallback", "b")])
    events = await run("action_two_stage_fallback", tracker, domain)
    assert names(events) == ["ActiveLoop", "ActiveLoop", "BotUttered", "UserUtteranceReverted", "ActiveLoop"]
    assert tracker.active_loop_name is None


async def test_revert_fallback_events_after_an_affirmation() -> None:
    domain = make_domain()
    tracker = new_tracker(domain, [user("nlu_fallback", "wetter?"), ActionExecuted("action_default_ask_affirmation"),
                                   ActionExecuted("action_listen"), user("ask_weather", "/ask_weather")])
    events = await run("action_revert_fallback_events", tracker, domain)
    assert names(events) == ["UserUtteranceReverted", "UserUtteranceReverted", "ActionExecuted", "UserUttered"]
    assert events[-1].intent["confidence"] == 1.0
    assert [e.text for e in tracker.applied_events() if isinstance(e, UserUttered)] == ["/ask_weather"]
    assert await run("action_revert_fallback_events", new_tracker(domain, [user("greet")]), domain) == []


def test_registry_resolves_names_like_rasa() -> None:
    domain = make_domain({"utter_greet": [{"text": "hi"}]}, actions=["action_restart", "action_check"])
    assert isinstance(action_for_name("action_two_stage_fallback", domain), TwoStageFallbackAction)
    assert isinstance(action_for_name("action_restart", domain), RemoteAction)  # the project's own wins
    assert isinstance(action_for_name("action_check", domain), RemoteAction)
    with pytest.raises(ActionNotFound) as raised:
        action_for_name("action_chek", domain)
    assert "action_check" in str(raised.value) and "domain.yml" in str(raised.value)


def test_a_plugged_in_action_replaces_the_placeholder_even_when_listed() -> None:
    class Escalate(Action):
        async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
            return [Restarted()]

    domain = make_domain(actions=["action_handover"])
    assert isinstance(action_for_name("action_handover", domain), RemoteAction)
    previous = _DEFAULTS["action_handover"]
    try:
        register_default_action("action_handover", lambda metadata: Escalate("action_handover"))
        assert isinstance(action_for_name("action_handover", domain), Escalate)
    finally:
        _DEFAULTS["action_handover"] = previous
        _PLUGGED_IN.discard("action_handover")
    assert isinstance(action_for_name("action_handover", make_domain()), HandoverPlaceholderAction)
