"""Dialogue states: what policies see at each turn (Rasa's state shape).

A state is a dict of sub-states, empty ones left out:
    {"user": {"intent": "greet", "entities": ("city",)},
     "prev_action": {"action_name": "utter_greet"},
     "active_loop": {"name": "parcel_form"},
     "slots": {"tracking_number": (1.0,)}}
The user sub-state stays until the next user message, as in Rasa, so a state after a bot
action still says what the user asked.
"""

from __future__ import annotations

from typing import Any

from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ENTITY_LABEL_SEPARATOR
from bot.shared.core.events import ActionExecuted, Event

State = dict[str, dict[str, Any]]


def user_sub_state(tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    message = tracker.latest_message
    intent = message.intent_name
    if not intent and not message.text:
        return {}
    sub: dict[str, Any] = {"intent": intent} if intent else {"text": message.text}
    labels = entity_labels(message.entities)
    wanted = set(domain.used_entities(intent)) if intent and intent in domain.intent_properties else labels
    entities = tuple(sorted(labels & wanted & set(domain.entity_states))) if domain.entities else ()
    if entities:
        sub["entities"] = entities
    return sub


def entity_labels(entities: list[dict[str, Any]]) -> set[str]:
    """"city", plus "city#from" for a role and "city#1" for a group, as Rasa labels them."""
    labels: set[str] = set()
    for entity in entities:
        name = entity.get("entity")
        if not name:
            continue
        labels.add(name)
        for key in ("role", "group"):
            if entity.get(key):
                labels.add(f"{name}{ENTITY_LABEL_SEPARATOR}{entity[key]}")
    return labels


def slots_sub_state(tracker: DialogueStateTracker) -> dict[str, tuple[float, ...]]:
    sub = {}
    for name, slot in tracker.slots.items():
        features = slot.as_feature()
        if features and any(features):
            sub[name] = tuple(features)
    return sub


def current_state(tracker: DialogueStateTracker, domain: Domain) -> State:
    state: State = {
        "user": user_sub_state(tracker, domain),
        "prev_action": dict(tracker.latest_action),
        "active_loop": {"name": tracker.active_loop_name} if tracker.active_loop_name else {},
        "slots": slots_sub_state(tracker),
    }
    return {key: value for key, value in state.items() if value}


def states_and_actions(events: list[Event], domain: Domain, sender_id: str = "training"
                       ) -> tuple[list[State], list[str], list[ActionExecuted]]:
    """For a linear event sequence (a story): the state before each action and the action taken."""
    tracker = DialogueStateTracker(sender_id, domain.slots)
    states: list[State] = []
    actions: list[str] = []
    action_events: list[ActionExecuted] = []
    for event in events:
        if isinstance(event, ActionExecuted):
            states.append(current_state(tracker, domain))
            actions.append(event.action_name or event.action_text or "")
            action_events.append(event)
        tracker.update(event)
    return states, actions, action_events


def past_states(tracker: DialogueStateTracker, domain: Domain) -> list[State]:
    """The state before each action of the conversation so far, plus the current state (last)."""
    states, _, _ = states_and_actions(tracker.applied_events(), domain, tracker.sender_id)
    return [*states, current_state(tracker, domain)]


def state_key(state: State) -> str:
    """A canonical string of a state, for lookups."""
    import json

    return json.dumps(state, sort_keys=True, default=list)
