"""KeywordIntentClassifier: word-boundary matching, case, ambiguity, persistence."""

from __future__ import annotations

import logging

from bot.nlu.registry import component_class
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def _trained(examples, **options):
    classifier = component_class("KeywordIntentClassifier").create(options)
    classifier.train(TrainingData([Message.from_text(t, intent=i) for t, i in examples]))
    return classifier


def _intent(classifier, text):
    message = Message.from_text(text)
    classifier.process([message])
    return message.get("intent")


def test_keyword_match_on_word_boundaries():
    classifier = _trained([("hallo", "greet"), ("tschüss", "goodbye"), ("c++", "lang")])
    assert _intent(classifier, "na hallo du") == {"name": "greet", "confidence": 1.0}
    assert _intent(classifier, "hallodri") == {"name": None, "confidence": 0.0}
    assert _intent(classifier, "ich mag c++")["name"] == "lang"  # keywords are escaped, not regexes


def test_case_sensitive_default_and_option():
    assert _intent(_trained([("Hallo", "greet")]), "hallo")["name"] is None
    assert _intent(_trained([("Hallo", "greet")], case_sensitive=False), "HALLO")["name"] == "greet"


def test_ambiguous_keywords_are_dropped_with_warning(caplog):
    with caplog.at_level(logging.WARNING):
        classifier = _trained([("hey", "greet"), ("hey", "other"), ("hi", "greet"), ("hi there", "chitchat")])
    assert "hey" not in classifier.keywords and "hi" not in classifier.keywords
    assert classifier.keywords == {"hi there": "chitchat"}
    assert "'hey'" in caplog.text and "part of keyword 'hi there'" in caplog.text


def test_keeps_earlier_intent_when_nothing_matches():
    classifier = _trained([("hallo", "greet")])
    message = Message.from_text("wetter", intent={"name": "weather", "confidence": 0.9})
    classifier.process([message])
    assert message.get("intent")["name"] == "weather"


def test_persist_and_load(tmp_path):
    classifier = _trained([("Hallo", "greet")], case_sensitive=False)
    classifier.persist(tmp_path)
    loaded = type(classifier).load(classifier.config, tmp_path)
    assert _intent(loaded, "hallo zusammen")["name"] == "greet"


def test_first_trained_keyword_wins_when_several_match():
    classifier = _trained([("tschüss", "goodbye"), ("hallo", "greet")])
    assert _intent(classifier, "hallo und tschüss")["name"] == "goodbye"
