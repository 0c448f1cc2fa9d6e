"""Scores of an NLU test run: Rasa's reports (scikit-learn's classification report plus the labels each
label is confused with), token-level entity labels as Rasa scores them, and exact-span entity F1."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.nlu.evaluation.results import ExampleResult
from bot.shared.nlu.constants import ENTITY_END, ENTITY_START, ENTITY_TYPE, EXTRACTOR

NO_ENTITY = "no_entity"
# How many other labels `confused_with` names per label (the most frequent first), as in Rasa's reports.
CONFUSED_WITH = 3
# Words and single punctuation marks: a tokenisation that does not depend on the pipeline, so two
# models (or two configs) are scored on the same tokens.
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def label_report(gold: Sequence[str], predicted: Sequence[str], exclude: Sequence[str] = ()) -> dict[str, Any]:
    """scikit-learn's classification report as a dict, each label with the labels it was mistaken for.

    Labels are the union of gold and predicted ones (a prediction of a label the test set lacks, such as
    nlu_fallback, counts as a wrong prediction), minus `exclude` (Rasa leaves out `no_entity`).
    """
    from sklearn.metrics import classification_report, confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    with warnings.catch_warnings():  # a one-label test set is fine here; scikit-learn warns about it
        warnings.simplefilter("ignore", UserWarning)
        report = classification_report(gold, predicted, labels=[label for label in labels if label not in exclude],
                                       output_dict=True, zero_division=0)
        matrix = confusion_matrix(gold, predicted, labels=labels)
    for row, label in enumerate(labels):
        if label not in report:
            continue
        confused = {labels[column]: int(matrix[row, column]) for column in np.argsort(-matrix[row], kind="stable")
                    if column != row and matrix[row, column] > 0 and labels[column] not in exclude}
        report[label]["confused_with"] = dict(list(confused.items())[:CONFUSED_WITH])
    if "accuracy" not in report and gold:
        report["accuracy"] = float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))
    return report


def intent_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold intents (a fallback prediction counts as wrong)."""
    from sklearn.metrics import f1_score

    if not gold:
        return {"intent_accuracy": float("nan"), "intent_macro_f1": float("nan")}
    accuracy = float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))
    # Averaging over gold labels only: nlu_fallback is not a class of the test set.
    macro = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
    return {"intent_accuracy": accuracy, "intent_macro_f1": float(macro)}


def _spans(entities: list[dict[str, Any]]) -> set[tuple[str, int, int]]:
    return {(str(e.get(ENTITY_TYPE)), int(e.get(ENTITY_START, -1)), int(e.get(ENTITY_END, -1))) for e in entities}


def entity_span_scores(gold: Sequence[list[dict[str, Any]]], predicted: Sequence[list[dict[str, Any]]]
                       ) -> dict[str, Any]:
    """Micro precision/recall/F1 over entity spans; a match needs the same type, start and end."""
    true_positive = gold_count = predicted_count = 0
    for gold_entities, predicted_entities in zip(gold, predicted, strict=True):
        gold_spans, predicted_spans = _spans(gold_entities), _spans(predicted_entities)
        true_positive += len(gold_spans & predicted_spans)
        gold_count += len(gold_spans)
        predicted_count += len(predicted_spans)
    if gold_count == 0:
        return {"entity_f1": None, "entity_precision": None, "entity_recall": None, "entity_gold": 0}
    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / gold_count
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"entity_f1": f1, "entity_precision": precision, "entity_recall": recall, "entity_gold": gold_count}


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character spans of the words and punctuation marks of `text`."""
    return [(match.start(), match.end()) for match in _TOKEN.finditer(text)]


def token_labels(text: str, entities: list[dict[str, Any]]) -> list[str]:
    """One label per token: the entity type overlapping it most, else `no_entity` (Rasa's rule)."""
    labels = []
    for start, end in tokenize(text):
        best, best_overlap = NO_ENTITY, 0
        for entity in entities:
            overlap = min(end, int(entity.get(ENTITY_END, -1))) - max(start, int(entity.get(ENTITY_START, -1)))
            if overlap > best_overlap:
                best, best_overlap = str(entity.get(ENTITY_TYPE)), overlap
        labels.append(best)
    return labels


def extractor_entities(entities: list[dict[str, Any]], extractor: str) -> list[dict[str, Any]]:
    """The entities one extractor found (entities without an extractor name count for every extractor)."""
    return [e for e in entities if e.get(EXTRACTOR) in (None, extractor)]


def entity_token_pairs(results: Sequence[ExampleResult], extractor: str) -> tuple[list[str], list[str]]:
    """Gold and predicted token labels over all messages, for one extractor."""
    gold: list[str] = []
    predicted: list[str] = []
    for result in results:
        gold.extend(token_labels(result.text, result.gold_entities))
        predicted.extend(token_labels(result.text, extractor_entities(result.predicted_entities, extractor)))
    return gold, predicted


def entity_errors(results: Sequence[ExampleResult], extractor: str) -> list[dict[str, Any]]:
    """Messages whose entities the extractor got wrong (Rasa's <extractor>_errors.json shape)."""
    errors = []
    for result in results:
        predicted = extractor_entities(result.predicted_entities, extractor)
        if _spans(result.gold_entities) != _spans(predicted):
            errors.append({"text": result.text, "entities": result.gold_entities, "predicted_entities": predicted})
    return errors


def latency_scores(seconds: Sequence[float]) -> dict[str, float]:
    """Parse time percentiles in milliseconds."""
    if not seconds:
        return {}
    milliseconds = np.array(seconds) * 1000
    return {"parse_ms_p50": float(np.percentile(milliseconds, 50)),
            "parse_ms_p99": float(np.percentile(milliseconds, 99)),
            "parse_ms_mean": float(milliseconds.mean())}


def error_counts(gold: Sequence[str], predicted: Sequence[str]) -> Counter[str]:
    """How often each gold label was predicted wrongly (labels sort by this in plots and tables)."""
    return Counter(g for g, p in zip(gold, predicted, strict=True) if g != p)
