"""Turns unfolded stories into the event sequences policies train on."""

from __future__ import annotations

from typing import Any

from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.core.domain.slot_mappings import FROM_ENTITY
from bot.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from bot.shared.core.story_graph import Trajectory
from bot.shared.core.story_steps import fill_any_value_slots


def any_value_stand_in(domain: Domain):
    """Rasa's stand-in for a slot written by name only: a value that featurizes as 'set'."""

    def stand_in(name: str) -> Any:
        slot = domain.slot(name)
        kind = slot.type_name if slot else "text"
        if kind == "bool":
            return True
        if kind == "float":
            return 1.0
        if kind == "list":
            return ["filled"]
        if kind == "categorical":
            values = [v for v in getattr(slot, "values", []) if v != "__other__"]
            return values[0] if values else "filled"
        return "filled"

    return stand_in


def story_events(trajectory: Trajectory, domain: Domain, *, add_final_listen: bool = True) -> list[Event]:
    """Events of a story with Rasa's implicit `action_listen` before each user turn and at the end,
    and the slots its entities fill right after each user turn."""
    raw = fill_any_value_slots(trajectory.events, any_value_stand_in(domain))
    events = with_entity_slots([Event.from_dict(step, location=trajectory.location) for step in raw], domain)
    return with_listens(events, add_final_listen=add_final_listen)


def slots_for_entities(domain: Domain, entities: list[dict[str, Any]]) -> list[SlotSet]:
    """What Rasa's `Domain.slots_for_entities` sets when it reads a story or rule: each slot with a
    `from_entity` mapping that is not tied to an active form takes the value of a matching entity
    (a list slot all of them, any other slot the last)."""
    if not domain.store_entities_as_slots or not entities:
        return []
    events = []
    for slot in domain.slots:
        values = [entity.get("value") for mapping in slot.mappings
                  if mapping.type == FROM_ENTITY
                  and not (mapping.conditions and mapping.conditions[0].active_loop is not None)
                  for entity in entities
                  if (entity.get("entity"), entity.get("role"), entity.get("group"))
                  == (mapping.entity, mapping.role, mapping.group)]
        if values:
            events.append(SlotSet(slot.name, values if slot.type_name == "list" else values[-1]))
    return events


def with_entity_slots(events: list[Event], domain: Domain) -> list[Event]:
    """Adds, after each user event, the slots its entities set (see `slots_for_entities`)."""
    result: list[Event] = []
    for event in events:
        result.append(event)
        if isinstance(event, UserUttered):
            result.extend(slots_for_entities(domain, event.entities))
    return result


def with_listens(events: list[Event], *, add_final_listen: bool = True) -> list[Event]:
    """Inserts `action_listen` before user messages that do not follow one, and at the end."""
    result: list[Event] = []
    for event in events:
        if isinstance(event, UserUttered) and not _is_listen(result[-1] if result else None):
            result.append(ActionExecuted(ACTION_LISTEN))
        result.append(event)
    if add_final_listen and result and not _is_listen(result[-1]):
        result.append(ActionExecuted(ACTION_LISTEN))
    return result


def _is_listen(event: Event | None) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN
