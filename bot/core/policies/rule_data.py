"""What the RulePolicy learns from: rule event sequences, their states, and rule keys.

A rule is turned into events as Rasa does: its conditions, a `...` marker ("anything may have
happened before") unless it is for the conversation start, its steps, and a trailing `...`
when it does not wait for user input. A slot or loop a rule sets to null means "must not be
set"; it is kept in the states as the marker `should_not_be_set`.

A rule key is the JSON of the states after the last `...` state; it matches a conversation
when each of its states (from the end backwards) is contained in the conversation's state.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from bot.core.states import State, current_state
from bot.core.tracker import DialogueStateTracker
from bot.core.training_events import any_value_stand_in, story_events, with_entity_slots, with_listens
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import RULE_SNIPPET_ACTION
from bot.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet
from bot.shared.core.story_graph import Trajectory
from bot.shared.core.story_steps import fill_any_value_slots

SHOULD_NOT_BE_SET = "should_not_be_set"

__all__ = ["SHOULD_NOT_BE_SET", "MarkedTracker", "is_rule_applicable", "loop_name_in_state",
           "KeyIndex", "rule_events", "rule_feature_key", "trajectory_events"]


def rule_events(trajectory: Trajectory, domain: Domain) -> list[Event]:
    """The events of a rule with `...` markers, null markers and Rasa's implicit listens."""
    block = trajectory.blocks[0]
    snippet = {"event": "action", "name": RULE_SNIPPET_ACTION}
    steps = list(trajectory.condition)
    if not block.conversation_start:
        steps.append(snippet)
    steps.extend(trajectory.events)
    if not block.wait_for_user_input:
        steps.append(snippet)
    events = []
    for step in fill_any_value_slots(steps, any_value_stand_in(domain)):
        event = Event.from_dict(step, location=trajectory.location)
        if isinstance(event, ActiveLoop) and event.name is None:
            event.name = SHOULD_NOT_BE_SET
        elif isinstance(event, SlotSet) and event.value is None:
            event.value = SHOULD_NOT_BE_SET
        events.append(event)
    return with_listens(with_entity_slots(events, domain))


def trajectory_events(trajectory: Trajectory, domain: Domain) -> list[Event]:
    """Events of a rule (with markers) or of a story (with implicit listens)."""
    if trajectory.kind == "rule":
        return rule_events(trajectory, domain)
    return story_events(trajectory, domain)


class MarkedTracker:
    """A tracker that also keeps the rule markers (slot/loop "must not be set").

    `omit_unset_slots` leaves out slots no event set, which is how rule states are built:
    a rule only constrains the slots it mentions.
    """

    def __init__(self, sender_id: str, domain: Domain, *, omit_unset_slots: bool = False) -> None:
        self.tracker = DialogueStateTracker(sender_id, domain.slots)
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.states: list[State] = []  # the state before each action so far
        self._null_slots: set[str] = set()
        self._null_loop = False
        self._set_slots: set[str] = set()

    def update(self, event: Event) -> None:
        if isinstance(event, ActionExecuted):
            self.states.append(self.state())
        elif isinstance(event, SlotSet):
            self._set_slots.add(event.key)
            if event.value == SHOULD_NOT_BE_SET:
                self._null_slots.add(event.key)
                event = SlotSet(event.key, None, timestamp=event.timestamp)
            else:
                self._null_slots.discard(event.key)
        elif isinstance(event, ActiveLoop):
            self._null_loop = event.name == SHOULD_NOT_BE_SET
            if self._null_loop:
                event = ActiveLoop(None, timestamp=event.timestamp)
        self.tracker.update(event)

    def state(self) -> State:
        state = current_state(self.tracker, self.domain)
        slots = dict(state.get("slots", {}))
        if self.omit_unset_slots:
            slots = {name: value for name, value in slots.items() if name in self._set_slots}
        for name in self._null_slots:
            slot = self.domain.slot(name)
            if slot is not None and slot.has_features():
                slots[name] = SHOULD_NOT_BE_SET
        state.pop("slots", None)
        if slots:
            state["slots"] = slots
        if self._null_loop:
            state["active_loop"] = {"name": SHOULD_NOT_BE_SET}
        return state

    def past_states(self) -> list[State]:
        return [*self.states, self.state()]


def states_with_actions(events: list[Event], domain: Domain, *, omit_unset_slots: bool
                        ) -> tuple[list[State], list[ActionExecuted]]:
    """The state before each action of an event sequence, and the action events."""
    tracker = MarkedTracker("training", domain, omit_unset_slots=omit_unset_slots)
    actions = []
    for event in events:
        if isinstance(event, ActionExecuted):
            actions.append(event)
        tracker.update(event)
    return tracker.states, actions


def is_snippet_state(state: State) -> bool:
    return state.get("prev_action", {}).get("action_name") == RULE_SNIPPET_ACTION


def rule_feature_key(states: list[State]) -> str | None:
    """JSON of the states after the last `...` state; None when nothing is left."""
    kept: list[State] = []
    for state in reversed(states):
        if is_snippet_state(state):
            break
        kept.insert(0, state)
    return json.dumps(kept, sort_keys=True) if kept else None


def loop_name_in_state(state: State) -> str | None:
    name = state.get("active_loop", {}).get("name")
    return None if name == SHOULD_NOT_BE_SET else name


@functools.lru_cache(maxsize=4096)
def key_states(key: str) -> tuple[State, ...]:
    """The states of a rule key, with JSON lists turned back into tuples."""
    return tuple({kind: {k: tuple(v) if isinstance(v, list) else v for k, v in sub.items()}
                  for kind, sub in state.items()} for state in json.loads(key))


def _sub_state_matches(rule_sub: dict[str, Any], conversation_sub: dict[str, Any]) -> bool:
    for key, wanted in rule_sub.items():
        actual = conversation_sub.get(key)
        if wanted == SHOULD_NOT_BE_SET:
            if actual and actual != SHOULD_NOT_BE_SET:
                return False
        elif wanted and actual != wanted:
            return False
    return True


def rule_matches_state(rule_state: State, state: State) -> bool:
    """True when every feature the rule state names is in the conversation state."""
    return all(_sub_state_matches(sub, state.get(kind, {})) for kind, sub in rule_state.items())


def is_rule_applicable(rule_states: tuple[State, ...], turn_index: int, state: State) -> bool:
    """Whether the rule's state `turn_index` turns back from its end fits `state`."""
    if turn_index >= len(rule_states):
        return True
    rule_state = rule_states[-1 - turn_index]
    rule_prev = rule_state.get("prev_action")
    current_prev = state.get("prev_action")
    if not rule_prev and not current_prev:
        return True  # both are the conversation start
    if not rule_prev or not current_prev:
        return False
    return rule_matches_state(rule_state, state)


def _fits(rule_states: tuple[State, ...], states: list[State]) -> bool:
    """Whether a rule's states fit the end of `states` (only as far back as `states` go)."""
    depth = min(len(rule_states), len(states))
    return all(is_rule_applicable(rule_states, i, states[-1 - i]) for i in range(depth))


class KeyIndex:
    """Rule keys grouped by the action and intent their last state requires, states parsed once.

    `matching` gives the keys whose states fit the end of a conversation's states (as far back as
    those go), trying only the groups that can fit the current state: a key whose last state names
    another previous action or intent cannot match it.
    """

    def __init__(self, keys: list[str] | dict[str, Any]) -> None:
        self.keys = keys
        self.size = len(keys)
        self._groups: dict[tuple[Any, Any], list[tuple[str, tuple[State, ...]]]] = {}
        for key in keys:
            rule_states = key_states(key)
            last = rule_states[-1] if rule_states else {}
            group = (_required(last, "prev_action", "action_name"), _required(last, "user", "intent"))
            self._groups.setdefault(group, []).append((key, rule_states))

    def matching(self, states: list[State]) -> list[str]:
        current = states[-1] if states else {}
        action = current.get("prev_action", {}).get("action_name")
        intent = current.get("user", {}).get("intent")
        found = []
        for group in {(action, intent), (action, None), (None, intent), (None, None)}:
            found.extend(key for key, rule_states in self._groups.get(group, ()) if _fits(rule_states, states))
        return found


def _required(state: State, kind: str, feature: str) -> Any:
    """The value a rule state insists on (None when it takes any, or requires it unset)."""
    value = state.get(kind, {}).get(feature)
    return value if value and value != SHOULD_NOT_BE_SET else None
