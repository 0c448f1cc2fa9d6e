"""Rasa's NLU test reports from a list of parsed test messages, plus one summary of the figures."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.evaluation.confusions import confused_pairs
from bot.nlu.evaluation.metrics import (
    NO_ENTITY,
    entity_errors,
    entity_span_scores,
    entity_token_pairs,
    label_report,
    latency_scores,
)
from bot.nlu.evaluation.plots import plot_confidence_histogram, plot_confusion_matrix
from bot.nlu.evaluation.results import ExampleResult
from bot.shared.nlu.constants import EXTRACTOR

# Pipeline components that put entities into a parse (DIETClassifier unless entity_recognition is off).
ENTITY_EXTRACTORS = ("DIETClassifier", "CRFEntityExtractor", "RegexEntityExtractor", "DucklingEntityExtractor",
                     "SpacyEntityExtractor", "MitieEntityExtractor")


@dataclass
class NLUReport:
    """The figures of one test run and the files written for it."""

    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    intent_report: dict[str, Any] = field(default_factory=dict)


def entity_extractors(pipeline: Iterable[dict[str, Any]], results: Sequence[ExampleResult] = ()) -> list[str]:
    """The extractors to score: those in the pipeline, and any other that named itself in a parse."""
    names = [str(step.get("name")) for step in pipeline if step.get("name") in ENTITY_EXTRACTORS
             and not (step.get("name") == "DIETClassifier" and step.get("entity_recognition") is False)]
    for result in results:
        for entity in result.predicted_entities:
            if entity.get(EXTRACTOR) and entity[EXTRACTOR] not in names:
                names.append(str(entity[EXTRACTOR]))
    return list(dict.fromkeys(names))


def summarise(results: Sequence[ExampleResult], extractors: Sequence[str]) -> dict[str, Any]:
    """The headline figures: intent, per-extractor entity and response selection scores, parse time."""
    gold = [r.gold_intent for r in results]
    predicted = [r.predicted_intent for r in results]
    report = label_report(gold, predicted) if results else {}
    summary: dict[str, Any] = {"examples": len(results)}
    if results:
        summary["intent"] = {"accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"],
                             "weighted_f1": report["weighted avg"]["f1-score"],
                             "errors": sum(1 for r in results if not r.intent_correct)}
    with_entities = any(r.gold_entities for r in results)
    entities: dict[str, Any] = {}
    for extractor in extractors:
        token_gold, token_predicted = entity_token_pairs(results, extractor)
        token_report = label_report(token_gold, token_predicted, exclude=[NO_ENTITY])
        span = entity_span_scores([r.gold_entities for r in results],
                                  [[e for e in r.predicted_entities if e.get(EXTRACTOR) in (None, extractor)]
                                   for r in results])
        entities[extractor] = {
            "token_f1": _micro_f1(token_gold, token_predicted), "token_weighted_f1": _weighted_f1(token_report),
            "span_f1": span["entity_f1"], "span_precision": span["entity_precision"],
            "span_recall": span["entity_recall"], "gold_entities": span["entity_gold"]}
    if entities and with_entities:
        summary["entities"] = entities
    retrieval = [r for r in results if r.gold_response_key]
    if retrieval and any(r.predicted_response_key for r in results):
        response_report = label_report([r.gold_response_key or "" for r in retrieval],
                                       [r.predicted_response_key or "" for r in retrieval])
        summary["response_selection"] = {"accuracy": response_report["accuracy"],
                                         "weighted_f1": response_report["weighted avg"]["f1-score"],
                                         "examples": len(retrieval)}
    summary["latency"] = latency_scores([r.seconds for r in results])
    return summary


def _micro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Micro F1 over the entity labels only (tokens outside entities do not count as hits)."""
    from sklearn.metrics import f1_score

    labels = sorted((set(gold) | set(predicted)) - {NO_ENTITY})
    return float(f1_score(gold, predicted, labels=labels, average="micro", zero_division=0)) if labels else None


def _weighted_f1(report: dict[str, Any]) -> float | None:
    entry = report.get("weighted avg") or {}
    return float(entry["f1-score"]) if "f1-score" in entry else None


def write_reports(results: Sequence[ExampleResult], out_dir: Path, extractors: Sequence[str],
                  plots: bool = True) -> NLUReport:
    """Writes Rasa's files into `out_dir`: intent_report.json, intent_errors.json, the intent confusion
    matrix and confidence histogram, <Extractor>_report.json/_errors.json/_confusion_matrix.png per
    entity extractor, response_selection_report.json/_errors.json, and nlu_summary.json; and ours:
    intent_confusions.json (the intent pairs mixed up, most first, with example messages)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarise(results, extractors)
    files: list[Path] = []
    gold = [r.gold_intent for r in results]
    predicted = [r.predicted_intent for r in results]
    intent_report = label_report(gold, predicted)
    files.append(_write_json(out_dir / "intent_report.json", intent_report))
    files.append(_write_json(out_dir / "intent_errors.json", [r.as_error() for r in results if not r.intent_correct]))
    files.append(_write_json(out_dir / "intent_confusions.json", [p.as_dict() for p in confused_pairs(results)]))
    if plots and results:
        files.extend(plot_confusion_matrix(gold, predicted, out_dir / "intent_confusion_matrix.png",
                                           "Intent confusion matrix"))
        files.append(plot_confidence_histogram([r.confidence for r in results if r.intent_correct],
                                               [r.confidence for r in results if not r.intent_correct],
                                               out_dir / "intent_histogram.png", "Intent prediction confidence"))
    for extractor in summary.get("entities", {}):
        token_gold, token_predicted = entity_token_pairs(results, extractor)
        files.append(_write_json(out_dir / f"{extractor}_report.json",
                                 label_report(token_gold, token_predicted, exclude=[NO_ENTITY])))
        files.append(_write_json(out_dir / f"{extractor}_errors.json", entity_errors(results, extractor)))
        if plots:
            files.extend(plot_confusion_matrix(token_gold, token_predicted,
                                               out_dir / f"{extractor}_confusion_matrix.png",
                                               f"{extractor} entity confusion matrix (tokens)"))
    if "response_selection" in summary:
        files.extend(_write_response_reports([r for r in results if r.gold_response_key], out_dir, plots))
    files.append(_write_json(out_dir / "nlu_summary.json", summary))
    return NLUReport(summary, files, intent_report)


def _write_response_reports(results: Sequence[ExampleResult], out_dir: Path, plots: bool) -> list[Path]:
    gold = [r.gold_response_key or "" for r in results]
    predicted = [r.predicted_response_key or "" for r in results]
    errors = [{"text": r.text, "intent_response_key_target": r.gold_response_key,
               "intent_response_key_prediction": {"name": r.predicted_response_key,
                                                  "confidence": r.response_confidence}}
              for r in results if r.gold_response_key != r.predicted_response_key]
    files = [_write_json(out_dir / "response_selection_report.json", label_report(gold, predicted)),
             _write_json(out_dir / "response_selection_errors.json", errors)]
    if plots:
        files.extend(plot_confusion_matrix(gold, predicted, out_dir / "response_selection_confusion_matrix.png",
                                           "Response selection confusion matrix"))
        files.append(plot_confidence_histogram(
            [r.response_confidence for r in results if r.gold_response_key == r.predicted_response_key],
            [r.response_confidence for r in results if r.gold_response_key != r.predicted_response_key],
            out_dir / "response_selection_histogram.png", "Response selection confidence"))
    return files


def _write_json(path: Path, content: Any) -> Path:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=str))
    return path


def rasa_test_response(results: Sequence[ExampleResult], extractors: Sequence[str]) -> dict[str, Any]:
    """What Rasa's `POST /model/test/intents` answers: intent, entity and response selection evaluations."""
    summary = summarise(results, extractors)
    intent_report = label_report([r.gold_intent for r in results], [r.predicted_intent for r in results])
    response: dict[str, Any] = {"intent_evaluation": {
        "report": intent_report, "accuracy": intent_report.get("accuracy"),
        "f1_score": intent_report.get("weighted avg", {}).get("f1-score"),
        "precision": intent_report.get("weighted avg", {}).get("precision"),
        "predictions": [{"text": r.text, "intent": r.gold_intent, "predicted": r.predicted_intent,
                         "confidence": r.confidence} for r in results],
        "errors": [r.as_error() for r in results if not r.intent_correct]}}
    entities: dict[str, Any] = {}
    for extractor, scores in (summary.get("entities") or {}).items():
        token_gold, token_predicted = entity_token_pairs(results, extractor)
        report = label_report(token_gold, token_predicted, exclude=[NO_ENTITY])
        entities[extractor] = {"report": report, "f1_score": scores["token_f1"],
                               "precision": report.get("weighted avg", {}).get("precision"),
                               "span_f1": scores["span_f1"], "errors": entity_errors(results, extractor)}
    response["entity_evaluation"] = entities
    retrieval = [r for r in results if r.gold_response_key]
    if "response_selection" in summary:
        report = label_report([r.gold_response_key or "" for r in retrieval],
                              [r.predicted_response_key or "" for r in retrieval])
        response["response_selection_evaluation"] = {
            "report": report, "accuracy": report.get("accuracy"),
            "f1_score": report.get("weighted avg", {}).get("f1-score")}
    return response
