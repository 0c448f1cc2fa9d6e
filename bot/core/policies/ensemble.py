"""The policy ensemble: builds the configured policies, trains them, and combines their votes.

Votes combine as in Rasa 3 (DefaultPolicyPredictionEnsemble):
1. an action the tracker just rejected (ActionExecutionRejected) gets probability 0 everywhere;
2. predictions that need no user input (an active form's happy path) beat all others;
3. otherwise end-to-end predictions (made from the user's text) beat intent-based ones;
4. among the rest the highest maximum confidence wins, ties going to the higher priority,
   then to the policy listed first.
The winner carries the events of all predictions plus its own optional events, and a
`DefinePrevUserUtteredFeaturization` event when it answers a user message.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.core.policies.policy import Policy, PolicyPrediction, TrainingStories
from bot.core.policies.registry import policy_class
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.core.events import ActionExecuted, ActionExecutionRejected, DefinePrevUserUtteredFeaturization
from bot.shared.errors import InvalidConfig, InvalidModel, at_config_line

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_POLICIES", "METADATA_FILE", "PolicyEnsemble", "combine_predictions"]

METADATA_FILE = "ensemble.json"
# Rasa 3's default policies, used when config.yml lists none.
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]


class PolicyEnsemble:
    """The trained dialogue policies of a model and the rule that picks among their votes."""

    def __init__(self, policies: list[Policy], options: list[dict[str, Any]] | None = None) -> None:
        if not policies:
            raise InvalidConfig("no dialogue policies configured", hint="list at least one under 'policies:'")
        self.policies = policies
        self.options = options or [{"name": p.name} for p in policies]
        self._by_priority = sorted(policies, key=lambda policy: -policy.priority)
        self._warn_on_equal_priorities()

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_config(cls, policies: list[dict[str, Any]] | None,
                    locations: list[str | None] | None = None) -> PolicyEnsemble:
        """Builds the policies of `config.yml`'s `policies:` list (empty: Rasa's defaults); `locations`
        ("config.yml:line" per policy) place an error at its line."""
        entries = list(policies or DEFAULT_POLICIES)
        locations = list(locations or []) if policies else []
        built = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("name"):
                raise InvalidConfig(f"policy {index + 1} has no 'name'",
                                    hint="write each policy as '- name: RulePolicy' with its options below")
            try:
                built.append(policy_class(str(entry["name"]), index=index).create(entry, index=index))
            except InvalidConfig as error:
                raise at_config_line(error, locations[index] if index < len(locations) else None) from None
        return cls(built, [dict(entry) for entry in entries])

    def _warn_on_equal_priorities(self) -> None:
        by_priority: dict[int, list[str]] = defaultdict(list)
        for policy in self.policies:
            by_priority[policy.priority].append(policy.name)
        for priority, names in by_priority.items():
            if len(names) > 1:
                logger.warning("policies %s share priority %d; give them different priorities so that "
                               "ties are broken the way you intend", ", ".join(names), priority)

    # -- training --------------------------------------------------------------------------------
    def train(self, stories: TrainingStories, domain: Domain) -> None:
        """Trains every policy (logging how long each took) and shares the rule-only data."""
        self._check_domain(domain)
        has_rules = any(t.kind == "rule" for t in stories.trajectories)
        has_rule_policy = any(p.name == "RulePolicy" for p in self.policies)
        if has_rule_policy and not has_rules:
            logger.warning("a RulePolicy is configured but there are no rules in the training data")
        elif has_rules and not has_rule_policy:
            logger.warning("the training data has rules but no RulePolicy is configured; rules are ignored")
        # The RulePolicy trains first: its contradiction checks take seconds, and a designer should
        # not wait for TED's epochs to learn that two rules disagree.
        for policy in sorted(self.policies, key=lambda p: p.name != "RulePolicy"):
            started = time.perf_counter()
            policy.train(stories, domain)
            logger.info("trained %s in %.2f s", policy.name, time.perf_counter() - started)
        self._share_rule_only_data()

    def finetune(self, previous: PolicyEnsemble, stories: TrainingStories, domain: Domain,
                 epoch_fraction: float) -> None:
        """Rasa's `--finetune`: policies with a network (TED) continue from `previous` (the loaded ensemble
        of the same config) for a fraction of their epochs; the others (rules, memoization) train again."""
        self._check_domain(domain)
        if [p.name for p in previous.policies] != [p.name for p in self.policies]:
            raise InvalidModel("the previous model has other policies than config.yml",
                               hint="train without --finetune")
        order = sorted(range(len(self.policies)), key=lambda i: self.policies[i].name != "RulePolicy")  # as train()
        for index in order:
            policy, loaded = self.policies[index], previous.policies[index]
            started = time.perf_counter()
            finetune = getattr(loaded, "finetune", None)
            if callable(finetune):
                loaded.config = policy.config  # the same options but perhaps `epochs`
                finetune(stories, domain, epoch_fraction)
                self.policies[index] = loaded
            else:
                policy.train(stories, domain)
            logger.info("%s %s in %.2f s", "fine-tuned" if callable(finetune) else "trained", policy.name,
                        time.perf_counter() - started)
        self._by_priority = sorted(self.policies, key=lambda policy: -policy.priority)
        self._share_rule_only_data()

    def _check_domain(self, domain: Domain) -> None:
        if domain.form_names and not any(p.name == "RulePolicy" for p in self.policies):
            raise InvalidConfig(f"the domain has forms ({', '.join(domain.form_names)}) but no RulePolicy "
                                "is configured, and only the RulePolicy runs forms",
                                hint="add '- name: RulePolicy' under 'policies:' in config.yml")

    def _share_rule_only_data(self) -> None:
        """Slots and loops only rules use are hidden from ML policies (as Rasa does)."""
        data: dict[str, Any] = {}
        for policy in self.policies:
            getter = getattr(policy, "get_rule_only_data", None)
            if getter is not None:
                data = getter()
        for policy in self.policies:
            policy.rule_only_data = data  # type: ignore[attr-defined]

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, tracker: DialogueStateTracker, domain: Domain) -> tuple[str, PolicyPrediction]:
        """The next action's name and the winning prediction.

        Policies are asked in order of priority (config order among equals, which keeps ties as in
        Rasa); once one is certain (confidence 1.0) the remaining plain policies of lower priority
        cannot beat it and are not asked: a rule's answer costs no TED forward pass.
        """
        predictions = []
        certain = _rejected_action(tracker) is None
        for policy in self._by_priority:  # stable sort: config order among equal priorities
            if certain and policy.makes_plain_predictions and any(p.max_confidence >= 1.0 for p in predictions):
                continue
            prediction = policy.predict(tracker, domain)
            if len(prediction.probabilities) != len(domain.action_names_or_texts):
                raise InvalidModel(f"{policy.name} returned {len(prediction.probabilities)} scores for "
                                   f"{len(domain.action_names_or_texts)} actions",
                                   hint="retrain the model with the current domain ('bot train')")
            predictions.append(prediction)
        best = combine_predictions(predictions, tracker, domain)
        return domain.action_names_or_texts[best.max_confidence_index], best

    # -- persistence -----------------------------------------------------------------------------
    def persist(self, directory: Path) -> None:
        """Writes each policy to its own sub-folder, plus a JSON file naming them with their options."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        entries = []
        for index, (policy, options) in enumerate(zip(self.policies, self.options, strict=True)):
            folder = f"policy_{index}_{policy.name}"
            (directory / folder).mkdir(exist_ok=True)
            policy.persist(directory / folder)
            entries.append({"name": policy.name, "folder": folder, "config": options})
        (directory / METADATA_FILE).write_text(json.dumps({"policies": entries}, indent=2, default=str))

    @classmethod
    def load(cls, directory: Path) -> PolicyEnsemble:
        """Loads what `persist` wrote."""
        directory = Path(directory)
        metadata_path = directory / METADATA_FILE
        if not metadata_path.exists():
            raise InvalidModel(f"no trained policies in {directory} ({METADATA_FILE} is missing)",
                               hint="train a model with 'bot train'")
        entries = json.loads(metadata_path.read_text())["policies"]
        policies = []
        for index, entry in enumerate(entries):
            klass = policy_class(entry["name"], index=index)
            options = {k: v for k, v in entry["config"].items() if k != "name"}
            config = klass.Config(**options)
            policies.append(klass.load(config, directory / entry["folder"]))
        ensemble = cls(policies, [entry["config"] for entry in entries])
        ensemble._share_rule_only_data()
        return ensemble


def combine_predictions(predictions: list[PolicyPrediction], tracker: DialogueStateTracker,
                        domain: Domain) -> PolicyPrediction:
    """Picks the winning prediction as Rasa 3 does (see the module docstring)."""
    if not predictions:
        raise InvalidConfig("no policy made a prediction", hint="check the 'policies:' in config.yml")
    rejected = _rejected_action(tracker)
    if rejected:
        index = domain.index_for_action(rejected)
        if index is not None:
            for prediction in predictions:
                prediction.probabilities[index] = 0.0
    no_user = any(p.is_no_user_prediction for p in predictions)
    end_to_end = any(p.is_end_to_end_prediction for p in predictions)
    events = []
    best: PolicyPrediction | None = None
    best_rank = (-1.0, -1)
    for prediction in predictions:
        events.extend(prediction.events)
        if prediction.is_no_user_prediction != no_user:
            continue
        if not no_user and prediction.is_end_to_end_prediction != end_to_end:
            continue
        rank = (prediction.max_confidence, prediction.policy_priority)
        if rank > best_rank:
            best, best_rank = prediction, rank
    assert best is not None  # the flags above always leave at least one prediction
    events.extend(best.optional_events)
    if tracker.latest_action_name == ACTION_LISTEN:
        events.append(DefinePrevUserUtteredFeaturization(best.is_end_to_end_prediction))
    return PolicyPrediction(list(best.probabilities), best.policy_name, best.policy_priority, events,
                            is_end_to_end_prediction=best.is_end_to_end_prediction,
                            is_no_user_prediction=best.is_no_user_prediction,
                            diagnostic_data=best.diagnostic_data, action_metadata=best.action_metadata,
                            hide_rule_turn=best.hide_rule_turn)


def _rejected_action(tracker: DialogueStateTracker) -> str | None:
    """The action the tracker's latest action-related event rejected, if it was a rejection."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecutionRejected):
            return event.action_name
        if isinstance(event, ActionExecuted):
            return None
    return None
