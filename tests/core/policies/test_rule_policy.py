"""RulePolicy: rules, default intents, forms (loops), fallback and training-time checks."""

from __future__ import annotations

import pytest
from policy_helpers import predicted, tracker_of, training, user

from bot.core.policies.rule_policy import RulePolicy
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    LoopInterrupted,
    SlotSet,
)
from bot.shared.errors import InvalidConfig, InvalidTrainingData

RULES = """
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: activate form
  steps:
  - intent: request_form
  - action: some_form
  - active_loop: some_form
- rule: submit form
  condition:
  - active_loop: some_form
  steps:
  - action: some_form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_submit
- rule: chitchat inside the form
  condition:
  - active_loop: some_form
  steps:
  - intent: chitchat
  - action: utter_chitchat
  - action: some_form
  - active_loop: some_form
stories:
- story: goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye
"""


def trained(domain, text=RULES, **options) -> RulePolicy:
    policy = RulePolicy.create(options)
    policy.train(training(text), domain)
    return policy


def test_rule_predicts_action_then_listen(domain):
    policy = trained(domain)
    tracker = tracker_of(domain, "action_listen", user("greet"))
    prediction = policy.predict(tracker, domain)
    assert predicted(prediction, domain) == "utter_greet"
    assert prediction.max_confidence == 1.0 and prediction.policy_priority == 4  # Rasa 3.6
    assert prediction.hide_rule_turn  # no story has this turn
    tracker.update(ActionExecuted("utter_greet"))
    assert predicted(policy.predict(tracker, domain), domain) == "action_listen"


def test_fallback_when_no_rule_applies(domain):
    policy = trained(domain)
    prediction = policy.predict(tracker_of(domain, "action_listen", user("mood_great")), domain)
    assert predicted(prediction, domain) == "action_default_fallback"
    assert prediction.max_confidence == pytest.approx(0.3)
    quiet = trained(domain, enable_fallback_prediction=False)
    assert quiet.predict(tracker_of(domain, "action_listen", user("mood_great")), domain).max_confidence == 0.0


def test_default_intents_map_to_default_actions(domain):
    policy = trained(domain)
    for intent, action in (("restart", "action_restart"), ("back", "action_back"),
                           ("session_start", "action_session_start")):
        prediction = policy.predict(tracker_of(domain, "action_listen", user(intent)), domain)
        assert predicted(prediction, domain) == action


def test_form_happy_path_and_submit(domain):
    policy = trained(domain)
    tracker = tracker_of(domain, "action_listen", user("request_form"))
    assert predicted(policy.predict(tracker, domain), domain) == "some_form"
    tracker.update_with_events([ActionExecuted("some_form"), ActiveLoop("some_form")])
    prediction = policy.predict(tracker, domain)
    assert predicted(prediction, domain) == "action_listen" and prediction.is_no_user_prediction
    tracker.update_with_events([ActionExecuted("action_listen"), user("inform", entities=[{"entity": "name"}])])
    prediction = policy.predict(tracker, domain)
    assert predicted(prediction, domain) == "some_form" and prediction.is_no_user_prediction
    tracker.update_with_events([ActionExecuted("some_form"), ActiveLoop(None), SlotSet("requested_slot", None)])
    assert predicted(policy.predict(tracker, domain), domain) == "utter_submit"


def test_rejected_form_falls_back_to_rules(domain):
    policy = trained(domain)
    tracker = tracker_of(domain, "action_listen", user("request_form"), "some_form", ActiveLoop("some_form"),
                         SlotSet("requested_slot", "name"), "action_listen", user("chitchat"))
    tracker.update(ActionExecutionRejected("some_form"))
    assert predicted(policy.predict(tracker, domain), domain) == "utter_chitchat"
    tracker.update(ActionExecuted("utter_chitchat"))
    assert predicted(policy.predict(tracker, domain), domain) == "some_form"  # back into the form


def test_returning_to_the_form_after_an_unhappy_story_marks_it_interrupted(domain):
    policy = trained(domain, RULES + """
- story: stop and continue
  steps:
  - intent: request_form
  - action: some_form
  - active_loop: some_form
  - intent: stop
  - action: utter_ask_continue
  - intent: affirm
  - action: some_form
""")
    tracker = tracker_of(domain, "action_listen", user("request_form"), "some_form", ActiveLoop("some_form"),
                         "action_listen", user("stop"), ActionExecutionRejected("some_form"), "utter_ask_continue",
                         "action_listen", user("affirm"))
    prediction = policy.predict(tracker, domain)
    # the story (another policy) re-enters the form; the rule policy tells the form not to validate
    assert LoopInterrupted(True) in prediction.events
    assert predicted(prediction, domain) == "action_default_fallback"


def test_conversation_start_rule_only_at_start(domain):
    policy = trained(domain, """
        rules:
        - rule: welcome
          conversation_start: true
          steps:
          - intent: greet
          - action: utter_happy
    """)
    assert predicted(policy.predict(tracker_of(domain, "action_listen", user("greet")), domain),
                     domain) == "utter_happy"
    later = tracker_of(domain, "action_listen", user("goodbye"), "utter_goodbye", "action_listen", user("greet"))
    assert predicted(policy.predict(later, domain), domain) == "action_default_fallback"


def test_slot_condition_and_null_slot(domain):
    policy = trained(domain, """
        rules:
        - rule: confirmed
          condition:
          - slot_was_set:
            - confirmed: true
          steps:
          - intent: affirm
          - action: utter_happy
        - rule: not confirmed
          condition:
          - slot_was_set:
            - confirmed: null
          steps:
          - intent: affirm
          - action: utter_cheer_up
    """)
    assert predicted(policy.predict(tracker_of(domain, SlotSet("confirmed", True), "action_listen", user("affirm")),
                                    domain), domain) == "utter_happy"
    assert predicted(policy.predict(tracker_of(domain, "action_listen", user("affirm")), domain),
                     domain) == "utter_cheer_up"


def test_wait_for_user_input_false_continues_with_other_policies(domain):
    policy = trained(domain, """
        rules:
        - rule: greet then do not listen
          wait_for_user_input: false
          steps:
          - intent: greet
          - action: utter_greet
    """)
    tracker = tracker_of(domain, "action_listen", user("greet"), "utter_greet")
    assert predicted(policy.predict(tracker, domain), domain) == "action_default_fallback"


def test_rules_with_two_user_turns_are_rejected(domain):
    text = """
        rules:
        - rule: too long
          steps:
          - intent: greet
          - action: utter_greet
          - intent: mood_great
          - action: utter_happy
    """
    with pytest.raises(InvalidTrainingData) as error:
        trained(domain, text)
    assert "too long" in str(error.value) and "data/stories.yml:3" in str(error.value)
    trained(domain, text, restrict_rules=False)  # allowed when asked for


def test_contradicting_rule_and_story_named_with_location(domain):
    with pytest.raises(InvalidTrainingData) as error:
        trained(domain, """
            rules:
            - rule: rule_1
              steps:
              - intent: greet
              - action: utter_noworries
            stories:
            - story: ml_story_1
              steps:
              - intent: greet
              - action: utter_greet
        """)
    message = str(error.value)
    assert "ml_story_1" in message and "rule_1" in message and "utter_greet" in message
    assert "data/stories.yml:3" in message and "data/stories.yml:8" in message
    trained(domain, """
        rules:
        - rule: rule_1
          steps:
          - intent: greet
          - action: utter_noworries
        stories:
        - story: ml_story_1
          steps:
          - intent: greet
          - action: utter_greet
    """, check_for_contradictions=False)


def test_contradicting_rules(domain):
    with pytest.raises(InvalidTrainingData, match="rule_a"):
        trained(domain, """
            rules:
            - rule: rule_a
              steps:
              - intent: greet
              - action: utter_greet
            - rule: rule_b
              steps:
              - intent: greet
              - action: utter_happy
        """)


def test_incomplete_rule(domain):
    with pytest.raises(InvalidTrainingData, match="incomplete rules") as error:
        trained(domain, """
            rules:
            - rule: sets the slot
              steps:
              - intent: greet
              - action: action_custom
              - slot_was_set:
                - confirmed: true
            - rule: forgets the slot
              steps:
              - intent: affirm
              - action: action_custom
        """)
    assert "forgets the slot" in str(error.value) and "confirmed" in str(error.value)


def test_unknown_fallback_action_is_a_config_error(domain):
    with pytest.raises(InvalidConfig, match="action_nope"):
        trained(domain, core_fallback_action_name="action_nope")


def test_end_to_end_rule_uses_text(domain):
    policy = trained(domain, """
        rules:
        - rule: text rule
          steps:
          - user: hello robot
          - action: utter_happy
    """)
    prediction = policy.predict(tracker_of(domain, "action_listen", user("greet", text="hello robot")), domain)
    assert predicted(prediction, domain) == "utter_happy" and prediction.is_end_to_end_prediction


def test_persist_and_load(domain, tmp_path):
    policy = trained(domain)
    policy.persist(tmp_path)
    loaded = RulePolicy.load(RulePolicy.Config(), tmp_path)
    tracker = tracker_of(domain, "action_listen", user("greet"))
    assert loaded.predict(tracker, domain).probabilities == policy.predict(tracker, domain).probabilities


def test_key_index_finds_exactly_what_trying_every_rule_finds(domain):
    import itertools

    from bot.core.policies.rule_data import KeyIndex, _fits, key_states
    from bot.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    policy = trained(domain)
    for part in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        keys = policy.lookup[part]
        index = KeyIndex(keys)
        # Conversations made of the rules' own states, recombined, with features dropped or swapped.
        pieces = [list(key_states(key)) for key in keys]
        variants = []
        for states in pieces:
            variants.append(states)
            last = states[-1]
            variants.append([*states[:-1], {k: v for k, v in last.items() if k != "user"}])
            variants.append([*states[:-1], {**last, "prev_action": {"action_name": "action_listen"}}])
        variants += [a + b for a, b in itertools.islice(itertools.product(pieces, repeat=2), 400)]
        assert variants
        for states in variants:
            brute = {key for key in keys if _fits(key_states(key), states)}
            assert set(index.matching(states)) == brute
            assert len(index.matching(states)) == len(brute)  # no key twice
