"""Entities written in story and rule steps set the slots they fill, as Rasa does when it reads them."""

from __future__ import annotations

from policy_helpers import make_domain, predicted, tracker_of, training, user

from bot.core.policies.memoization import MemoizationPolicy
from bot.core.policies.rule_policy import RulePolicy
from bot.core.training_events import slots_for_entities, story_events
from bot.shared.core.events import SlotSet

DOMAIN = """
intents: [greet, inform]
entities: [account_type, name]
slots:
  account_type:
    type: categorical
    values: [savings, checking]
    mappings: [{type: from_entity, entity: account_type}]
  names:
    type: list
    influence_conversation: false
    mappings: [{type: from_entity, entity: name}]
  form_only:
    type: text
    mappings:
    - type: from_entity
      entity: name
      conditions: [{active_loop: some_form}]
forms:
  some_form:
    required_slots: [form_only]
responses:
  utter_savings: [{text: savings}]
  utter_checking: [{text: checking}]
  utter_greet: [{text: hi}]
"""

RULES = """
rules:
- rule: savings
  steps:
  - intent: inform
    entities:
    - account_type: savings
  - action: utter_savings
- rule: checking
  steps:
  - intent: inform
    entities:
    - account_type: checking
  - action: utter_checking
"""


def test_rules_that_differ_only_by_an_entity_value_are_not_contradictory():
    domain = make_domain(DOMAIN)
    policy = RulePolicy.create({})
    policy.train(training(RULES), domain)  # raised "contradicting rules" before entities set slots
    for value, expected in (("savings", "utter_savings"), ("checking", "utter_checking")):
        entities = [{"entity": "account_type", "value": value}]
        tracker = tracker_of(domain, "action_listen", user("inform", entities=entities),
                             SlotSet("account_type", value))
        assert predicted(policy.predict(tracker, domain), domain) == expected


def test_story_events_carry_the_slots_of_unconditioned_from_entity_mappings():
    domain = make_domain(DOMAIN)
    stories = training("""
        stories:
        - story: names
          steps:
          - intent: greet
            entities:
            - name: Ann
            - name: Bo
            - account_type: savings
          - action: utter_greet
        """)
    events = story_events(stories.trajectories[0], domain)
    slots = [(e.key, e.value) for e in events if isinstance(e, SlotSet)]
    # the list slot takes every value; the mapping tied to a form sets nothing outside it
    assert slots == [("account_type", "savings"), ("names", ["Ann", "Bo"])]


def test_memoization_learns_the_slot_an_entity_sets():
    domain = make_domain(DOMAIN)
    policy = MemoizationPolicy.create({})
    policy.train(training(RULES.replace("rules:", "stories:").replace("- rule:", "- story:")), domain)
    tracker = tracker_of(domain, "action_listen", user("inform", entities=[{"entity": "account_type",
                                                                            "value": "checking"}]),
                         SlotSet("account_type", "checking"))
    assert predicted(policy.predict(tracker, domain), domain) == "utter_checking"


def test_no_slots_when_the_domain_does_not_store_entities_as_slots():
    domain = make_domain(DOMAIN + "\nconfig:\n  store_entities_as_slots: false\n")
    assert slots_for_entities(domain, [{"entity": "account_type", "value": "savings"}]) == []
