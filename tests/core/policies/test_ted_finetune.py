"""TEDPolicy.finetune (`bot train --finetune`): continues from the loaded weights for a fraction of the epochs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.policies.ensemble import PolicyEnsemble
from bot.core.policies.policy import TrainingStories
from bot.core.policies.ted_policy import TEDPolicy
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories
from bot.shared.errors import InvalidModel

DOMAIN = {
    "intents": ["greet", "check"],
    "slots": {"vip": {"type": "bool", "influence_conversation": True, "mappings": [{"type": "custom"}]}},
    "responses": {name: [{"text": name}] for name in ("utter_greet", "utter_vip", "utter_normal")},
}
STORIES = """
stories:
- story: greet
  steps:
  - intent: greet
  - action: utter_greet
- story: vip customer
  steps:
  - intent: check
  - slot_was_set:
    - vip: true
  - action: utter_vip
- story: normal customer
  steps:
  - intent: check
  - slot_was_set:
    - vip: false
  - action: utter_normal
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
"""
FAST = {"epochs": 60, "random_seed": 7, "transformer_size": 32, "embedding_dimension": 10, "learning_rate": 0.005}

# the vip story now ends with a follow-up question: a small change of the stories
CHANGED = STORIES.replace("  - action: utter_vip\n", "  - action: utter_vip\n  - action: utter_normal\n", 1)


def _stories(text: str = STORIES) -> TrainingStories:
    blocks = read_story_text(text)
    return TrainingStories(blocks, expand_stories(blocks))


def _user(intent: str) -> list[Event]:
    return [ActionExecuted("action_listen"), UserUttered(intent, {"intent": {"name": intent, "confidence": 1.0}})]


def _best(policy: TEDPolicy, domain: Domain, events: list[Event]) -> str:
    tracker = DialogueStateTracker.from_events("test", events, domain.slots)
    return domain.action_names_or_texts[policy.predict(tracker, domain).max_confidence_index]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.from_dict(DOMAIN)


@pytest.fixture(scope="module")
def saved(domain: Domain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    policy = TEDPolicy.create({"max_history": 5, **FAST})
    policy.train(_stories(), domain)
    folder = tmp_path_factory.mktemp("ted")
    policy.persist(folder)
    return folder


def _loaded(folder: Path, **options: object) -> TEDPolicy:
    return TEDPolicy.load(TEDPolicy.Config(**{"max_history": 5, **FAST, **options}), folder)


def _distance(first: TEDPolicy, second: TEDPolicy) -> float:
    assert first.model is not None and second.model is not None
    return max(float(np.abs(first.model.weights[name] - second.model.weights[name]).max())
               for name in first.model.weights)


def test_finetune_starts_from_the_loaded_weights(saved: Path, domain: Domain) -> None:
    before = _loaded(saved)
    # one epoch at a learning rate too small to move anything: the weights stay the loaded ones
    tuned = _loaded(saved, learning_rate=1e-9)
    tuned.finetune(_stories(CHANGED), domain, epoch_fraction=0.01)
    assert tuned.finetuned_epochs == 1
    assert _distance(before, tuned) < 1e-4
    # a fresh network with the same options is far from them
    fresh = TEDPolicy.create({"max_history": 5, **FAST, "epochs": 1, "learning_rate": 1e-9})
    fresh.train(_stories(CHANGED), domain)
    assert _distance(before, fresh) > 0.01


def test_finetune_runs_a_fraction_of_the_epochs_and_learns_the_change(saved: Path, domain: Domain) -> None:
    tuned = _loaded(saved)
    tuned.finetune(_stories(CHANGED), domain, epoch_fraction=0.5)
    assert tuned.finetuned_epochs == FAST["epochs"] // 2
    history = [*_user("check"), SlotSet("vip", True), ActionExecuted("utter_vip")]
    assert _best(tuned, domain, history) == "utter_normal"  # what the changed story says
    assert _best(tuned, domain, _user("greet")) == "utter_greet"  # what it knew before


def test_finetune_refuses_a_changed_domain(saved: Path) -> None:
    changed = Domain.from_dict({**DOMAIN, "intents": [*DOMAIN["intents"], "thanks"]})
    with pytest.raises(InvalidModel, match="thanks"):
        _loaded(saved).finetune(_stories(), changed, epoch_fraction=0.5)


def test_ensemble_finetunes_ted_and_retrains_the_rules(domain: Domain, tmp_path: Path) -> None:
    config = [{"name": "RulePolicy"}, {"name": "TEDPolicy", "max_history": 5, **FAST, "epochs": 10}]
    first = PolicyEnsemble.from_config(config)
    first.train(_stories(), domain)
    first.persist(tmp_path)
    second, previous = PolicyEnsemble.from_config(config), PolicyEnsemble.load(tmp_path)
    rules = second.policies[0]
    second.finetune(previous, _stories(CHANGED), domain, epoch_fraction=0.3)
    ted = second.policies[1]
    assert ted is previous.policies[1] and isinstance(ted, TEDPolicy) and ted.finetuned_epochs == 3
    assert second.policies[0] is rules  # trained afresh, not the loaded one
    other = PolicyEnsemble.from_config([{"name": "TEDPolicy", **FAST}])
    with pytest.raises(InvalidModel, match="other policies"):
        other.finetune(PolicyEnsemble.load(tmp_path), _stories(), domain, epoch_fraction=0.5)
