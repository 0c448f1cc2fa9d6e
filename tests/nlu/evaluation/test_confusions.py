"""Confused intent pairs: both directions of a pair together, most first, a fallback looked through."""

from __future__ import annotations

import json

from bot.nlu.evaluation import write_reports
from bot.nlu.evaluation.confusions import confused_pairs
from bot.nlu.evaluation.results import ExampleResult


def result(text: str, gold: str, predicted: str, confidence: float, underlying: str = "") -> ExampleResult:
    return ExampleResult(text=text, gold_intent=gold, predicted_intent=predicted, confidence=confidence,
                         predicted_without_fallback=underlying or predicted)


RESULTS = [
    result("2", "inform_guests", "inform_time", 0.61),
    result("for 4", "inform_guests", "inform_time", 0.83),
    result("at 8", "inform_time", "inform_guests", 0.55),
    result("yes please", "affirm", "inform_guests", 0.40),
    result("hi", "greet", "greet", 0.99),
    # rejected by the fallback: counts for what the classifier chose
    result("Test User", "inform_name", "nlu_fallback", 0.25, underlying="affirm"),
    result("ok", "affirm", "nlu_fallback", 0.28, underlying="affirm"),  # right choice, low confidence: no pair
]


def test_pairs_join_both_directions_and_the_most_confused_comes_first():
    pairs = confused_pairs(RESULTS)
    assert [(p.first, p.second, p.count) for p in pairs] == [
        ("inform_guests", "inform_time", 3), ("affirm", "inform_guests", 1), ("inform_name", "affirm", 1)]
    top = pairs[0]
    assert [r.text for r in top.first_as_second] == ["2", "for 4"] and [r.text for r in top.second_as_first] == ["at 8"]
    # one example per direction, the most confident mistake first
    assert [r.text for r in top.examples()] == ["for 4", "at 8"]


def test_a_fallback_counts_for_the_intent_chosen_under_it():
    pair = next(p for p in confused_pairs(RESULTS) if "inform_name" in (p.first, p.second))
    entry = pair.as_dict()
    assert entry["intents"] == ["inform_name", "affirm"]
    assert entry["examples"] == [{"text": "Test User", "intent": "inform_name", "predicted": "affirm",
                                  "confidence": 0.25, "fell_back": True}]
    assert confused_pairs([r for r in RESULTS if r.gold_intent == "greet"]) == []


def test_reports_include_the_pairs(tmp_path):
    written = write_reports(RESULTS, tmp_path, [], plots=False)
    pairs = json.loads((tmp_path / "intent_confusions.json").read_text())
    assert tmp_path / "intent_confusions.json" in written.files
    assert pairs[0]["intents"] == ["inform_guests", "inform_time"] and pairs[0]["count"] == 3
    assert pairs[0]["inform_guests -> inform_time"] == 2 and pairs[0]["inform_time -> inform_guests"] == 1
    assert pairs[0]["examples"][0]["text"] == "for 4"
