"""Stratified k-fold cross-validation of an NLU pipeline on a project's own training data.

    python bench/nlu_kfold.py --data data/nlu --folds 5 --config config.yml

Prints intent accuracy, macro-F1 and entity F1 (mean and spread over folds), overall and per
language (the `language` key of each example's metadata, as the example assistant writes it).
Retrieval intents are stratified and scored by their full key (faq/ask_hours) when the pipeline
has a ResponseSelector, else by the intent (faq).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nlu_eval import (  # noqa: E402
    entity_metrics,
    intent_metrics,
    latency_metrics,
    peak_rss_mb,
    print_figures,
    read_config,
)

from bot.nlu.evaluation import ExampleResult  # noqa: E402
from bot.nlu.evaluation.cross_validation import cross_validate  # noqa: E402
from bot.shared.nlu.readers import find_nlu_files, load_nlu_files  # noqa: E402
from bot.shared.nlu.split import stratification_label  # noqa: E402


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[Path("data/nlu")],
                        help="NLU files or folders (default data/nlu)")
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=int, help="override DIET/ResponseSelector epochs (quick runs)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    return parser.parse_args(argv)


def nlu_files(paths: list[Path]) -> list[Path]:
    """The NLU YAML files among `paths` (folders searched recursively), in a stable order."""
    found = find_nlu_files(paths)
    if not found:
        raise SystemExit(f"no NLU training data (YAML with an 'nlu:' key) in {', '.join(map(str, paths))}")
    return found


def _score_label(result: ExampleResult, has_selector: bool) -> tuple[str, str]:
    """(gold, predicted): the retrieval key when a ResponseSelector picks it, else the intent."""
    if has_selector and result.gold_response_key:
        return result.gold_response_key, result.predicted_response_key or result.predicted_intent
    return result.gold_intent, result.predicted_intent


def _scores(results: list[ExampleResult], has_selector: bool) -> dict[str, Any]:
    gold, predicted = zip(*(_score_label(r, has_selector) for r in results), strict=True)
    scores = intent_metrics(list(gold), list(predicted))
    scores["entity_f1"] = entity_metrics([r.gold_entities for r in results],
                                         [r.predicted_entities for r in results])["entity_f1"]
    return scores


def run(args: argparse.Namespace) -> dict[str, Any]:
    config = read_config(args.config, args.epochs)
    has_selector = any(step.get("name") == "ResponseSelector" for step in config.get("pipeline") or [])
    data = load_nlu_files(nlu_files(args.data))
    labels = {stratification_label(m) for m in data.intent_examples}
    print(f"{len(data.intent_examples)} examples, {len(labels)} labels, {args.folds} folds", flush=True)
    started = [time.perf_counter()]

    def progress(description: str, completed: int, total: int) -> None:
        if description.endswith("training") and completed:
            print(f"fold {completed}/{total} done ({time.perf_counter() - started[0]:.0f}s)", flush=True)
            started[0] = time.perf_counter()

    outcome = cross_validate(config, data, args.folds, args.seed, progress=progress)
    if outcome.rare_labels:
        print(f"note: {len(outcome.rare_labels)} label(s) have fewer than {args.folds} examples and miss from "
              "some test folds: " + ", ".join(outcome.rare_labels[:10]) + (" ..." if len(outcome.rare_labels) > 10
                                                                          else ""))
    per_fold: list[dict[str, Any]] = []
    per_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fold in range(1, args.folds + 1):
        results = [r for r, f in zip(outcome.results, outcome.fold_of, strict=True) if f == fold]
        scores = _scores(results, has_selector)
        per_fold.append(scores)
        for language in sorted({r.language or "unknown" for r in results}):
            per_language[language].append(_scores([r for r in results if (r.language or "unknown") == language],
                                                   has_selector))
        print(f"fold {fold}/{args.folds}: intent accuracy {scores['intent_accuracy']:.3f}, "
              f"macro-F1 {scores['intent_macro_f1']:.3f}, entity F1 {_show(scores['entity_f1'])}", flush=True)

    figures: dict[str, Any] = {"examples": len(data.intent_examples), "labels": len(labels), "folds": args.folds,
                               **_summarise(per_fold)}
    for language in sorted(per_language):
        figures.update({f"{language}.{key}": value for key, value in _summarise(per_language[language]).items()})
    figures.update({**latency_metrics([r.seconds for r in outcome.results]), "peak_rss_mb": peak_rss_mb()})
    return figures


def _summarise(folds: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation over folds of each score (folds without entities are skipped)."""
    summary: dict[str, Any] = {}
    for key in ("intent_accuracy", "intent_macro_f1", "entity_f1"):
        values = [fold[key] for fold in folds if fold.get(key) is not None and not np.isnan(fold[key])]
        summary[key] = float(np.mean(values)) if values else None
        summary[f"{key}_std"] = float(np.std(values)) if values else None
    return summary


def _show(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    figures = run(args)
    print_figures(f"{args.folds}-fold cross-validation — {args.config}", figures)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2, default=str))
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
