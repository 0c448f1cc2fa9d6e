"""PolicyEnsemble: building, vote combination (Rasa 3 rules), persistence, real bots' test stories."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import tracker_of, training, user
from story_eval import evaluate_test_stories, train_bot

from bot.core.policies import ensemble as ensemble_module
from bot.core.policies.ensemble import DEFAULT_POLICIES, PolicyEnsemble, combine_predictions
from bot.core.policies.memoization import MemoizationPolicy
from bot.core.policies.policy import Policy, PolicyPrediction
from bot.shared.core.events import ActionExecuted, ActionExecutionRejected, DefinePrevUserUtteredFeaturization
from bot.shared.errors import InvalidConfig

BOTS = Path("/work/shared/rasa-bots")
NO_TED = [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}]


def vote(domain, action: str, confidence: float, priority: int, name: str = "P", **flags) -> PolicyPrediction:
    scores = [0.0] * len(domain.action_names_or_texts)
    scores[domain.index_for_action(action)] = confidence
    return PolicyPrediction(scores, name, priority, **flags)


def winner(domain, prediction: PolicyPrediction) -> str:
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_highest_confidence_wins_then_priority(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"))
    best = combine_predictions([vote(domain, "utter_greet", 0.8, 1), vote(domain, "utter_happy", 0.9, 0)],
                               tracker, domain)
    assert winner(domain, best) == "utter_happy"
    tie = combine_predictions([vote(domain, "utter_greet", 1.0, 3, "Memo"), vote(domain, "utter_happy", 1.0, 6, "Rule")],
                              tracker, domain)
    assert winner(domain, tie) == "utter_happy" and tie.policy_name == "Rule"
    assert DefinePrevUserUtteredFeaturization(False) in tie.events


def test_no_user_and_end_to_end_predictions_win(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"))
    no_user = combine_predictions([vote(domain, "utter_greet", 1.0, 6),
                                   vote(domain, "some_form", 0.5, 1, is_no_user_prediction=True)], tracker, domain)
    assert winner(domain, no_user) == "some_form"
    e2e = combine_predictions([vote(domain, "utter_greet", 1.0, 6),
                               vote(domain, "utter_happy", 0.4, 1, is_end_to_end_prediction=True)], tracker, domain)
    assert winner(domain, e2e) == "utter_happy"
    assert DefinePrevUserUtteredFeaturization(True) in e2e.events


def test_rejected_action_is_zeroed_everywhere(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"), ActionExecutionRejected("utter_greet"))
    best = combine_predictions([vote(domain, "utter_greet", 1.0, 6), vote(domain, "utter_happy", 0.2, 1)],
                               tracker, domain)
    assert winner(domain, best) == "utter_happy"
    # a rejection followed by an executed action no longer counts
    tracker.update(ActionExecuted("utter_happy"))
    best = combine_predictions([vote(domain, "utter_greet", 1.0, 6), vote(domain, "utter_happy", 0.2, 1)],
                               tracker, domain)
    assert winner(domain, best) == "utter_greet"


def test_events_of_all_predictions_are_kept(domain):
    from bot.shared.core.events import LoopInterrupted

    tracker = tracker_of(domain, "action_listen", user("greet"))
    best = combine_predictions([vote(domain, "utter_greet", 1.0, 3),
                                vote(domain, "action_default_fallback", 0.3, 6, events=[LoopInterrupted(True)])],
                               tracker, domain)
    assert winner(domain, best) == "utter_greet" and LoopInterrupted(True) in best.events


def test_empty_config_builds_rasa_default_policies(monkeypatch):
    built = []

    def fake_policy_class(name, index=None):
        class Fake(Policy):
            pass
        Fake.name = name
        Fake.default_priority = index or 0
        built.append(name)
        return Fake

    monkeypatch.setattr(ensemble_module, "policy_class", fake_policy_class)
    ensemble = PolicyEnsemble.from_config([])
    assert built == [p["name"] for p in DEFAULT_POLICIES]
    assert [p.name for p in ensemble.policies] == built


def test_unknown_policy_name_is_a_config_error():
    with pytest.raises(InvalidConfig, match="did you mean 'RulePolicy'"):
        PolicyEnsemble.from_config([{"name": "RulesPolicy"}])


def test_forms_need_the_rule_policy(domain):
    ensemble = PolicyEnsemble.from_config([{"name": "MemoizationPolicy"}])
    with pytest.raises(InvalidConfig, match="RulePolicy"):
        ensemble.train(training("stories: []"), domain)


class _Fixed(Policy):
    """A policy that always votes the same and counts how often it was asked."""

    name = "Fixed"

    def __init__(self, action: str, confidence: float, priority: int, **flags) -> None:
        super().__init__(Policy.Config(priority=priority))
        self.action, self.confidence, self.flags, self.asked = action, confidence, flags, 0

    def predict(self, tracker, domain) -> PolicyPrediction:
        self.asked += 1
        return vote(domain, self.action, self.confidence, self.priority, f"Fixed{self.priority}", **self.flags)


class _FixedRules(_Fixed):
    makes_plain_predictions = False


def test_a_certain_policy_spares_asking_lower_plain_ones(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"))
    ted, rules = _Fixed("utter_happy", 0.99, 1), _FixedRules("utter_greet", 1.0, 6)
    ensemble = PolicyEnsemble([ted, rules])
    assert ensemble.predict(tracker, domain)[0] == "utter_greet"
    assert (rules.asked, ted.asked) == (1, 0)
    # Not certain: everyone votes, and the higher confidence wins.
    unsure = _FixedRules("utter_greet", 0.3, 6)
    ensemble = PolicyEnsemble([ted, unsure])
    assert ensemble.predict(tracker, domain)[0] == "utter_happy" and ted.asked == 1
    # A rejected action: the certain vote may be zeroed, so everyone votes.
    rejected = tracker_of(domain, "action_listen", user("greet"), ActionExecutionRejected("utter_greet"))
    ensemble = PolicyEnsemble([ted, rules])
    assert ensemble.predict(rejected, domain)[0] == "utter_happy" and ted.asked == 2
    # A lower policy that may predict end-to-end or without the user is still asked.
    no_user = _FixedRules("utter_happy", 0.5, 1, is_no_user_prediction=True)
    ensemble = PolicyEnsemble([_Fixed("utter_greet", 1.0, 6), no_user])
    assert ensemble.predict(tracker, domain)[0] == "utter_happy" and no_user.asked == 1


def test_skipping_keeps_rasas_tie_breaks(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"))
    first, second = _Fixed("utter_greet", 1.0, 3), _Fixed("utter_happy", 1.0, 3)
    assert PolicyEnsemble([first, second]).predict(tracker, domain)[0] == "utter_greet"  # listed first wins
    low, high = _Fixed("utter_greet", 1.0, 2), _Fixed("utter_happy", 1.0, 5)
    assert PolicyEnsemble([low, high]).predict(tracker, domain)[0] == "utter_happy"  # then priority
    assert low.asked == 0


def test_train_predict_persist_load(domain, tmp_path):
    stories = training("""
        rules:
        - rule: bye
          steps:
          - intent: goodbye
          - action: utter_goodbye
        stories:
        - story: greet
          steps:
          - intent: greet
          - action: utter_greet
    """)
    ensemble = PolicyEnsemble.from_config(NO_TED)
    ensemble.train(stories, domain)
    memo = ensemble.policies[0]
    assert isinstance(memo, MemoizationPolicy) and memo.rule_only_data == {"rule_only_slots": [],
                                                                           "rule_only_loops": []}
    tracker = tracker_of(domain, "action_listen", user("greet"))
    action, prediction = ensemble.predict(tracker, domain)
    assert (action, prediction.policy_name) == ("utter_greet", "MemoizationPolicy")
    action, prediction = ensemble.predict(tracker_of(domain, "action_listen", user("goodbye")), domain)
    assert (action, prediction.policy_name, prediction.hide_rule_turn) == ("utter_goodbye", "RulePolicy", True)
    action, _ = ensemble.predict(tracker_of(domain, "action_listen", user("mood_great")), domain)
    assert action == "action_default_fallback"

    ensemble.persist(tmp_path / "policies")
    loaded = PolicyEnsemble.load(tmp_path / "policies")
    assert [p.name for p in loaded.policies] == ["MemoizationPolicy", "RulePolicy"]
    assert loaded.predict(tracker, domain)[0] == "utter_greet"


@pytest.mark.parametrize("bot", ["rasa-init-moodbot", "form-01-actions", "rasa-examples-formbot"])
def test_real_bot_test_stories_pass_without_ted(bot):
    ensemble, domain = train_bot(BOTS / bot, NO_TED)
    results = evaluate_test_stories(ensemble, domain, BOTS / bot / "tests" / "test_stories.yml")
    assert results
    failures = [(name, expected, got) for name, expected, got in results if expected != got]
    assert not failures
