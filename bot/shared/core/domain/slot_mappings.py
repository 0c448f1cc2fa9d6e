"""Rasa 3.x global slot mappings: how a slot is filled from the latest user message."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from bot.shared.errors import InvalidDomain

FROM_ENTITY = "from_entity"
FROM_TEXT = "from_text"
FROM_INTENT = "from_intent"
FROM_TRIGGER_INTENT = "from_trigger_intent"
CUSTOM = "custom"
MAPPING_TYPES = (FROM_ENTITY, FROM_TEXT, FROM_INTENT, FROM_TRIGGER_INTENT, CUSTOM)

# Keys each mapping type may carry besides `type` and `conditions`.
_ALLOWED_KEYS = {
    FROM_ENTITY: {"entity", "role", "group", "intent", "not_intent"},
    FROM_TEXT: {"intent", "not_intent"},
    FROM_INTENT: {"value", "intent", "not_intent"},
    FROM_TRIGGER_INTENT: {"value", "intent", "not_intent"},
    CUSTOM: {"action"},
}


@dataclass(frozen=True)
class MappingCondition:
    """A mapping applies only while `active_loop` runs (None: no loop) and, if given, asks for `requested_slot`."""

    active_loop: str | None
    requested_slot: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"active_loop": self.active_loop}
        if self.requested_slot is not None:
            data["requested_slot"] = self.requested_slot
        return data


@dataclass(frozen=True)
class SlotMapping:
    """One entry of a slot's `mappings` list."""

    type: str
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: tuple[str, ...] = ()
    not_intent: tuple[str, ...] = ()
    value: Any = None
    action: str | None = None
    conditions: tuple[MappingCondition, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """Rasa's YAML/JSON shape of the mapping (only the keys that are set)."""
        data: dict[str, Any] = {"type": self.type}
        for key in ("entity", "role", "group", "action"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.type in (FROM_INTENT, FROM_TRIGGER_INTENT):
            data["value"] = self.value
        if self.intent:
            data["intent"] = list(self.intent)
        if self.not_intent:
            data["not_intent"] = list(self.not_intent)
        if self.conditions:
            data["conditions"] = [c.as_dict() for c in self.conditions]
        return data

    def entity_key(self) -> tuple[Any, ...]:
        """What makes two from_entity mappings compete for the same entity (Rasa's uniqueness check)."""
        return (self.entity, self.role, self.group, self.intent, self.not_intent)


def _as_names(value: Any) -> tuple[str, ...]:
    """`intent: greet` and `intent: [greet, hi]` are both allowed."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_mapping(raw: Any, slot_name: str, where: str | None) -> SlotMapping:
    """Validates one mapping dict; errors name the slot, the location and the fix."""
    if not isinstance(raw, dict):
        raise InvalidDomain(
            f"slot '{slot_name}' has a mapping that is not a mapping: {raw!r}", location=where,
            hint="write each mapping as '- type: from_entity' with its keys indented below")
    mapping_type = raw.get("type")
    if mapping_type not in MAPPING_TYPES:
        close = difflib.get_close_matches(str(mapping_type), MAPPING_TYPES, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        raise InvalidDomain(
            f"slot '{slot_name}' has a mapping of unknown type '{mapping_type}'", location=where,
            hint=f"{guess}use one of: {', '.join(MAPPING_TYPES)}")
    unknown = set(raw) - _ALLOWED_KEYS[mapping_type] - {"type", "conditions"}
    if unknown:
        raise InvalidDomain(
            f"slot '{slot_name}': a '{mapping_type}' mapping does not take {sorted(unknown)}", location=where,
            hint=f"allowed keys: type, conditions, {', '.join(sorted(_ALLOWED_KEYS[mapping_type]))}")
    if mapping_type == FROM_ENTITY and not raw.get("entity"):
        raise InvalidDomain(
            f"slot '{slot_name}': a from_entity mapping needs 'entity'", location=where,
            hint="add 'entity: <entity name>' to the mapping")
    if mapping_type in (FROM_INTENT, FROM_TRIGGER_INTENT) and "value" not in raw:
        raise InvalidDomain(
            f"slot '{slot_name}': a {mapping_type} mapping needs 'value'", location=where,
            hint="add 'value: <what to set the slot to>' to the mapping")
    return SlotMapping(
        type=mapping_type,
        entity=raw.get("entity"),
        role=raw.get("role"),
        group=raw.get("group"),
        intent=_as_names(raw.get("intent")),
        not_intent=_as_names(raw.get("not_intent")),
        value=raw.get("value"),
        action=raw.get("action"),
        conditions=_parse_conditions(raw.get("conditions"), slot_name, where),
    )


def _parse_conditions(raw: Any, slot_name: str, where: str | None) -> tuple[MappingCondition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise InvalidDomain(
            f"slot '{slot_name}': 'conditions' must be a list of mappings", location=where,
            hint="write '- active_loop: my_form' (and optionally 'requested_slot: my_slot') under conditions")
    conditions = []
    for condition in raw:
        unknown = set(condition) - {"active_loop", "requested_slot"}
        if unknown:
            raise InvalidDomain(
                f"slot '{slot_name}': unknown mapping condition key(s) {sorted(unknown)}", location=where,
                hint="a condition has only 'active_loop' and 'requested_slot'")
        conditions.append(MappingCondition(condition.get("active_loop"), condition.get("requested_slot")))
    return tuple(conditions)
