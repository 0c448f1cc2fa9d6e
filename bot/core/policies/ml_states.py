"""Dialogue states as the machine-learning policies see them at prediction time (Rasa 3).

Two things differ from `bot.core.states.past_states`:
- `action_unlikely_intent` turns are left out (they are a hint, not part of the dialogue);
- turns the RulePolicy predicted from rules that no story contains (`hide_rule_turn` on the
  ActionExecuted event) are skipped, and slots/loops that only rules mention are removed, so
  that a story can continue after, e.g., an FAQ rule interrupted it.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.core.states import State, current_state, past_states
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN, ACTION_UNLIKELY_INTENT
from bot.shared.core.events import ActionExecuted, Event

RULE_ONLY_SLOTS = "rule_only_slots"
RULE_ONLY_LOOPS = "rule_only_loops"

__all__ = ["RULE_ONLY_LOOPS", "RULE_ONLY_SLOTS", "ml_past_states", "prediction_events", "prediction_states"]


def _is_unlikely_intent(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_UNLIKELY_INTENT


def prediction_events(tracker: DialogueStateTracker) -> list[Event]:
    """The applied events without `action_unlikely_intent` turns."""
    return [e for e in tracker.applied_events() if not _is_unlikely_intent(e)]


def prediction_states(tracker: DialogueStateTracker, domain: Domain) -> list[State]:
    """All past states plus the current one, ignoring `action_unlikely_intent` turns."""
    if not any(_is_unlikely_intent(e) for e in tracker.events):
        return past_states(tracker, domain)
    replay = DialogueStateTracker.from_events(tracker.sender_id, prediction_events(tracker), domain.slots)
    return past_states(replay, domain)


def ml_past_states(tracker: DialogueStateTracker, domain: Domain,
                   rule_only_data: dict[str, Any] | None = None,
                   ignore_rule_only_turns: bool = True) -> list[State]:
    """States for ML policies: hidden rule turns skipped, rule-only slots and loops removed."""
    replay = DialogueStateTracker(tracker.sender_id, domain.slots)
    states: list[State] = []
    last_ml_action: dict[str, str] = {}
    turn_was_hidden = False

    def add_state(hide: bool) -> None:
        nonlocal last_ml_action, turn_was_hidden
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action = dict(replay.latest_action)
            if hide:
                turn_was_hidden = True
                return
        state = current_state(replay, domain)
        if ignore_rule_only_turns:
            _remove_rule_only_features(state, rule_only_data)
            if states:
                _substitute_rule_only_user_input(state, states[-1])
            if last_ml_action:
                state["prev_action"] = copy.deepcopy(last_ml_action)
        states.append({key: value for key, value in state.items() if value})
        turn_was_hidden = False

    for event in prediction_events(tracker):
        if isinstance(event, ActionExecuted):
            add_state(bool(event.hide_rule_turn))
        replay.update(event)
    add_state(False)
    return states


def _remove_rule_only_features(state: State, rule_only_data: dict[str, Any] | None) -> None:
    if not rule_only_data:
        return
    slots = state.get("slots")
    if slots:
        for name in rule_only_data.get(RULE_ONLY_SLOTS) or []:
            slots.pop(name, None)
        if not slots:
            del state["slots"]
    loop = state.get("active_loop", {}).get("name")
    if loop and loop in (rule_only_data.get(RULE_ONLY_LOOPS) or []):
        del state["active_loop"]


def _substitute_rule_only_user_input(state: State, last_ml_state: State) -> None:
    """After a hidden turn, a bot-action state carries the user input of the last ML state."""
    if state.get("prev_action", {}).get("action_name") == ACTION_LISTEN:
        return
    if last_ml_state.get("user"):
        state["user"] = last_ml_state["user"]
    elif state.get("user"):
        del state["user"]
