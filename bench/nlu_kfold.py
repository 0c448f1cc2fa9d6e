"""Stratified k-fold cross-validation of an NLU pipeline on a project's own training data.

    python bench/nlu_kfold.py --data data/nlu --folds 5 --config config.yml

Prints intent accuracy, macro-F1 and entity F1 (mean and spread over folds), overall and per
language (the `language` key of each example's metadata, as the example assistant writes it).
Retrieval intents are stratified and scored by their full key (faq/ask_hours) when the pipeline
has a ResponseSelector, else by the intent (faq).
"""

from __future__ import annotations

import argparse
import copy
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
    predict,
    print_figures,
    read_config,
    train_pipeline,
)

from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, METADATA  # noqa: E402
from bot.shared.nlu.message import Message  # noqa: E402
from bot.shared.nlu.readers import is_nlu_file, load_nlu_files  # noqa: E402
from bot.shared.nlu.training_data import TrainingData  # noqa: E402


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
    found: list[Path] = []
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found.extend(p for p in candidates if is_nlu_file(p))
    if not found:
        raise SystemExit(f"no NLU training data (YAML with an 'nlu:' key) in {', '.join(map(str, paths))}")
    return found


def _language(message: Message) -> str:
    metadata = message.get(METADATA)
    return str(metadata.get("language", "unknown")) if isinstance(metadata, dict) else "unknown"


def _scores(gold: list[str], predicted: list[str], gold_entities: list[Any], predicted_entities: list[Any],
            ) -> dict[str, Any]:
    scores = intent_metrics(gold, predicted)
    scores["entity_f1"] = entity_metrics(gold_entities, predicted_entities)["entity_f1"]
    return scores


def _with_examples(data: TrainingData, examples: list[Message]) -> TrainingData:
    """The same synonyms, regexes, lookups and responses, with a subset of the examples."""
    return TrainingData(list(examples), dict(data.entity_synonyms), list(data.regex_features),
                        list(data.lookup_tables), dict(data.responses), list(data.sources))


def _fresh_copy(message: Message) -> Message:
    """A test message that carries only its labels, so nothing from an earlier fold leaks in."""
    return Message(data=copy.deepcopy(message.data), location=message.location)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    config = read_config(args.config, args.epochs)
    has_selector = any(step.get("name") == "ResponseSelector" for step in config.get("pipeline") or [])
    data = load_nlu_files(nlu_files(args.data))
    examples = data.intent_examples
    labels = [str(m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)) for m in examples]
    counts = defaultdict(int)
    for label in labels:
        counts[label] += 1
    rare = sorted(label for label, count in counts.items() if count < args.folds)
    if rare:
        print(f"note: {len(rare)} label(s) have fewer than {args.folds} examples and miss from some test folds: "
              + ", ".join(rare[:10]) + (" ..." if len(rare) > 10 else ""))
    print(f"{len(examples)} examples, {len(counts)} labels, {args.folds} folds", flush=True)

    def score_label(message: Message, parsed_intent: str, parsed: dict[str, Any]) -> tuple[str, str]:
        if has_selector and message.get(INTENT_RESPONSE_KEY):
            gold = str(message.get(INTENT_RESPONSE_KEY))
            selectors = parsed.get("response_selector") or {}
            entry = selectors.get(str(message.get(INTENT))) or selectors.get("default") or {}
            selector = entry.get("response") or {}
            return gold, str(selector.get("intent_response_key") or parsed_intent)
        return str(message.get(INTENT)), parsed_intent

    per_fold: list[dict[str, Any]] = []
    per_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    latencies: list[float] = []
    splitter = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    for fold, (train_index, test_index) in enumerate(splitter.split(np.zeros(len(labels)), labels), start=1):
        started = time.perf_counter()
        train_data = _with_examples(data, [_fresh_copy(examples[i]) for i in train_index])
        trained = train_pipeline(config, train_data, config.get("language"))
        test = [examples[i] for i in test_index]
        # Parse once, keeping the whole parse result so retrieval keys can be read from it.
        parsed_results: list[dict[str, Any]] = []

        def parse(text: str, trained: Any = trained, parsed_results: list = parsed_results) -> dict[str, Any]:
            result = trained.parse(text)
            parsed_results.append(result)
            return result

        predictions = predict(parse, test)
        latencies.extend(predictions.latencies)
        gold, predicted = zip(*(score_label(m, p, r) for m, p, r in
                                zip(test, predictions.predicted_intents, parsed_results, strict=True)), strict=True)
        scores = _scores(list(gold), list(predicted), predictions.gold_entities, predictions.predicted_entities)
        per_fold.append(scores)
        by_language: dict[str, list[int]] = defaultdict(list)
        for position, message in enumerate(test):
            by_language[_language(message)].append(position)
        for language, positions in by_language.items():
            per_language[language].append(_scores(
                [gold[i] for i in positions], [predicted[i] for i in positions],
                [predictions.gold_entities[i] for i in positions],
                [predictions.predicted_entities[i] for i in positions]))
        print(f"fold {fold}/{args.folds}: intent accuracy {scores['intent_accuracy']:.3f}, "
              f"macro-F1 {scores['intent_macro_f1']:.3f}, entity F1 {_show(scores['entity_f1'])} "
              f"({time.perf_counter() - started:.0f}s)", flush=True)

    figures: dict[str, Any] = {"examples": len(examples), "labels": len(counts), "folds": args.folds,
                               **_summarise(per_fold)}
    for language in sorted(per_language):
        figures.update({f"{language}.{key}": value for key, value in _summarise(per_language[language]).items()})
    figures.update({**latency_metrics(latencies), "peak_rss_mb": peak_rss_mb()})
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
