"""MemoizationPolicy / AugmentedMemoizationPolicy: exact recall, ambiguity, history cuts."""

from __future__ import annotations

from policy_helpers import predicted, tracker_of, training, user

from bot.core.policies.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from bot.core.policies.ml_states import ml_past_states
from bot.shared.core.events import ActionExecuted, SlotSet

STORIES = """
stories:
- story: happy
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
- story: sad
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_unhappy
  - action: utter_cheer_up
  - action: utter_did_that_help
"""


def test_recalls_story_turn_with_full_confidence(domain):
    policy = MemoizationPolicy.create({})
    policy.train(training(STORIES), domain)
    tracker = tracker_of(domain, "action_listen", user("greet"), "utter_greet", "action_listen", user("mood_unhappy"))
    prediction = policy.predict(tracker, domain)
    assert predicted(prediction, domain) == "utter_cheer_up"
    assert prediction.max_confidence == 1.0
    assert prediction.policy_priority == 3
    tracker.update(ActionExecuted("utter_cheer_up"))
    assert predicted(policy.predict(tracker, domain), domain) == "utter_did_that_help"


def test_unknown_history_gives_all_zeros(domain):
    policy = MemoizationPolicy.create({})
    policy.train(training(STORIES), domain)
    tracker = tracker_of(domain, "action_listen", user("goodbye"))
    assert policy.predict(tracker, domain).max_confidence == 0.0


def test_conflicting_examples_are_forgotten(domain):
    policy = MemoizationPolicy.create({})
    policy.train(training("""
        stories:
        - story: a
          steps:
          - intent: greet
          - action: utter_greet
        - story: b
          steps:
          - intent: greet
          - action: utter_happy
        - story: c
          steps:
          - intent: goodbye
          - action: utter_goodbye
    """), domain)
    assert policy.predict(tracker_of(domain, "action_listen", user("greet")), domain).max_confidence == 0.0
    assert predicted(policy.predict(tracker_of(domain, "action_listen", user("goodbye")), domain),
                     domain) == "utter_goodbye"


def test_max_history_limits_the_key(domain):
    policy = MemoizationPolicy.create({"max_history": 1})
    policy.train(training(STORIES), domain)
    # with one state of history only the latest user turn counts
    tracker = tracker_of(domain, "action_listen", user("goodbye"), "utter_greet", "action_listen", user("mood_great"))
    assert predicted(policy.predict(tracker, domain), domain) == "utter_happy"
    strict = MemoizationPolicy.create({})
    strict.train(training(STORIES), domain)
    assert strict.predict(tracker, domain).max_confidence == 0.0


def test_augmented_memoization_forgets_old_slots(domain):
    stories = training(STORIES)
    plain = MemoizationPolicy.create({})
    augmented = AugmentedMemoizationPolicy.create({})
    plain.train(stories, domain)
    augmented.train(stories, domain)
    tracker = tracker_of(domain, "action_listen", user("chitchat"), "utter_chitchat", SlotSet("name", "Ann"),
                         "action_listen", user("greet"), "utter_greet", "action_listen", user("mood_great"))
    assert plain.predict(tracker, domain).max_confidence == 0.0
    prediction = augmented.predict(tracker, domain)
    assert predicted(prediction, domain) == "utter_happy"
    assert prediction.policy_name == "AugmentedMemoizationPolicy"


def test_hidden_rule_turns_are_skipped_for_ml_states(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"), ActionExecuted("utter_greet", hide_rule_turn=True),
                         ActionExecuted("action_listen", hide_rule_turn=True), user("chitchat"))
    states = ml_past_states(tracker, domain)
    assert states == [{}, {"user": {"intent": "chitchat"}, "prev_action": {"action_name": "action_listen"}}]


def test_rule_only_slots_are_removed(domain):
    tracker = tracker_of(domain, "action_listen", user("greet"), SlotSet("name", "x"))
    states = ml_past_states(tracker, domain, {"rule_only_slots": ["name"], "rule_only_loops": []})
    assert "slots" not in states[-1]


def test_persist_and_load(domain, tmp_path):
    policy = MemoizationPolicy.create({"max_history": 3})
    policy.train(training(STORIES), domain)
    policy.persist(tmp_path)
    loaded = MemoizationPolicy.load(MemoizationPolicy.Config(max_history=3), tmp_path)
    assert loaded.lookup == policy.lookup
    assert loaded.max_history == 3
