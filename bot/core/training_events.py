"""Turns unfolded stories into the event sequences policies train on."""

from __future__ import annotations

from typing import Any

from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.core.events import ActionExecuted, Event, UserUttered
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
    """Events of a story with Rasa's implicit `action_listen` before each user turn and at the end."""
    raw = fill_any_value_slots(trajectory.events, any_value_stand_in(domain))
    return with_listens([Event.from_dict(step, location=trajectory.location) for step in raw],
                        add_final_listen=add_final_listen)


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
