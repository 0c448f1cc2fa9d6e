"""States -> vectors, the vocabulary check, and the histories ML policies see."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.featurizers import (
    StateFeaturizer,
    StateHistoryCache,
    Vocabulary,
    prediction_states,
    rule_only_names,
    training_windows,
    uses_text,
)
from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from bot.shared.core.stories_yaml import read_story_text
from bot.shared.core.story_graph import expand_stories
from bot.shared.errors import InvalidModel

DOMAIN = {
    "intents": ["greet", "inform"],
    "entities": ["city"],
    "slots": {
        "vip": {"type": "bool", "influence_conversation": True, "mappings": [{"type": "custom"}]},
        "note": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    },
    "responses": {"utter_greet": [{"text": "hi"}], "utter_ask_city": [{"text": "where?"}]},
    "forms": {"city_form": {"required_slots": []}},
}


@pytest.fixture
def domain() -> Domain:
    return Domain.from_dict(DOMAIN)


def _hot(featurizer: StateFeaturizer, vector: np.ndarray) -> set[str]:
    """Names of the non-zero positions, to assert on meaning rather than offsets."""
    vocab = featurizer.vocabulary
    names = ([f"intent:{n}" for n in vocab.intents] + [f"entity:{n}" for n in vocab.entities]
             + [f"action:{n}" for n in vocab.actions] + [f"loop:{n}" for n in vocab.loops]
             + [f"slot:{n}:{i}" for n, size in vocab.slots for i in range(size)])
    return {names[i] for i in np.flatnonzero(vector) if i < len(names)}


def test_state_is_encoded_by_name(domain: Domain) -> None:
    featurizer = StateFeaturizer.from_domain(domain)
    state = {"user": {"intent": "inform", "entities": ("city",)}, "prev_action": {"action_name": "action_listen"},
             "active_loop": {"name": "city_form"}, "slots": {"vip": (1.0, 1.0)}}
    vector = featurizer.encode(state)
    assert vector.shape == (featurizer.dimension,)
    assert _hot(featurizer, vector) == {"intent:inform", "entity:city", "action:action_listen", "loop:city_form",
                                        "slot:vip:0", "slot:vip:1"}


def test_slot_values_keep_their_magnitude(domain: Domain) -> None:
    featurizer = StateFeaturizer.from_domain(domain)
    vector = featurizer.encode({"slots": {"vip": (1.0, 0.0)}})
    assert _hot(featurizer, vector) == {"slot:vip:0"}


def test_slots_that_do_not_influence_are_not_features(domain: Domain) -> None:
    assert [name for name, _ in Vocabulary.from_domain(domain).slots] == ["vip"]


def test_user_part_counts_only_right_after_listen(domain: Domain) -> None:
    featurizer = StateFeaturizer.from_domain(domain)
    state = {"user": {"intent": "greet"}, "prev_action": {"action_name": "utter_greet"}}
    assert _hot(featurizer, featurizer.encode(state)) == {"action:utter_greet"}


def test_unknown_names_are_left_out(domain: Domain) -> None:
    featurizer = StateFeaturizer.from_domain(domain)
    state = {"user": {"intent": "never_seen"}, "prev_action": {"action_name": "action_listen"},
             "slots": {"unknown_slot": (1.0,)}}
    assert _hot(featurizer, featurizer.encode(state)) == {"action:action_listen"}


def test_end_to_end_text_is_hashed_stably(domain: Domain) -> None:
    featurizer = StateFeaturizer.from_domain(domain, text_buckets=64)
    state = {"user": {"text": "Hello there"}, "prev_action": {"action_name": "action_listen"}}
    first = featurizer.encode(state)
    assert np.array_equal(first, StateFeaturizer.from_domain(domain, text_buckets=64).encode(state))
    assert first.sum() == 3.0  # action_listen + two words
    assert uses_text([state]) and not uses_text([{"user": {"intent": "greet", "text": "hi"}}])
    assert StateFeaturizer.from_domain(domain).encode(state).sum() == 1.0  # no buckets: text ignored


def test_vocabulary_round_trip_and_domain_check(domain: Domain) -> None:
    featurizer = StateFeaturizer(Vocabulary.from_dict(Vocabulary.from_domain(domain).as_dict()))
    featurizer.check_domain(domain)
    changed = Domain.from_dict({**DOMAIN, "intents": ["greet", "inform", "goodbye"]})
    with pytest.raises(InvalidModel) as error:
        featurizer.check_domain(changed)
    assert "added goodbye" in str(error.value) and "retrain" in str(error.value.hint)


def test_training_windows_respect_max_history(domain: Domain) -> None:
    blocks = read_story_text("""
stories:
- story: s
  steps:
  - intent: greet
  - action: utter_greet
  - intent: inform
  - action: utter_ask_city
""")
    windows, labels = training_windows(expand_stories(blocks), domain, history_length=2)
    assert labels == ["action_listen", "utter_greet", "action_listen", "utter_ask_city", "action_listen"]
    assert [len(w) for w in windows] == [1, 2, 2, 2, 2]
    assert windows[3][-1]["user"]["intent"] == "inform"


def test_hidden_rule_turns_are_skipped(domain: Domain) -> None:
    tracker = DialogueStateTracker("u", domain.slots)
    for event in [SessionStarted(), ActionExecuted("action_listen"), UserUttered("hi", {"intent": {"name": "greet"}}),
                  ActionExecuted("utter_greet", hide_rule_turn=True)]:
        tracker.update(event)
    shown = prediction_states(tracker, domain)
    full = prediction_states(tracker, domain, ignore_rule_only_turns=False)
    assert len(full) == len(shown) + 1
    # the current state looks as if the rule's action had not happened
    assert shown[-1]["prev_action"] == {"action_name": "action_listen"}
    assert full[-1]["prev_action"] == {"action_name": "utter_greet"}


def test_rule_only_slots_and_loops_are_removed(domain: Domain) -> None:
    tracker = DialogueStateTracker("u", domain.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"intent": {"name": "greet"}}),
                  SlotSet("vip", True), ActiveLoop("city_form")]:
        tracker.update(event)
    states = prediction_states(tracker, domain, rule_only_slots=["vip"], rule_only_loops=["city_form"])
    assert "slots" not in states[-1] and "active_loop" not in states[-1]
    assert prediction_states(tracker, domain)[-1]["slots"] == {"vip": (1.0, 1.0)}


def test_rule_only_names() -> None:
    rules = [[{"event": "slot", "name": "a", "value": 1}, {"event": "active_loop", "name": "f"}]]
    stories = [[{"event": "slot", "name": "b", "value": 1}, {"event": "active_loop", "name": "f"}]]
    assert rule_only_names(rules, stories) == (["a"], [])


def test_cached_histories_match_a_fresh_replay(domain: Domain) -> None:
    cache = StateHistoryCache(size=1)
    tracker = DialogueStateTracker("u", domain.slots)
    events = [SessionStarted(), ActionExecuted("action_listen"), UserUttered("hi", {"intent": {"name": "greet"}}),
              ActionExecuted("utter_greet", hide_rule_turn=True), ActionExecuted("action_listen"),
              UserUttered("x", {"intent": {"name": "inform"}}), SlotSet("vip", True), ActionExecuted("utter_ask_city")]
    for event in events:
        tracker.update(event)
        assert cache.states(tracker, domain) == prediction_states(tracker, domain)
    other = DialogueStateTracker("other", domain.slots)  # evicts "u" (size 1); a new conversation starts clean
    assert cache.states(other, domain) == [{}]
    restarted = DialogueStateTracker("u", domain.slots)
    restarted.update(ActionExecuted("action_listen"))
    assert cache.states(restarted, domain) == prediction_states(restarted, domain)
