"""Response actions (utter_*, retrieval, end-to-end) and the messages custom actions send."""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import pytest

from bot.core.actions.action import ActionContext
from bot.core.actions.action_executor import NoCustomActions
from bot.core.actions.in_process import InProcessActionExecutor
from bot.core.actions.registry import action_for_name
from bot.core.actions.remote_action import DEFAULT_FAILURE_TEXT, RemoteAction
from bot.core.actions.response_actions import EndToEndResponseAction, ResponseAction, RetrievalResponseAction
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecutionRejected, BotUttered, SlotSet, UserUttered

PROJECT = Path(__file__).resolve().parent / "data" / "form_project"

DOMAIN: dict[str, Any] = {
    "intents": ["greet", "faq"],
    "slots": {"member": {"type": "bool", "mappings": [{"type": "custom"}]}, "mood": {"type": "text", "mappings": [{"type": "custom"}]}},
    "responses": {
        "utter_greet": [{"text": "Hello again!", "condition": [{"type": "slot", "name": "member", "value": True}]},
                        {"text": "Hello, stranger."}],
        "utter_hello": [{"text": "Hi {nickname}, you seem {mood}.", "buttons": [{"title": "Bye", "payload": "/bye"}]}],
        "utter_faq/ask_hours": [
            {"text": "Members shop 8 to 22.", "condition": [{"type": "slot", "name": "member", "value": True}]},
            {"text": "We are open 9 to 18."}],
    },
    "actions": ["action_greet_back", "action_refuse_politely", "action_lookup_crm", "action_missing"],
    "e2e_actions": ["Have a nice day!"],
}


@pytest.fixture(scope="module")
def executor() -> InProcessActionExecutor:
    return InProcessActionExecutor("form_actions", PROJECT)


def tracker_with(domain: Domain, parse: dict[str, Any] | None = None, **slots: Any) -> DialogueStateTracker:
    tracker = DialogueStateTracker("tester", domain.slots)
    tracker.update_with_events([SlotSet(k, v) for k, v in slots.items()])
    tracker.update(UserUttered("what are your hours", parse or {"intent": {"name": "faq", "confidence": 1.0}}))
    return tracker


def context(domain: Domain, executor: Any = None) -> ActionContext:
    return ActionContext(domain, executor, "rest", random.Random(3))


async def test_utter_action_uses_conditional_variations() -> None:
    domain = Domain.from_dict(DOMAIN)
    action = action_for_name("utter_greet", domain)
    assert isinstance(action, ResponseAction)
    [event] = await action.run(tracker_with(domain, member=True), context(domain))
    assert event.text == "Hello again!" and event.metadata["utter_action"] == "utter_greet"
    [event] = await action.run(tracker_with(domain), context(domain))
    assert event.text == "Hello, stranger."


async def test_missing_response_logs_and_says_nothing(caplog) -> None:
    domain = Domain.from_dict(DOMAIN)
    with caplog.at_level(logging.ERROR):
        assert await ResponseAction("utter_nothing").run(tracker_with(domain), context(domain)) == []
    assert "utter_nothing" in caplog.text


def selector(intent_response_key: str, key: str = "faq") -> dict[str, Any]:
    return {"intent": {"name": "faq", "confidence": 0.9}, "entities": [],
            "response_selector": {"all_retrieval_intents": ["faq"], key: {
                "response": {"intent_response_key": intent_response_key, "confidence": 0.8,
                             "utter_action": f"utter_{intent_response_key}",
                             "responses": [{"text": "From the selector."}]},
                "ranking": []}}}


async def test_retrieval_action_renders_the_selected_domain_response() -> None:
    domain = Domain.from_dict(DOMAIN)
    action = action_for_name("utter_faq", domain)
    assert isinstance(action, RetrievalResponseAction)
    [event] = await action.run(tracker_with(domain, selector("faq/ask_hours")), context(domain))
    assert event.text == "We are open 9 to 18."
    assert event.metadata["utter_action"] == "utter_faq/ask_hours"
    # conditional variations apply to retrieval responses too; "default" is the catch-all selector key
    [event] = await action.run(tracker_with(domain, selector("faq/ask_hours", "default"), member=True),
                               context(domain))
    assert event.text == "Members shop 8 to 22."


async def test_retrieval_action_without_selector_output_or_domain_response(caplog) -> None:
    domain = Domain.from_dict(DOMAIN)
    action = action_for_name("utter_faq", domain)
    with caplog.at_level(logging.ERROR):
        assert await action.run(tracker_with(domain), context(domain)) == []
    assert "response selector" in caplog.text
    # a response only the selector knows is still sent, from the selector's own texts
    [event] = await action.run(tracker_with(domain, selector("faq/ask_parking")), context(domain))
    assert event.text == "From the selector."


async def test_end_to_end_action_says_its_text() -> None:
    domain = Domain.from_dict(DOMAIN)
    action = action_for_name("Have a nice day!", domain)
    assert isinstance(action, EndToEndResponseAction)
    [event] = await action.run(tracker_with(domain), context(domain))
    assert event.text == "Have a nice day!"


async def test_custom_action_messages_come_first_and_render_domain_responses(executor) -> None:
    domain = Domain.from_dict(DOMAIN)
    tracker = tracker_with(domain, mood="calm")
    action = action_for_name("action_greet_back", domain)
    assert isinstance(action, RemoteAction)
    events = await action.run(tracker, context(domain, executor))
    first, second, slot = events
    assert isinstance(first, BotUttered) and isinstance(second, BotUttered) and isinstance(slot, SlotSet)
    assert first.text == "Hi Sam, you seem calm."  # the extra kwarg fills {nickname}, the slot fills {mood}
    assert [b["title"] for b in first.data["buttons"]] == ["Bye", "Hi"]
    assert first.metadata["utter_action"] == "utter_hello"
    assert second.text == "plain text"
    assert second.data["image"] == second.data["attachment"] == "https://example.org/a.png"
    assert (slot.key, slot.value) == ("mood", "happy")


async def test_custom_action_rejection_and_failures(executor, caplog) -> None:
    domain = Domain.from_dict(DOMAIN)
    tracker = tracker_with(domain)
    events = await action_for_name("action_refuse_politely", domain).run(tracker, context(domain, executor))
    assert [type(e) for e in events] == [ActionExecutionRejected]
    assert events[0].action_name == "action_refuse_politely"

    with caplog.at_level(logging.ERROR):
        [failed] = await action_for_name("action_lookup_crm", domain).run(tracker, context(domain, executor))
    assert failed.text == DEFAULT_FAILURE_TEXT
    assert "database unavailable" in caplog.text

    with_response = Domain.from_dict({**DOMAIN, "responses": {
        **DOMAIN["responses"], "utter_action_failed": [{"text": "Our systems are busy."}]}})
    [failed] = await action_for_name("action_missing", with_response).run(
        tracker, context(with_response, NoCustomActions("this test")))
    assert failed.text == "Our systems are busy."
    [failed] = await RemoteAction("action_missing").run(tracker, context(domain, None))
    assert failed.text == DEFAULT_FAILURE_TEXT


def test_contexts_share_one_generator_for_variations_instead_of_seeding_one_per_action() -> None:
    """A turn builds several contexts; a new random.Random() reads os.urandom each time (it was 5 % of
    a loaded server's event loop). Variations still vary: the shared generator moves on."""
    domain = Domain.from_dict({"responses": {"utter_hi": [{"text": f"hi {n}"} for n in range(8)]}})
    first, second = ActionContext(domain), ActionContext(domain)
    assert first.rng is second.rng
    tracker = DialogueStateTracker("anna", [])
    said = {first.response("utter_hi", tracker).text for _ in range(60)}
    assert len(said) > 1
    seeded = ActionContext(domain, rng=random.Random(3))  # a caller may still bring its own
    assert seeded.rng is not first.rng
