"""MemoizationPolicy and AugmentedMemoizationPolicy: exact recall of story turns (Rasa 3 behaviour).

The policy remembers, for every action in the training stories, the last `max_history` dialogue
states before it. At prediction time it answers with confidence 1.0 when the conversation's last
`max_history` states are exactly a remembered key, and all zeros otherwise. A key that led to
different actions in different stories is forgotten (Rasa drops such ambiguous examples).
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from pydantic import Field

from bot.core.policies.ml_states import ml_past_states
from bot.core.policies.policy import Policy, PolicyConfig, PolicyPrediction, TrainingStories
from bot.core.states import State, states_and_actions
from bot.core.tracker import DialogueStateTracker
from bot.core.training_events import story_events
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.core.events import ActionExecuted

logger = logging.getLogger(__name__)

__all__ = ["AugmentedMemoizationPolicy", "MemoizationPolicy", "MemoizationConfig", "feature_key"]


class MemoizationConfig(PolicyConfig):
    """Options of the memoization policies."""

    max_history: int | None = Field(default=None, ge=1)  # Rasa 3: the whole conversation
    use_nlu_confidence_as_score: bool = False


def feature_key(states: list[State]) -> str:
    """A canonical text for a list of states (tuples and lists print alike)."""
    return json.dumps(states, sort_keys=True)


def slice_history(states: list[State], max_history: int | None) -> list[State]:
    return states[-max_history:] if max_history else list(states)


class MemoizationPolicy(Policy):
    """Predicts the action a training story took after exactly the same recent states."""

    name: ClassVar[str] = "MemoizationPolicy"
    default_priority: ClassVar[int] = 3
    Config: ClassVar[type[PolicyConfig]] = MemoizationConfig

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__(config)
        self.lookup: dict[str, str] = {}
        # Slots and loops only rules mention; set by the ensemble from the RulePolicy.
        self.rule_only_data: dict[str, Any] = {}

    @property
    def max_history(self) -> int | None:
        return getattr(self.config, "max_history", None)

    # -- training --------------------------------------------------------------------------------
    def train(self, stories: TrainingStories, domain: Domain) -> None:
        examples: list[tuple[str, str]] = []
        for trajectory in stories.story_trajectories:
            states, actions, _ = states_and_actions(story_events(trajectory, domain), domain)
            for index, action in enumerate(actions):
                if index == 0 and action != ACTION_LISTEN:
                    continue  # a story that opens with a bot action has no history to learn from
                examples.append((feature_key(slice_history(states[:index + 1], self.max_history)), action))
        self.lookup = build_lookup(examples)
        logger.debug("%s memorised %d unique turns", self.name, len(self.lookup))

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        states = self._prediction_states(tracker, domain)
        action = self.recall(states, tracker, domain)
        scores = [0.0] * len(domain.action_names_or_texts)
        index = domain.index_for_action(action) if action else None
        if index is not None:
            scores[index] = self._score(tracker)
        return self.prediction(scores)

    def _prediction_states(self, tracker: DialogueStateTracker, domain: Domain) -> list[State]:
        states = ml_past_states(tracker, domain, self.rule_only_data)
        return slice_history(states, self.max_history)

    def _score(self, tracker: DialogueStateTracker) -> float:
        if getattr(self.config, "use_nlu_confidence_as_score", False):
            return float(tracker.latest_message.intent.get("confidence", 1.0))
        return 1.0

    def recall(self, states: list[State], tracker: DialogueStateTracker, domain: Domain) -> str | None:
        """The remembered action for these states, or None."""
        return self.lookup.get(feature_key(states))


class AugmentedMemoizationPolicy(MemoizationPolicy):
    """Like MemoizationPolicy, but on a miss it forgets the oldest turns and the slots they set.

    The history is cut to start at the first, then the second, ... executed action, replayed on
    fresh slots, so a turn is recalled even when slots set long ago are not in the story.
    """

    name: ClassVar[str] = "AugmentedMemoizationPolicy"

    def recall(self, states: list[State], tracker: DialogueStateTracker, domain: Domain) -> str | None:
        found = self.lookup.get(feature_key(states))
        if found is not None:
            return found
        previous = states
        shorter = _drop_leading_events(tracker, again=False)
        while shorter is not None:
            candidate = self._prediction_states(shorter, domain)
            if candidate != previous:
                found = self.lookup.get(feature_key(candidate))
                if found is not None:
                    return found
                previous = candidate
            shorter = _drop_leading_events(shorter, again=True)
        return None


def _drop_leading_events(tracker: DialogueStateTracker, again: bool) -> DialogueStateTracker | None:
    """A tracker on fresh slots that starts at the first (or, `again`, the second) action."""
    events = tracker.applied_events()
    action_positions = [i for i, e in enumerate(events) if isinstance(e, ActionExecuted)][:2]
    wanted = 1 if again else 0
    if len(action_positions) <= wanted:
        return None
    shorter = DialogueStateTracker(tracker.sender_id, list(tracker.slots.values()))  # copies reset values
    for event in events[action_positions[wanted]:]:
        shorter.update(event)
    return shorter


def build_lookup(examples: list[tuple[str, str]]) -> dict[str, str]:
    """Key -> action; keys seen with two different actions are dropped for good."""
    lookup: dict[str, str] = {}
    ambiguous: set[str] = set()
    for key, action in examples:
        if key in ambiguous:
            continue
        known = lookup.get(key)
        if known is None:
            lookup[key] = action
        elif known != action:
            ambiguous.add(key)
            del lookup[key]
    return lookup
