"""bench/_nlu_eval.threshold_table: fallback figures at other thresholds from one model's confidences.

The table is only worth reading if it says what FallbackClassifier would have done, so it is
checked against the real component run at each threshold.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _nlu_eval import OUT_OF_SCOPE, predict, threshold_table  # noqa: E402

from bot.nlu.registry import component_class  # noqa: E402
from bot.shared.nlu.message import Message  # noqa: E402

LABELS = ["greet", "bye", "thanks", OUT_OF_SCOPE]


def _classifier_rankings(count: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """A made-up classifier: text -> intent ranking with random softmax confidences."""
    rng = np.random.default_rng(seed)
    rankings = {}
    for i in range(count):
        confidences = rng.dirichlet(np.full(len(LABELS), rng.choice([0.2, 1.0, 5.0])))
        order = np.argsort(-confidences)
        rankings[f"text {i}"] = [{"name": LABELS[j], "confidence": float(confidences[j])} for j in order]
    return rankings


def _parser(rankings: dict[str, list[dict[str, Any]]], threshold: float, ambiguity: float):
    fallback = component_class("FallbackClassifier").create(
        {"threshold": threshold, "ambiguity_threshold": ambiguity})

    def parse(text: str) -> dict[str, Any]:
        ranking = [dict(entry) for entry in rankings[text]]
        message = Message.from_text(text, intent=dict(ranking[0]), intent_ranking=ranking)
        fallback.process([message])
        return {"intent": message.get("intent"), "intent_ranking": message.get("intent_ranking"), "entities": []}

    return parse


@pytest.mark.parametrize("ambiguity", [0.0, 0.1])
def test_table_matches_fallback_classifier_run_at_each_threshold(ambiguity: float) -> None:
    rankings = _classifier_rankings(300, seed=3)
    texts = list(rankings)
    gold = ["greet" if i % 2 else "bye" for i in range(200)]
    in_scope = [Message.from_text(text, intent=label) for text, label in zip(texts[:200], gold, strict=True)]
    out_of_scope = [Message.from_text(text, intent=OUT_OF_SCOPE) for text in texts[200:]]
    thresholds = [0.1, 0.3, 0.5, 0.7, 0.9]

    # one "trained model" (run at threshold 0.3) gives the table for every threshold
    parse = _parser(rankings, 0.3, ambiguity)
    table = threshold_table(predict(parse, in_scope), predict(parse, out_of_scope), thresholds, ambiguity)

    for row, threshold in zip(table, thresholds, strict=True):
        actual_parse = _parser(rankings, threshold, ambiguity)
        in_scope_run, oos_run = predict(actual_parse, in_scope), predict(actual_parse, out_of_scope)
        accuracy = np.mean([g == p for g, p in zip(in_scope_run.gold_intents, in_scope_run.predicted_intents,
                                                    strict=True)])
        fallback_rate = np.mean([p == "nlu_fallback" for p in in_scope_run.predicted_intents])
        recall = np.mean([p in ("nlu_fallback", OUT_OF_SCOPE) for p in oos_run.predicted_intents])
        assert row["in_scope_accuracy"] == pytest.approx(accuracy)
        assert row["fallback_rate"] == pytest.approx(fallback_rate)
        assert row["oos_recall"] == pytest.approx(recall)
    # the made-up data spans the whole range, so the table is not flat
    assert table[0]["fallback_rate"] < table[-1]["fallback_rate"]
