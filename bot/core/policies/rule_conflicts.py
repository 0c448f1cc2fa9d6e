"""Training-time checks of the RulePolicy: rule restriction, incomplete rules, contradictions.

The contradiction check runs the trained policy over every rule and story, turn by turn, as
Rasa does: where the rules predict an action other than the one the rule/story takes, both are
named (with file:line) so the designer can fix one of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.policies.rule_data import SHOULD_NOT_BE_SET, MarkedTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN, RULE_SNIPPET_ACTION
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from bot.shared.core.story_graph import Trajectory
from bot.shared.errors import InvalidTrainingData

if TYPE_CHECKING:
    from bot.core.policies.rule_policy import RulePolicy

__all__ = ["analyze_rules", "check_incomplete_rules", "check_rule_restriction"]

ALLOWED_USER_TURNS = 1
_DOCS_HINT = "see https://rasa.com/docs/rasa/rules for what rules can express"
Item = tuple[Trajectory, list[Event]]


def _describe(trajectory: Trajectory) -> str:
    return f"{trajectory.kind} '{trajectory.name}' ({trajectory.location})"


def check_rule_restriction(rules: list[Item]) -> None:
    """Rules may hold at most one user message (they are not meant to be a state machine)."""
    too_long = [t for t, events in rules if sum(isinstance(e, UserUttered) for e in events) > ALLOWED_USER_TURNS]
    if too_long:
        names = "\n".join(f"- {_describe(t)}" for t in too_long)
        raise InvalidTrainingData(
            f"rules with more than {ALLOWED_USER_TURNS} user message found:\n{names}",
            location=too_long[0].location,
            hint="write these as stories, or split them into rules with one user message each "
                 "(or set 'restrict_rules: false' for the RulePolicy)")


@dataclass
class _Fingerprint:
    slots: set[str]
    loops: set[str]


def _action_fingerprints(rules: list[Item], domain: Domain) -> dict[str, _Fingerprint]:
    """For each action: the featurized slots and the loops it sets somewhere in the rules."""
    featurized = {slot.name for slot in domain.slots if slot.has_features()}
    found: dict[str, _Fingerprint] = defaultdict(lambda: _Fingerprint(set(), set()))
    for _, events in rules:
        action: str | None = None
        for event in events:
            if isinstance(event, ActionExecuted):
                action = event.action_name or event.action_text
            elif isinstance(event, UserUttered):
                action = None  # slots set from entities are not the action's doing
            elif action and isinstance(event, SlotSet) and event.key in featurized:
                found[action].slots.add(event.key)
            elif action and isinstance(event, ActiveLoop):
                found[action].loops.add(event.name or SHOULD_NOT_BE_SET)
    return dict(found)


def check_incomplete_rules(rules: list[Item], domain: Domain) -> None:
    """An action that sets a slot or loop in one rule must show it in every rule it ends a turn in."""
    fingerprints = _action_fingerprints(rules, domain)
    problems: list[str] = []
    first_location = None
    for trajectory, events in rules:
        tracker = MarkedTracker(trajectory.name, domain)
        for event in events:
            tracker.update(event)
        states = tracker.past_states()
        following = [s.get("prev_action", {}).get("action_name") for s in states[1:]] + [ACTION_LISTEN]
        for state, next_action in zip(states, following, strict=True):
            previous = state.get("prev_action", {}).get("action_name")
            fingerprint = fingerprints.get(previous or "")
            if not previous or not fingerprint or RULE_SNIPPET_ACTION in (previous, next_action):
                continue
            missing = sorted(fingerprint.slots - set(state.get("slots", {})))
            if missing:
                problems.append(f"- the action '{previous}' in {_describe(trajectory)} does not set the slots "
                                f"{', '.join(repr(s) for s in missing)}, which it sets in other rules")
            loop = state.get("active_loop", {}).get("name")
            if fingerprint.loops and loop not in fingerprint.loops:
                shown = sorted("null" if name == SHOULD_NOT_BE_SET else name for name in fingerprint.loops)
                problems.append(f"- the form '{previous}' in {_describe(trajectory)} does not set 'active_loop' "
                                f"as it does in other rules ({', '.join(shown)})")
            if (missing or (fingerprint.loops and loop not in fingerprint.loops)) and first_location is None:
                first_location = trajectory.location
    if problems:
        raise InvalidTrainingData(
            "incomplete rules found:\n" + "\n".join(problems), location=first_location,
            hint="add the missing 'slot_was_set' / 'active_loop' steps after the action, or end the rule "
                 "with 'wait_for_user_input: false'; write 'null' for slots or loops that must not be set")


class _Analysis:
    """Runs the policy over training conversations, collecting rule sources and contradictions."""

    def __init__(self, policy: RulePolicy, domain: Domain) -> None:
        self.policy = policy
        self.domain = domain
        self.sources: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.errors: list[str] = []
        self.locations: list[str] = []
        self.used_in_stories: set[str] = set()

    def run(self, items: list[Item], collect: bool) -> None:
        for trajectory, events in items:
            is_rule = trajectory.kind == "rule"
            running = MarkedTracker(trajectory.name, self.domain)
            unpredictable = True  # the first action has nothing to be predicted from
            for event in events:
                if isinstance(event, ActionExecuted):
                    if event.action_name == RULE_SNIPPET_ACTION:
                        unpredictable = True
                    elif unpredictable:
                        unpredictable = False
                    else:
                        self._check_turn(running, event, trajectory, is_rule, collect)
                running.update(event)

    def _predict(self, running: MarkedTracker, is_rule: bool) -> tuple[str | None, str | None]:
        outcome = self.policy.find_action(running.tracker, running.past_states())
        if outcome.action is None and not is_rule:
            return None, outcome.source
        if outcome.action is None:
            enabled = self.policy.config.enable_fallback_prediction
            return (self.policy.config.core_fallback_action_name if enabled else ACTION_LISTEN), outcome.source
        return outcome.action, outcome.source

    def _check_turn(self, running: MarkedTracker, event: ActionExecuted, trajectory: Trajectory,
                    is_rule: bool, collect: bool) -> None:
        gold = event.action_name or event.action_text or ""
        predicted, source = self._predict(running, is_rule)
        loop = running.tracker.active_loop_name
        if loop and predicted != gold and predicted == loop:
            # the story leaves the loop here: as in Rasa's evaluation, pretend the loop rejected
            running.update(ActionExecutionRejected(loop))
            predicted, source = self._predict(running, is_rule)
        if collect:
            if source:
                name = _describe(trajectory)
                from bot.core.policies.rule_policy import DEFAULT_RULES, LOOP_RULES

                if source.startswith((DEFAULT_RULES, LOOP_RULES)):
                    gold, name = predicted or gold, source
                self.sources[source].append((name, gold))
            return
        if not is_rule and predicted == gold and source:
            self.used_in_stories.add(source)
        self._contradiction(running, trajectory, is_rule, predicted, gold, source)

    def _contradiction(self, running: MarkedTracker, trajectory: Trajectory, is_rule: bool,
                       predicted: str | None, gold: str, source: str | None) -> None:
        if not predicted or not source or predicted == gold:
            return
        rules: dict[str, str] = self.policy.lookup["rules"]
        if self._is_listen_after_unpredictable_action(source, is_rule, predicted, rules):
            rules.pop(source, None)
            return
        contradicting = sorted({name for name, action in self.sources.get(source, []) if action != gold})
        if not contradicting:
            return
        message = (f"- the action '{gold}' in {_describe(trajectory)} contradicts "
                   f"{', '.join(contradicting)}")
        if predicted != self.policy.config.core_fallback_action_name:
            message += f", which predicts '{predicted}'"
        self.errors.append(message)
        self.locations.append(trajectory.location)

    @staticmethod
    def _is_listen_after_unpredictable_action(source: str, is_rule: bool, predicted: str,
                                              rules: dict[str, str]) -> bool:
        """A rule's 'listen after this action' that a story contradicts, where another rule
        continues after the same action: that listen prediction is dropped (as in Rasa)."""
        if is_rule or source.count("prev_action") > 1 or predicted != ACTION_LISTEN:
            return False
        prefix = source[:-2]
        return any(key.startswith(prefix) and key != source for key in rules)


def analyze_rules(policy: RulePolicy, rules: list[Item], everything: list[Item], domain: Domain) -> list[str]:
    """Raises on contradictions; returns the prediction sources no story uses (hidden for ML)."""
    from bot.core.policies.rule_policy import (
        DEFAULT_ACTION_MAPPINGS,
        DEFAULT_RULES,
        LOOP_RULES,
        LOOP_RULES_SEPARATOR,
    )

    analysis = _Analysis(policy, domain)
    analysis.run(rules, collect=True)
    analysis.run(everything, collect=False)
    if analysis.errors:
        raise InvalidTrainingData(
            "contradicting rules or stories found:\n" + "\n".join(analysis.errors),
            location=analysis.locations[0],
            hint="change the stories or rules so that the same situation always leads to the same action")
    all_sources = set(analysis.sources) | {DEFAULT_RULES + intent for intent in DEFAULT_ACTION_MAPPINGS}
    for loop in domain.form_names:
        all_sources |= {LOOP_RULES + loop, LOOP_RULES + loop + LOOP_RULES_SEPARATOR + ACTION_LISTEN}
    return sorted(all_sources - analysis.used_in_stories)
