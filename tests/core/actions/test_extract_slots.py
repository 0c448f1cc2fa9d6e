"""action_extract_slots: global slot mappings, custom mapping actions and action_validate_slot_mappings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.core.actions.action import ActionContext
from bot.core.actions.extract_slots import ActionExtractSlots
from bot.core.actions.in_process import InProcessActionExecutor
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)

PROJECT = Path(__file__).resolve().parent / "data" / "form_project"

SLOTS: dict[str, Any] = {
    "city": {"type": "text", "mappings": [{"type": "from_entity", "entity": "city"}]},
    "wants_call": {"type": "bool", "mappings": [
        {"type": "from_intent", "intent": "affirm", "value": True},
        {"type": "from_intent", "intent": "deny", "value": False}]},
    "note": {"type": "text", "mappings": [
        {"type": "from_text", "conditions": [{"active_loop": "contact_form", "requested_slot": "note"}]}]},
    "mood": {"type": "text", "mappings": [{"type": "custom", "action": "action_guess_mood"}]},
    "seen_city": {"type": "text", "mappings": [{"type": "custom", "action": "action_guess_mood"}]},
}


def domain(actions: list[str] | None = None, slots: dict[str, Any] | None = None) -> Domain:
    return Domain.from_dict({
        "intents": ["inform", "affirm", "deny", "chitchat"],
        "entities": ["city"],
        "slots": slots or SLOTS,
        "forms": {"contact_form": {"required_slots": ["note"]}} if "note" in (slots or SLOTS) else {},
        "actions": actions if actions is not None else ["action_guess_mood"],
    })


@pytest.fixture(scope="module")
def executor() -> InProcessActionExecutor:
    return InProcessActionExecutor("form_actions", PROJECT)


def tracker_after(the_domain: Domain, message: UserUttered, before: list[Event] = ()) -> DialogueStateTracker:
    tracker = DialogueStateTracker("tester", the_domain.slots)
    tracker.update_with_events([ActionExecuted("action_listen"), *before, message])
    return tracker


def user(text: str, intent: str, **entities: str) -> UserUttered:
    return UserUttered(text, {"intent": {"name": intent, "confidence": 0.9},
                              "entities": [{"entity": k, "value": v} for k, v in entities.items()]})


def as_pairs(events: list[Event]) -> list[tuple[str, Any]]:
    return [(e.key, e.value) for e in events if isinstance(e, SlotSet)]


async def extract(the_domain: Domain, tracker: DialogueStateTracker, executor: Any) -> list[Event]:
    return await ActionExtractSlots().run(tracker, ActionContext(the_domain, executor))


async def test_predefined_and_custom_mappings(executor) -> None:
    the_domain = domain()
    tracker = tracker_after(the_domain, user("yes, in berlin", "affirm", city="berlin"))
    events = await extract(the_domain, tracker, executor)
    # the custom action ran once although two slots name it, saw the city found this turn,
    # and its "pause" event was dropped
    assert as_pairs(events) == [("city", "berlin"), ("wants_call", True), ("mood", "brief"),
                                ("seen_city", "berlin")]
    assert all(isinstance(e, SlotSet) for e in events)


async def test_only_changed_values_and_no_conditional_mapping_outside_the_form(executor) -> None:
    the_domain = domain(actions=[], slots={k: SLOTS[k] for k in ("city", "wants_call", "note")})
    tracker = tracker_after(the_domain, user("no, berlin", "deny", city="berlin"), [SlotSet("city", "berlin")])
    events = await extract(the_domain, tracker, None)
    assert as_pairs(events) == [("wants_call", False)]  # city unchanged; note needs the form


async def test_conditional_mapping_inside_the_form_and_not_after_a_rejection() -> None:
    the_domain = domain(actions=[], slots={"note": SLOTS["note"]})
    active = [ActiveLoop("contact_form"), SlotSet("requested_slot", "note"), ActionExecuted("action_listen")]
    tracker = tracker_after(the_domain, user("ring twice", "inform"), active)
    assert as_pairs(await extract(the_domain, tracker, None)) == [("note", "ring twice")]

    rejected = [*active, user("hm", "chitchat"), ActionExecutionRejected("contact_form"),
                ActionExecuted("utter_chitchat")]
    tracker = tracker_after(the_domain, user("ring twice", "inform"), rejected)
    assert tracker.is_active_loop_rejected
    assert await extract(the_domain, tracker, None) == []


async def test_global_validation_action_validates_what_was_extracted(executor) -> None:
    the_domain = domain(actions=["action_validate_slot_mappings"], slots={"city": SLOTS["city"]})
    tracker = tracker_after(the_domain, user("berlin", "inform", city="berlin"))
    events = await extract(the_domain, tracker, executor)
    assert as_pairs(events) == [("city", "BERLIN")]


async def test_a_validation_action_does_not_echo_a_slot_set_before_it_ran() -> None:
    # The example assistant's rasa_sdk ValidationAction sees the processor's SlotSet("language") at
    # the tracker's tail and returns it unchanged: that is not a second event (bot shell --explain
    # showed "slot language" twice).
    repo = Path(__file__).resolve().parents[3]
    slots = {"language": {"type": "categorical", "values": ["de", "en"], "mappings": [{"type": "custom"}]},
             "tracking_number": {"type": "text", "mappings": [{"type": "from_entity", "entity": "city"}]}}
    the_domain = domain(actions=["action_validate_slot_mappings"], slots=slots)
    tracker = tracker_after(the_domain, user("hello", "inform"))
    tracker.update(SlotSet("language", "en"))
    executor = InProcessActionExecutor("actions", repo)
    assert as_pairs(await extract(the_domain, tracker, executor)) == []
    # What it changes this turn is still kept.
    message = user("rr 123456789 de", "inform", city="rr 123456789 de")
    assert as_pairs(await extract(the_domain, tracker_after(the_domain, message), executor)) == [
        ("tracking_number", "RR123456789DE")]


async def test_failing_custom_mapping_action_keeps_the_other_slots(executor, caplog) -> None:
    slots = {"city": SLOTS["city"],
             "crm": {"type": "text", "mappings": [{"type": "custom", "action": "action_lookup_crm"}]}}
    the_domain = domain(actions=["action_lookup_crm"], slots=slots)
    tracker = tracker_after(the_domain, user("hamburg", "inform", city="hamburg"))
    with caplog.at_level(logging.WARNING):
        events = await extract(the_domain, tracker, executor)
    assert as_pairs(events) == [("city", "hamburg")]
    assert "action_lookup_crm" in caplog.text


async def test_no_user_message_yet_extracts_nothing() -> None:
    the_domain = domain(actions=[], slots={"city": SLOTS["city"]})
    tracker = DialogueStateTracker("tester", the_domain.slots)
    assert await extract(the_domain, tracker, None) == []
