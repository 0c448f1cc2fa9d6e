"""Evaluating slot mappings against the latest user message (what action_extract_slots does)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from bot.shared.core.domain.slot_mappings import (
    CUSTOM,
    FROM_ENTITY,
    FROM_INTENT,
    FROM_TEXT,
    FROM_TRIGGER_INTENT,
    SlotMapping,
)
from bot.shared.core.domain.slots import ListSlot, Slot

if TYPE_CHECKING:
    from bot.shared.core.domain.domain import Domain


class TrackerView(Protocol):
    """What mapping evaluation needs to see of a conversation."""

    @property
    def latest_message(self) -> dict[str, Any] | None:
        """Parse data of the latest user message: {"text", "intent": {"name"}, "entities": [...]}."""

    @property
    def active_loop_name(self) -> str | None:
        """The active form (loop), if any."""

    @property
    def requested_slot(self) -> str | None:
        """The slot the active form is asking for, if any."""

    @property
    def slots(self) -> dict[str, Any]:
        """Current slot values by name."""


def _intent_name(message: dict[str, Any]) -> str | None:
    intent = message.get("intent")
    if isinstance(intent, dict):
        return intent.get("name")
    return intent if isinstance(intent, str) else None


def intent_is_desired(mapping: SlotMapping, tracker: TrackerView, domain: Domain) -> bool:
    """`intent` limits a mapping to some intents, `not_intent` (plus the active form's
    ignored_intents) excludes some."""
    intent = _intent_name(tracker.latest_message or {})
    excluded = set(mapping.not_intent)
    form = domain.forms.get(tracker.active_loop_name or "")
    if form is not None:
        excluded |= set(form.ignored_intents)
    if mapping.intent:
        return intent in mapping.intent and intent not in excluded
    return intent not in excluded


def conditions_match(mapping: SlotMapping, tracker: TrackerView) -> bool:
    """A mapping with conditions applies only while one of them holds."""
    if not mapping.conditions or mapping.type == FROM_TRIGGER_INTENT:
        return True
    for condition in mapping.conditions:
        if condition.active_loop is None:
            if tracker.active_loop_name is None:
                return True
            continue
        if condition.active_loop == tracker.active_loop_name and (
                condition.requested_slot is None or condition.requested_slot == tracker.requested_slot):
            return True
    return False


def _competes_in_active_form(slot: Slot, mapping: SlotMapping, tracker: TrackerView, domain: Domain) -> bool:
    """While a form asks for another slot, an entity that several of the form's slots map
    from fills only the requested one (so "2" does not fill both people and tables)."""
    if mapping.type != FROM_ENTITY or tracker.active_loop_name is None:
        return False
    if tracker.requested_slot == slot.name:
        return False
    required = domain.required_slots_for_form(tracker.active_loop_name)
    if slot.name not in required:
        return False
    key = mapping.entity_key()
    sharing = {other.name for other in domain.slots if other.name in required
               for other_mapping in other.mappings
               if other_mapping.type == FROM_ENTITY and other_mapping.entity_key() == key}
    return len(sharing) > 1


def _requested_by_rejected_loop(slot: Slot, mapping: SlotMapping, tracker: TrackerView) -> bool:
    """After the active form rejected the last turn, its conditional mappings do not refill the slot
    it asked for (Rasa's rule); `is_active_loop_rejected` is optional on the view."""
    return (bool(mapping.conditions) and mapping.type != FROM_TRIGGER_INTENT
            and bool(getattr(tracker, "is_active_loop_rejected", False))
            and tracker.requested_slot == slot.name)


def _entity_values(message: dict[str, Any], mapping: SlotMapping) -> list[Any]:
    return [entity.get("value") for entity in message.get("entities") or []
            if entity.get("entity") == mapping.entity and entity.get("role") == mapping.role
            and entity.get("group") == mapping.group]


def mapping_values(mapping: SlotMapping, tracker: TrackerView) -> list[Any]:
    """Values a predefined mapping offers for the latest message (empty: none)."""
    message = tracker.latest_message or {}
    if mapping.type == FROM_ENTITY:
        return _entity_values(message, mapping)
    if mapping.type == FROM_INTENT:
        return [mapping.value]
    if mapping.type == FROM_TRIGGER_INTENT:
        loops = [c.active_loop for c in mapping.conditions]
        return [mapping.value] if tracker.active_loop_name not in loops else []
    if mapping.type == FROM_TEXT:
        text = message.get("text")
        return [text] if text is not None else []
    return []


def extract_slot_values(domain: Domain, tracker: TrackerView,
                        only_changes: bool = True) -> list[tuple[str, Any]]:
    """(slot, value) pairs the predefined mappings fill from the latest user message.

    Custom mappings are left to their actions. For a non-list slot the last entity value
    wins; when several mappings of a slot apply, the last one wins. With `only_changes`,
    slots that already hold the value are left out (as Rasa emits no SlotSet for them).
    """
    if not tracker.latest_message:
        return []
    found: list[tuple[str, Any]] = []
    for slot in domain.slots:
        result: list[Any] | None = None
        for mapping in slot.mappings:
            if mapping.type == CUSTOM:
                continue
            if not intent_is_desired(mapping, tracker, domain) or not conditions_match(mapping, tracker):
                continue
            if _competes_in_active_form(slot, mapping, tracker, domain):
                continue
            if _requested_by_rejected_loop(slot, mapping, tracker):
                continue
            values = mapping_values(mapping, tracker)
            if values:
                result = values
        if result is None:
            continue
        value = list(result) if isinstance(slot, ListSlot) else result[-1]
        if only_changes and tracker.slots.get(slot.name) == value:
            continue
        found.append((slot.name, value))
    return found


def custom_mapping_actions(domain: Domain) -> list[str]:
    """Actions named by `type: custom` mappings, which action_extract_slots runs too."""
    actions: list[str] = []
    for slot in domain.slots:
        for mapping in slot.mappings:
            if mapping.type == CUSTOM and mapping.action and mapping.action not in actions:
                actions.append(mapping.action)
    return actions
