"""RulePolicy: follows rules, runs active forms (loops), and falls back when nothing applies.

Behaviour follows Rasa 3.x:
- `/restart`, `/back` and `/session_start` intents always map to their default actions;
- an active loop that was not rejected is predicted again until it finishes (its happy path),
  and `action_listen` right after it ran;
- otherwise the longest rule whose states fit the end of the conversation decides; rules
  written with user text are tried first (end-to-end);
- when no rule fits, `core_fallback_action_name` gets `core_fallback_threshold`, so any policy
  that is more confident wins and the fallback runs only when none is.
Training checks that rules have at most one user turn (`restrict_rules`), that rules are
complete and that they do not contradict stories or each other (`check_for_contradictions`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from bot.core.policies.memoization import build_lookup
from bot.core.policies.ml_states import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS, prediction_states
from bot.core.policies.policy import Policy, PolicyConfig, PolicyPrediction, TrainingStories
from bot.core.policies.rule_data import (
    SHOULD_NOT_BE_SET,
    KeyIndex,
    key_states,
    loop_name_in_state,
    rule_feature_key,
    states_with_actions,
    trajectory_events,
)
from bot.core.states import State
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import (
    ACTION_BACK,
    ACTION_DEFAULT_FALLBACK,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    INTENT_BACK,
    INTENT_RESTART,
    INTENT_SESSION_START,
    RULE_SNIPPET_ACTION,
)
from bot.shared.core.events import Event, LoopInterrupted
from bot.shared.core.story_graph import Trajectory
from bot.shared.errors import InvalidConfig

logger = logging.getLogger(__name__)

__all__ = ["RulePolicy", "RulePolicyConfig"]

# Default intents whose action overrules everything, as in Rasa.
DEFAULT_ACTION_MAPPINGS = {
    INTENT_RESTART: ACTION_RESTART,
    INTENT_BACK: ACTION_BACK,
    INTENT_SESSION_START: ACTION_SESSION_START,
}

RULES = "rules"
RULES_FOR_LOOP_UNHAPPY_PATH = "rules_for_loop_unhappy_path"
RULES_NOT_IN_STORIES = "rules_not_in_stories"
LOOP_WAS_INTERRUPTED = "loop_was_interrupted"
DO_NOT_PREDICT_LOOP_ACTION = "do_not_predict_loop_action"
# Prediction sources that are not rule keys (names kept from Rasa, they show in messages).
DEFAULT_RULES = "predicting default action with intent "
LOOP_RULES = "handling active loops and forms - "
LOOP_RULES_SEPARATOR = " - "


class RulePolicyConfig(PolicyConfig):
    """Options of the RulePolicy (Rasa's names and defaults)."""

    core_fallback_threshold: float = Field(default=0.3, ge=0.0, le=1.0)
    core_fallback_action_name: str = ACTION_DEFAULT_FALLBACK
    enable_fallback_prediction: bool = True
    restrict_rules: bool = True
    check_for_contradictions: bool = True
    use_nlu_confidence_as_score: bool = False


@dataclass
class RuleOutcome:
    """What the rules say for one situation, and which rule (source) said it."""

    action: str | None
    source: str | None
    is_end_to_end: bool = False
    is_no_user: bool = False
    returning_from_unhappy_path: bool = False


class RulePolicy(Policy):
    """Handles rules, forms (loops) and the core fallback."""

    name: ClassVar[str] = "RulePolicy"
    default_priority: ClassVar[int] = 4  # Rasa 3: above memoization (3)
    makes_plain_predictions: ClassVar[bool] = False  # loop events, end-to-end and no-user predictions
    Config: ClassVar[type[PolicyConfig]] = RulePolicyConfig
    config: RulePolicyConfig

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__(config)
        self.lookup: dict[str, Any] = {RULES: {}, RULES_FOR_LOOP_UNHAPPY_PATH: {}}
        self._indexes: dict[str, KeyIndex] = {}
        self.rule_only_data: dict[str, Any] = {}

    # -- training --------------------------------------------------------------------------------
    def train(self, stories: TrainingStories, domain: Domain) -> None:
        from bot.core.policies import rule_conflicts

        self._check_fallback_action(domain)
        rules = [(t, trajectory_events(t, domain)) for t in stories.rule_trajectories]
        story_items = [(t, trajectory_events(t, domain)) for t in stories.story_trajectories]
        if self.config.restrict_rules:
            rule_conflicts.check_rule_restriction(rules)
        if self.config.check_for_contradictions:
            rule_conflicts.check_incomplete_rules(rules, domain)

        rule_examples = _examples(rules, domain, omit_unset_slots=True)
        story_examples = _examples(story_items, domain, omit_unset_slots=False)
        keyed = [(states, action, rule_feature_key(states)) for states, action, _ in rule_examples]
        lookup = build_lookup([(key, action) for _, action, key in keyed if key])
        self.lookup = {
            RULES: {key: action for key, action in lookup.items() if action != RULE_SNIPPET_ACTION},
            RULES_FOR_LOOP_UNHAPPY_PATH: _loop_unhappy_lookup(rule_examples + story_examples),
        }
        if self.config.check_for_contradictions:
            slots, loops = _rule_only_slots_and_loops(rule_examples, story_examples)
            self.lookup[RULE_ONLY_SLOTS], self.lookup[RULE_ONLY_LOOPS] = slots, loops
            self.lookup[RULES_NOT_IN_STORIES] = rule_conflicts.analyze_rules(
                self, rules, rules + story_items, domain)
        self.rule_only_data = self.get_rule_only_data()
        logger.debug("RulePolicy memorised %d rule turns", len(self.lookup[RULES]))

    def _check_fallback_action(self, domain: Domain) -> None:
        name = self.config.core_fallback_action_name
        if name and name not in domain.action_names_or_texts:
            raise InvalidConfig(f"RulePolicy: the fallback action '{name}' is not in the domain",
                                hint=f"add '{name}' under 'actions:' in domain.yml or change "
                                     "'core_fallback_action_name' in config.yml")

    def get_rule_only_data(self) -> dict[str, list[str]]:
        """Slots and loops that only rules mention (ML policies ignore them)."""
        return {key: list(self.lookup.get(key, [])) for key in (RULE_ONLY_SLOTS, RULE_ONLY_LOOPS)}

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        outcome = self.find_action(tracker, prediction_states(tracker, domain))
        probabilities = self.default_probabilities(domain)
        if outcome.action is not None:
            index = domain.index_for_action(outcome.action)
            if index is None:
                logger.warning("RulePolicy: rule predicts '%s', which is not in the domain", outcome.action)
            else:
                probabilities[index] = self._score(tracker)
        events: list[Event] = [LoopInterrupted(True)] if outcome.returning_from_unhappy_path else []
        return self.prediction(probabilities, events=events, is_end_to_end_prediction=outcome.is_end_to_end,
                               is_no_user_prediction=outcome.is_no_user,
                               hide_rule_turn=outcome.source in self.lookup.get(RULES_NOT_IN_STORIES, ()),
                               diagnostic_data={"rule": outcome.source} if outcome.action else {})

    def default_probabilities(self, domain: Domain) -> list[float]:
        scores = [0.0] * len(domain.action_names_or_texts)
        if self.config.enable_fallback_prediction:
            index = domain.index_for_action(self.config.core_fallback_action_name)
            if index is not None:
                scores[index] = self.config.core_fallback_threshold
        return scores

    def _score(self, tracker: DialogueStateTracker) -> float:
        if self.config.use_nlu_confidence_as_score:
            return float(tracker.latest_message.intent.get("confidence", 1.0))
        return 1.0

    def find_action(self, tracker: DialogueStateTracker, states: list[State]) -> RuleOutcome:
        """The action the rules, default intents or an active loop prescribe (action None: none)."""
        from_text = self._from_rules(tracker, states, use_text=True)
        default = _default_action(tracker)
        if default and not from_text.action:
            return default
        happy = _loop_happy_path(tracker)
        if happy:
            return happy
        if from_text.action:
            from_text.is_end_to_end = True
            return from_text
        from_intent = self._from_rules(tracker, states, use_text=False)
        from_intent.returning_from_unhappy_path |= from_text.returning_from_unhappy_path
        return from_intent

    def _index(self, part: str) -> KeyIndex:
        """The index of a lookup part, rebuilt when the part was replaced (training, loading)."""
        keys = self.lookup[part]
        index = self._indexes.get(part)
        if index is None or index.keys is not keys or index.size != len(keys):
            index = self._indexes[part] = KeyIndex(keys)
        return index

    def _from_rules(self, tracker: DialogueStateTracker, states: list[State], use_text: bool) -> RuleOutcome:
        if use_text:
            if tracker.latest_action_name != ACTION_LISTEN:
                return RuleOutcome(None, None)
            states = _with_text_for_last_user_input(tracker, states)
            if states is None:
                return RuleOutcome(None, None)
        rules: dict[str, str] = self.lookup[RULES]
        keys = self._index(RULES).matching(states)
        best = max(keys, key=lambda k: (len(k), k)) if keys else ""
        predicted = rules.get(best) if best else None
        unhappy = False
        loop = tracker.active_loop_name
        if loop:
            unhappy_lookup: dict[str, str] = self.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]
            conditions = {unhappy_lookup[k] for k in self._index(RULES_FOR_LOOP_UNHAPPY_PATH).matching(states)}
            # A general rule (not about this loop) that predicts listening inside a loop hands
            # control back to the loop instead, unless stories show that the loop must wait.
            if predicted == ACTION_LISTEN and not loop_name_in_state(key_states(best)[-1]):
                if DO_NOT_PREDICT_LOOP_ACTION not in conditions:
                    return RuleOutcome(loop, best)
                predicted = None
            unhappy = LOOP_WAS_INTERRUPTED in conditions
        return RuleOutcome(predicted, best or rule_feature_key(states), returning_from_unhappy_path=unhappy)


def _default_action(tracker: DialogueStateTracker) -> RuleOutcome | None:
    if tracker.latest_action_name != ACTION_LISTEN:
        return None
    intent = tracker.latest_message.intent_name
    action = DEFAULT_ACTION_MAPPINGS.get(intent or "")
    return RuleOutcome(action, DEFAULT_RULES + str(intent)) if action else None


def _loop_happy_path(tracker: DialogueStateTracker) -> RuleOutcome | None:
    loop = tracker.active_loop_name
    if not loop or loop == SHOULD_NOT_BE_SET or tracker.is_active_loop_rejected:
        return None
    latest = tracker.latest_action.get("action_name")
    if tracker.latest_action and latest != loop:
        return RuleOutcome(loop, LOOP_RULES + loop, is_no_user=True)
    if latest == loop:
        return RuleOutcome(ACTION_LISTEN, LOOP_RULES + loop + LOOP_RULES_SEPARATOR + ACTION_LISTEN,
                           is_no_user=True)
    return None


def _with_text_for_last_user_input(tracker: DialogueStateTracker, states: list[State]) -> list[State] | None:
    """The states with the last user turn described by its text instead of its intent."""
    text = tracker.latest_message.text
    if not text or not states:
        return None
    user = {"text": text}
    entities = states[-1].get("user", {}).get("entities")
    if entities:
        user["entities"] = entities
    return [*states[:-1], {**states[-1], "user": user}]


def _examples(items: list[tuple[Trajectory, list[Event]]], domain: Domain, *, omit_unset_slots: bool
              ) -> list[tuple[list[State], str, Trajectory]]:
    """(states up to an action, the action, its trajectory) for every action."""
    examples = []
    for trajectory, events in items:
        states, actions = states_with_actions(events, domain, omit_unset_slots=omit_unset_slots)
        for index, action in enumerate(actions):
            examples.append((states[:index + 1], action.action_name or action.action_text or "", trajectory))
    return examples


def _loop_unhappy_lookup(examples: list[tuple[list[State], str, Trajectory]]) -> dict[str, str]:
    """When a loop is active: where it was re-entered after an interruption, and where stories or
    rules run another action right after a bot action (so the loop must not be predicted)."""
    lookup: dict[str, str] = {}
    for states, action, _ in examples:
        last = states[-1]
        loop = loop_name_in_state(last)
        if not loop:
            continue
        if len(states) == 1 or not states[-2].get("prev_action"):
            window = [last]
        else:
            window = [{"prev_action": states[-2]["prev_action"]}, last]
        key = rule_feature_key(window)
        if not key:
            continue
        after_listen = last.get("prev_action", {}).get("action_name") == ACTION_LISTEN
        if after_listen and action == loop:
            lookup[key] = LOOP_WAS_INTERRUPTED
        elif not after_listen and action != loop:
            lookup[key] = DO_NOT_PREDICT_LOOP_ACTION
    return lookup


def _rule_only_slots_and_loops(rule_examples: list, story_examples: list) -> tuple[list[str], list[str]]:
    def collect(examples: list) -> tuple[set[str], set[str]]:
        slots: set[str] = set()
        loops: set[str] = set()
        for states, _, _ in examples:
            for state in states:
                slots.update(state.get("slots", {}))
                name = state.get("active_loop", {}).get("name")
                if name:
                    loops.add(name)
        return slots, loops

    rule_slots, rule_loops = collect(rule_examples)
    story_slots, story_loops = collect(story_examples)
    return (sorted(rule_slots - story_slots - {SHOULD_NOT_BE_SET}),
            sorted(rule_loops - story_loops - {SHOULD_NOT_BE_SET}))
