"""FallbackClassifier: threshold, ambiguity, ranking insertion."""

from __future__ import annotations

import pytest

from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Message


def _parse(ranking, **options):
    message = Message.from_text("x", intent=dict(ranking[0]) if ranking else None, intent_ranking=ranking)
    component_class("FallbackClassifier").create(options).process([message])
    return message


def test_confident_prediction_is_kept():
    message = _parse([{"name": "greet", "confidence": 0.9}, {"name": "bye", "confidence": 0.05}])
    assert message.get("intent") == {"name": "greet", "confidence": 0.9}
    assert len(message.get("intent_ranking")) == 2


def test_low_confidence_falls_back_and_is_ranked_first():
    message = _parse([{"name": "greet", "confidence": 0.6}, {"name": "bye", "confidence": 0.1}], threshold=0.7)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.7}
    assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "greet", "bye"]


def test_ambiguous_prediction_falls_back():
    message = _parse([{"name": "greet", "confidence": 0.5}, {"name": "bye", "confidence": 0.45}])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.3}
    assert _parse([{"name": "greet", "confidence": 0.5}, {"name": "bye", "confidence": 0.45}],
                  ambiguity_threshold=0.01).get("intent")["name"] == "greet"


def test_no_intent_falls_back():
    message = Message.from_text("x")
    component_class("FallbackClassifier").create({}).process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking") == [{"name": "nlu_fallback", "confidence": 0.3}]


def test_threshold_out_of_range():
    with pytest.raises(InvalidConfig, match="threshold"):
        component_class("FallbackClassifier").create({"threshold": 1.5})


def test_persist_and_load(tmp_path):
    classifier = component_class("FallbackClassifier").create({"threshold": 0.8})
    classifier.persist(tmp_path)
    loaded = type(classifier).load(classifier.config, tmp_path)
    message = Message.from_text("x", intent={"name": "greet", "confidence": 0.75})
    loaded.process([message])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.8}
