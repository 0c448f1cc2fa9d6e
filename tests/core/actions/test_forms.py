"""Forms (Rasa 3.x loops) driven turn by turn, validated by a real rasa_sdk FormValidationAction in-process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.core.actions.action import ActionContext
from bot.core.actions.action_executor import NoCustomActions
from bot.core.actions.forms import FormAction
from bot.core.actions.in_process import InProcessActionExecutor
from bot.core.actions.registry import action_for_name, is_rejection
from bot.core.actions.remote_action import RemoteAction
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)

PROJECT = Path(__file__).resolve().parent / "data" / "form_project"

DOMAIN: dict[str, Any] = {
    "intents": ["greet", "contact", "inform", "chitchat"],
    "entities": ["city"],
    "slots": {
        "city": {"type": "text", "mappings": [{"type": "from_entity", "entity": "city"}]},
        "note": {"type": "text", "mappings": [{
            "type": "from_text", "not_intent": ["chitchat"],
            "conditions": [{"active_loop": "contact_form", "requested_slot": "note"}]}]},
        "callback_time": {"type": "text", "mappings": [{
            "type": "from_text", "conditions": [{"active_loop": "contact_form", "requested_slot": "callback_time"}]}]},
    },
    "forms": {"contact_form": {"required_slots": ["city", "note"]}},
    "responses": {
        "utter_ask_city": [{"text": "Which city?"}],
        "utter_ask_contact_form_note": [{"text": "Anything we should know, {city}?"}],
        "utter_ask_note": [{"text": "generic note question"}],
        "utter_unknown_city": [{"text": "Sorry, we are not in {city}."}],
        "utter_chitchat": [{"text": "I'm fine, thanks."}],
    },
    "actions": ["validate_contact_form", "action_ask_callback_time"],
}


@pytest.fixture(scope="module")
def executor() -> InProcessActionExecutor:
    executor = InProcessActionExecutor("form_actions", PROJECT)
    assert executor.found, executor.where
    return executor


def user(text: str, intent: str, **entities: str) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.95},
             "entities": [{"entity": k, "value": v, "start": 0, "end": len(v)} for k, v in entities.items()]}
    return UserUttered(text, parse)


class Conversation:
    """Plays the processor's part: log the message, extract slots, run the predicted actions."""

    def __init__(self, domain: Domain, executor: Any) -> None:
        self.domain = domain
        self.context = ActionContext(domain, executor, "rest")
        self.tracker = DialogueStateTracker("tester", domain.slots)
        self.tracker.update(ActionExecuted("action_listen"))

    async def say(self, message: UserUttered) -> list[Event]:
        self.tracker.update(message)
        events = await action_for_name("action_extract_slots", self.domain).run(self.tracker, self.context)
        self.tracker.update_with_events(events)
        return events

    async def run(self, name: str) -> list[Event]:
        events = await action_for_name(name, self.domain).run(self.tracker, self.context)
        if is_rejection(name, events):
            self.tracker.update_with_events(events)
        else:
            self.tracker.update(ActionExecuted(name))
            self.tracker.update_with_events(events)
        return events

    def listen(self) -> None:
        self.tracker.update(ActionExecuted("action_listen"))


def texts(events: list[Event]) -> list[str | None]:
    return [e.text for e in events if isinstance(e, BotUttered)]


def slot_sets(events: list[Event]) -> list[tuple[str, Any]]:
    return [(e.key, e.value) for e in events if isinstance(e, SlotSet)]


async def test_form_fills_two_slots_over_turns_with_validation(executor) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), executor)
    assert await chat.say(user("please contact me", "contact")) == []
    events = await chat.run("contact_form")
    assert isinstance(events[0], ActiveLoop) and events[0].name == "contact_form"
    assert slot_sets(events) == [("requested_slot", "city")]
    assert texts(events) == ["Which city?"]
    assert chat.tracker.active_loop_name == "contact_form"
    chat.listen()

    extracted = await chat.say(user("in berlin", "inform", city="berlin"))
    assert slot_sets(extracted) == [("city", "berlin")]
    events = await chat.run("contact_form")
    # the validator's normalised value, then the next question (the form-specific response wins)
    assert slot_sets(events) == [("city", "Berlin"), ("requested_slot", "note")]
    assert texts(events) == ["Anything we should know, Berlin?"]
    chat.listen()

    await chat.say(user("  ring twice  ", "inform"))
    events = await chat.run("contact_form")
    assert slot_sets(events) == [("note", "ring twice"), ("requested_slot", None)]
    assert isinstance(events[-1], ActiveLoop) and events[-1].name is None
    assert chat.tracker.active_loop_name is None
    assert chat.tracker.get_slot("city") == "Berlin"
    assert chat.tracker.get_slot("note") == "ring twice"


async def test_unrelated_message_rejects_the_form_and_the_form_resumes_after_the_digression(executor) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), executor)
    await chat.say(user("contact me in hamburg", "contact", city="hamburg"))
    events = await chat.run("contact_form")
    # the pre-filled slot was validated at activation, so the form goes straight to the note
    assert slot_sets(events) == [("city", "Hamburg"), ("requested_slot", "note")]
    chat.listen()

    assert await chat.say(user("how are you?", "chitchat")) == []  # not_intent: chitchat
    events = await chat.run("contact_form")
    assert len(events) == 1 and isinstance(events[0], ActionExecutionRejected)
    assert events[0].action_name == "contact_form"
    assert chat.tracker.is_active_loop_rejected

    await chat.run("utter_chitchat")
    events = await chat.run("contact_form")  # back to the form: no new input to validate, ask again
    assert slot_sets(events) == [("requested_slot", "note")]
    assert texts(events) == ["Anything we should know, Hamburg?"]
    assert not chat.tracker.is_active_loop_rejected
    chat.listen()

    await chat.say(user("call after six", "inform"))
    events = await chat.run("contact_form")
    assert ("note", "call after six") in slot_sets(events)
    assert chat.tracker.active_loop_name is None


async def test_invalid_value_is_cleared_and_asked_again(executor) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), executor)
    await chat.say(user("contact", "contact"))
    await chat.run("contact_form")
    chat.listen()
    await chat.say(user("paris", "inform", city="paris"))
    events = await chat.run("contact_form")
    assert texts(events) == ["Sorry, we are not in paris.", "Which city?"]
    assert slot_sets(events) == [("city", None), ("requested_slot", "city")]
    assert chat.tracker.get_slot("city") is None
    assert chat.tracker.active_loop_name == "contact_form"


async def test_validator_can_add_a_slot_and_ask_it_with_a_custom_action(executor) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), executor)
    await chat.say(user("contact me in munich", "contact", city="munich"))
    await chat.run("contact_form")
    chat.listen()
    await chat.say(user("call", "inform"))
    events = await chat.run("contact_form")
    assert slot_sets(events) == [("note", "call"), ("requested_slot", "callback_time")]
    assert texts(events) == ["When should we call you in Munich?"]
    chat.listen()

    extracted = await chat.say(user("after 5pm", "inform"))
    assert slot_sets(extracted) == [("callback_time", "after 5pm")]
    events = await chat.run("contact_form")
    assert ("callback_time", "after 5pm") in slot_sets(events)
    assert slot_sets(events)[-1] == ("requested_slot", None)
    assert chat.tracker.active_loop_name is None


async def test_validator_rejection_rejects_the_form(executor) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), executor)
    await chat.say(user("contact me in munich", "contact", city="munich"))
    await chat.run("contact_form")
    chat.listen()
    await chat.say(user("stop everything", "inform"))
    events = await chat.run("contact_form")
    assert [type(e) for e in events] == [ActionExecutionRejected]


async def test_form_without_validation_action_and_without_custom_actions_at_all() -> None:
    domain_dict = {**DOMAIN, "actions": []}
    chat = Conversation(Domain.from_dict(domain_dict), NoCustomActions("this test"))
    await chat.say(user("contact me in Rome", "contact", city="Rome"))
    events = await chat.run("contact_form")
    assert slot_sets(events) == [("city", "Rome"), ("requested_slot", "note")]
    assert texts(events) == ["Anything we should know, Rome?"]


async def test_listed_but_missing_validator_is_skipped_with_a_warning(caplog) -> None:
    chat = Conversation(Domain.from_dict(DOMAIN), NoCustomActions("this test"))
    await chat.say(user("contact", "contact"))
    await chat.run("contact_form")
    chat.listen()
    await chat.say(user("rome", "inform", city="rome"))
    with caplog.at_level(logging.WARNING):
        events = await chat.run("contact_form")
    assert slot_sets(events) == [("city", "rome"), ("requested_slot", "note")]
    assert "validate_contact_form" in caplog.text and "without validation" in caplog.text


async def test_crashing_validator_answers_the_failure_response_and_asks_again(executor, caplog) -> None:
    domain = Domain.from_dict({
        "intents": ["inform"], "entities": ["city"],
        "slots": {"city": {"type": "text", "mappings": [{"type": "from_entity", "entity": "city"}]}},
        "forms": {"crash_form": {"required_slots": ["city"]}},
        "responses": {"utter_ask_city": [{"text": "Which city?"}],
                      "utter_action_failed": [{"text": "Oops, please try again."}]},
        "actions": ["validate_crash_form"],
    })
    chat = Conversation(domain, executor)
    await chat.say(user("hello", "inform"))
    await chat.run("crash_form")
    chat.listen()
    await chat.say(user("berlin", "inform", city="berlin"))
    with caplog.at_level(logging.ERROR):
        events = await chat.run("crash_form")
    assert texts(events) == ["Oops, please try again.", "Which city?"]
    assert slot_sets(events) == [("city", None), ("requested_slot", "city")]
    assert "validate_crash_form" in caplog.text


async def test_form_without_any_ask_response_still_sets_requested_slot() -> None:
    domain = Domain.from_dict({
        "intents": ["inform"],
        "slots": {"name": {"type": "text", "mappings": [
            {"type": "from_text", "conditions": [{"active_loop": "name_form", "requested_slot": "name"}]}]}},
        "forms": {"name_form": {"required_slots": ["name"]}},
    })
    chat = Conversation(domain, None)
    await chat.say(user("hi", "inform"))
    events = await chat.run("name_form")
    assert slot_sets(events) == [("requested_slot", "name")]
    assert texts(events) == []
    chat.listen()
    await chat.say(user("Ada", "inform"))
    events = await chat.run("name_form")
    assert slot_sets(events) == [("name", "Ada"), ("requested_slot", None)]


async def test_form_whose_slots_are_all_prefilled_completes_at_once() -> None:
    domain = Domain.from_dict({**DOMAIN, "actions": []})
    chat = Conversation(domain, None)
    chat.tracker.update_with_events([SlotSet("city", "Bonn"), SlotSet("note", "none")])
    await chat.say(user("contact", "contact"))
    events = await chat.run("contact_form")
    assert [type(e).__name__ for e in events] == ["ActiveLoop", "SlotSet", "SlotSet", "SlotSet", "ActiveLoop"]
    assert slot_sets(events)[-1] == ("requested_slot", None)
    assert chat.tracker.active_loop_name is None


def test_ask_action_search_order_and_registry_choice() -> None:
    domain = Domain.from_dict(DOMAIN)
    form = action_for_name("contact_form", domain)
    assert isinstance(form, FormAction)
    assert form.ask_action_name("note", domain) == "utter_ask_contact_form_note"
    assert form.ask_action_name("callback_time", domain) == "action_ask_callback_time"
    assert form.ask_action_name("city", domain) == "utter_ask_city"
    assert form.ask_action_name("nothing", domain) is None
    # a custom action with the form's name replaces the built-in form logic
    overridden = Domain.from_dict({**DOMAIN, "actions": ["contact_form"]})
    assert isinstance(action_for_name("contact_form", overridden), RemoteAction)
