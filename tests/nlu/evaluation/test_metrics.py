"""NLU evaluation figures checked against values computed by hand and against scikit-learn's."""

from __future__ import annotations

import math

import pytest
from sklearn.metrics import f1_score, precision_recall_fscore_support

from bot.nlu.evaluation import ExampleResult, entity_span_scores, intent_scores, label_report, summarise
from bot.nlu.evaluation.metrics import NO_ENTITY, entity_token_pairs, token_labels
from bot.nlu.evaluation.plots import labels_by_errors

# Six messages: greet 3 (one predicted as bye), bye 2 (both right), ask 1 (predicted as greet).
GOLD = ["greet", "greet", "greet", "bye", "bye", "ask"]
PREDICTED = ["greet", "greet", "bye", "bye", "bye", "greet"]


def test_intent_report_matches_hand_computed_values():
    report = label_report(GOLD, PREDICTED)
    # greet: 2 right of 3 predicted (precision 2/3), 2 of 3 found (recall 2/3), F1 2/3
    assert math.isclose(report["greet"]["precision"], 2 / 3)
    assert math.isclose(report["greet"]["recall"], 2 / 3)
    assert math.isclose(report["greet"]["f1-score"], 2 / 3)
    # bye: 2 right of 3 predicted, 2 of 2 found: F1 = 2 * (2/3 * 1) / (2/3 + 1) = 0.8
    assert math.isclose(report["bye"]["f1-score"], 0.8)
    assert report["ask"]["f1-score"] == 0.0 and report["ask"]["support"] == 1
    assert math.isclose(report["accuracy"], 4 / 6)
    assert math.isclose(report["macro avg"]["f1-score"], (2 / 3 + 0.8 + 0) / 3)
    assert report["greet"]["confused_with"] == {"bye": 1}
    assert report["ask"]["confused_with"] == {"greet": 1}
    assert report["bye"]["confused_with"] == {}


def test_intent_report_agrees_with_scikit_learn():
    report = label_report(GOLD, PREDICTED)
    labels = sorted(set(GOLD) | set(PREDICTED))
    precision, recall, f1, support = precision_recall_fscore_support(GOLD, PREDICTED, labels=labels, zero_division=0)
    for index, label in enumerate(labels):
        assert math.isclose(report[label]["precision"], precision[index])
        assert math.isclose(report[label]["recall"], recall[index])
        assert math.isclose(report[label]["f1-score"], f1[index])
        assert report[label]["support"] == support[index]
    assert math.isclose(report["weighted avg"]["f1-score"], f1_score(GOLD, PREDICTED, average="weighted"))


def test_intent_scores_count_a_fallback_as_wrong():
    scores = intent_scores(["a", "a", "b"], ["a", "nlu_fallback", "b"])
    assert math.isclose(scores["intent_accuracy"], 2 / 3)
    # macro over the gold labels only: a has F1 2*1*0.5/1.5 = 2/3, b has 1
    assert math.isclose(scores["intent_macro_f1"], (2 / 3 + 1) / 2)


def _entity(kind: str, start: int, end: int, extractor: str | None = None) -> dict:
    entity = {"entity": kind, "start": start, "end": end, "value": "x"}
    if extractor:
        entity["extractor"] = extractor
    return entity


def test_span_scores_need_type_start_and_end():
    gold = [[_entity("city", 10, 16), _entity("date", 20, 26)], [_entity("city", 0, 5)]]
    predicted = [[_entity("city", 10, 16), _entity("city", 20, 26)], []]
    scores = entity_span_scores(gold, predicted)
    # one of two predictions right, one of three gold found
    assert math.isclose(scores["entity_precision"], 1 / 2)
    assert math.isclose(scores["entity_recall"], 1 / 3)
    assert math.isclose(scores["entity_f1"], 2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert entity_span_scores([[]], [[]])["entity_f1"] is None


def test_token_labels_follow_the_overlapping_entity():
    text = "fly to New York, today"
    assert token_labels(text, [_entity("city", 7, 15)]) == [NO_ENTITY, NO_ENTITY, "city", "city", NO_ENTITY, NO_ENTITY]


def test_token_level_entity_report_per_extractor():
    text = "parcel JJD123 to Berlin"
    result = ExampleResult(text, "track", "track", 0.9,
                           gold_entities=[_entity("parcel_id", 7, 13), _entity("city", 17, 23)],
                           predicted_entities=[_entity("parcel_id", 7, 13, "RegexEntityExtractor"),
                                               _entity("city", 17, 23, "DIETClassifier")])
    gold, regex = entity_token_pairs([result], "RegexEntityExtractor")
    assert gold == [NO_ENTITY, "parcel_id", NO_ENTITY, "city"]
    assert regex == [NO_ENTITY, "parcel_id", NO_ENTITY, NO_ENTITY]
    summary = summarise([result], ["DIETClassifier", "RegexEntityExtractor"])
    # Regex: parcel_id right, city missed: precision 1, recall 1/2, micro F1 2/3
    assert math.isclose(summary["entities"]["RegexEntityExtractor"]["token_f1"], 2 / 3)
    assert math.isclose(summary["entities"]["DIETClassifier"]["span_f1"], 2 / 3)


def test_summary_scores_response_selection_by_retrieval_key():
    results = [ExampleResult("hours?", "faq", "faq", 0.9, gold_response_key="faq/hours",
                             predicted_response_key="faq/hours"),
               ExampleResult("price?", "faq", "faq", 0.9, gold_response_key="faq/price",
                             predicted_response_key="faq/hours")]
    summary = summarise(results, [])
    assert summary["response_selection"]["accuracy"] == pytest.approx(0.5)
    assert summary["intent"]["accuracy"] == pytest.approx(1.0)


def test_plots_order_labels_by_errors():
    # greet is in two errors (as truth and as wrong guess); ask and bye in one each, then by name
    assert labels_by_errors(GOLD, PREDICTED) == ["greet", "ask", "bye"]
