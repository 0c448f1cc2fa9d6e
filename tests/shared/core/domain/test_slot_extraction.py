"""Evaluating slot mappings against the latest message, active form and requested slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.shared.core.domain import Domain, extract_slot_values, load_domain
from bot.shared.core.domain.slot_extraction import custom_mapping_actions

SHARED = Path(__file__).resolve().parents[4].parent / "shared"


@dataclass
class View:
    latest_message: dict[str, Any] | None
    active_loop_name: str | None = None
    requested_slot: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)


def message(intent: str, text: str = "", entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}


DOMAIN = Domain.from_dict({
    "intents": ["greet", "inform", "chitchat", "deny"],
    "entities": [{"city": {"roles": ["from", "to"]}}, "number"],
    "slots": {
        "origin": {"type": "text", "mappings": [{"type": "from_entity", "entity": "city", "role": "from"}]},
        "cities": {"type": "list", "mappings": [{"type": "from_entity", "entity": "city", "role": "to"}]},
        "said_hi": {"type": "bool", "mappings": [{"type": "from_intent", "intent": "greet", "value": True}]},
        "note": {"type": "text", "mappings": [{"type": "from_text", "not_intent": "deny", "conditions": [
            {"active_loop": "trip_form", "requested_slot": "note"}]}]},
        "people": {"type": "float", "mappings": [{"type": "from_entity", "entity": "number"}]},
        "tables": {"type": "float", "mappings": [{"type": "from_entity", "entity": "number"}]},
        "started": {"type": "text", "mappings": [{"type": "from_trigger_intent", "intent": "inform",
                                                   "value": "yes", "conditions": [{"active_loop": "trip_form"}]}]},
        "checked": {"type": "bool", "mappings": [{"type": "custom", "action": "action_check"}]},
    },
    "actions": ["action_check"],
    "forms": {"trip_form": {"required_slots": ["note", "people", "tables"], "ignored_intents": ["chitchat"]}},
})


def test_entities_with_roles_and_list_slots() -> None:
    entities = [{"entity": "city", "value": "Paris", "role": "from"},
                {"entity": "city", "value": "Rome", "role": "to"}, {"entity": "city", "value": "Oslo", "role": "to"}]
    found = dict(extract_slot_values(DOMAIN, View(message("inform", entities=entities))))
    assert found["origin"] == "Paris"
    assert found["cities"] == ["Rome", "Oslo"]
    assert found["started"] == "yes"  # trigger intent while the form is not yet active
    assert "said_hi" not in found and "note" not in found


def test_from_intent_and_only_changes() -> None:
    assert ("said_hi", True) in extract_slot_values(DOMAIN, View(message("greet")))
    assert ("said_hi", True) not in extract_slot_values(DOMAIN, View(message("greet"), slots={"said_hi": True}))


def test_from_text_needs_its_conditions_and_respects_ignored_intents() -> None:
    in_form = View(message("inform", "window seat"), active_loop_name="trip_form", requested_slot="note")
    found = dict(extract_slot_values(DOMAIN, in_form))
    assert found["note"] == "window seat"
    assert "started" not in found  # the form is already active
    other_slot = View(message("inform", "x"), active_loop_name="trip_form", requested_slot="people")
    assert "note" not in dict(extract_slot_values(DOMAIN, other_slot))
    ignored = View(message("chitchat", "x"), active_loop_name="trip_form", requested_slot="note")
    assert "note" not in dict(extract_slot_values(DOMAIN, ignored))
    denied = View(message("deny", "x"), active_loop_name="trip_form", requested_slot="note")
    assert "note" not in dict(extract_slot_values(DOMAIN, denied))


def test_shared_entity_fills_only_the_requested_form_slot() -> None:
    number = [{"entity": "number", "value": 4}]
    asked = View(message("inform", entities=number), active_loop_name="trip_form", requested_slot="people")
    found = dict(extract_slot_values(DOMAIN, asked))
    assert found.get("people") == 4 and "tables" not in found
    outside = dict(extract_slot_values(DOMAIN, View(message("inform", entities=number))))
    assert outside["people"] == 4 and outside["tables"] == 4


def test_custom_mappings_are_left_to_actions() -> None:
    assert "checked" not in dict(extract_slot_values(DOMAIN, View(message("greet"))))
    assert custom_mapping_actions(DOMAIN) == ["action_check"]
    assert extract_slot_values(DOMAIN, View(None)) == []


def test_active_loop_null_condition_from_fixture() -> None:
    domain = load_domain(SHARED / "rasa-fixtures" / "test_from_trigger_intent_with_mapping_conditions"
                         / "domain.yml")
    triggered = dict(extract_slot_values(domain, View(message("mood_great", "great"))))
    assert triggered == {"test_trigger": "testing123"}
    asked = View(message("affirm", "blue"), active_loop_name="test_form", requested_slot="question1")
    assert dict(extract_slot_values(domain, asked)) == {"question1": "blue"}
