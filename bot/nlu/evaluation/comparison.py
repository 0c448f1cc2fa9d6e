"""Which config, or which trained model, is better: scored on the same test messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.evaluation.metrics import label_report
from bot.nlu.evaluation.plots import plot_config_comparison, plot_model_comparison
from bot.nlu.evaluation.results import ExampleResult, parse_examples
from bot.nlu.evaluation.training import Progress, train_pipeline
from bot.shared.errors import BotError
from bot.shared.nlu.split import fresh_copy, train_test_split, with_examples
from bot.shared.nlu.training_data import TrainingData

METRIC = "intent weighted F1"


def compare_configs(configs: dict[str, dict[str, Any]], data: TrainingData, out_dir: Path, runs: int = 3,
                    percentages: Sequence[int] = (0, 25, 50, 75), seed: int = 42,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Rasa's `test nlu --config a.yml b.yml`: per run, one stratified 80/20 split; each config trains on
    the training part with 0, 25, ... percent of it left out and is tested on the same test part.

    Writes results.json ({config: [[F1 per percentage] per run]}), num_intent_examples.json and
    nlu_model_comparison_graph.png; returns the results.
    """
    if runs < 1:
        raise BotError(f"--runs {runs}: at least one run is needed", hint="pass --runs 3")
    for percentage in percentages:
        if not 0 <= percentage < 100:
            raise BotError(f"--percentages {percentage}: a share of training data to leave out, 0 to 99",
                           hint="pass --percentages 0 25 50 75")
    scores: dict[str, list[list[float]]] = {name: [] for name in configs}
    example_counts: list[list[int]] = []
    total = runs * len(percentages) * len(configs)
    done = 0
    for run in range(runs):
        train, test = train_test_split(data, 0.8, seed + run)
        counts = []
        for name in configs:
            scores[name].append([])
        for percentage in percentages:
            part = train if percentage == 0 else train_test_split(train, 1 - percentage / 100, seed + run)[0]
            counts.append(len(part.intent_examples))
            for name, config in configs.items():
                if progress:
                    progress(f"run {run + 1}/{runs}, {percentage}% left out: {name}", done, total)
                # Fresh messages for each config: a pipeline leaves its features on the messages it trained on.
                fresh = with_examples(part, [fresh_copy(m) for m in part.training_examples])
                trained = train_pipeline(config, fresh, config.get("language"))
                results = parse_examples(trained.parse, test.intent_examples)
                scores[name][-1].append(weighted_f1(results))
                done += 1
        example_counts.append(counts)
    if progress:
        progress("done", total, total)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(scores, indent=2))
    (out_dir / "num_intent_examples.json").write_text(json.dumps(example_counts[0]))
    curves = {name: {"examples": [float(x) for x in np.mean(example_counts, axis=0)],
                     "mean": [float(x) for x in np.mean(values, axis=0)],
                     "std": [float(x) for x in np.std(values, axis=0)]} for name, values in scores.items()}
    plot_config_comparison(curves, out_dir / "nlu_model_comparison_graph.png", METRIC)
    return {"scores": scores, "examples": example_counts[0], "percentages": list(percentages), "curves": curves}


def weighted_f1(results: Sequence[ExampleResult]) -> float:
    report = label_report([r.gold_intent for r in results], [r.predicted_intent for r in results])
    return float(report["weighted avg"]["f1-score"]) if results else 0.0


@dataclass
class ModelComparison:
    """Two models on the same messages: overall and per-intent F1, and which one is better."""

    names: tuple[str, str]
    overall: dict[str, tuple[float, float]]  # figure -> (first model, second model)
    per_intent: dict[str, tuple[float, float, int]]  # intent -> (F1 first, F1 second, support)
    better: str | None  # the better model's name, None when they tie

    def as_dict(self) -> dict[str, Any]:
        return {"models": list(self.names), "better": self.better,
                "overall": {k: {"first": a, "second": b} for k, (a, b) in self.overall.items()},
                "per_intent": {k: {"first": a, "second": b, "support": s} for k, (a, b, s) in self.per_intent.items()}}


def compare_models(first: Sequence[ExampleResult], second: Sequence[ExampleResult], names: tuple[str, str],
                   out_dir: Path | None = None) -> ModelComparison:
    """Scores two models' parses of the same messages; the better one has the higher macro F1 over intents
    (ties broken by accuracy). Writes model_comparison.json and a per-intent plot when `out_dir` is given."""
    reports = [label_report([r.gold_intent for r in rs], [r.predicted_intent for r in rs]) for rs in (first, second)]
    overall = {
        "accuracy": (float(reports[0]["accuracy"]), float(reports[1]["accuracy"])),
        "macro_f1": (float(reports[0]["macro avg"]["f1-score"]), float(reports[1]["macro avg"]["f1-score"])),
        "weighted_f1": (float(reports[0]["weighted avg"]["f1-score"]),
                        float(reports[1]["weighted avg"]["f1-score"])),
    }
    gold_labels = sorted({r.gold_intent for r in first})
    per_intent = {label: (float(reports[0][label]["f1-score"]), float(reports[1][label]["f1-score"]),
                          int(reports[0][label]["support"])) for label in gold_labels}
    key = [(overall["macro_f1"][i], overall["accuracy"][i]) for i in (0, 1)]
    # Differences below a thousandth are rounding, not a better model.
    rounded = [tuple(round(x, 3) for x in k) for k in key]
    better = None if rounded[0] == rounded[1] else names[0] if rounded[0] > rounded[1] else names[1]
    comparison = ModelComparison(names, overall, per_intent, better)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "model_comparison.json").write_text(json.dumps(comparison.as_dict(), indent=2))
        differences = {label: b - a for label, (a, b, _) in per_intent.items()}
        plot_model_comparison(differences, out_dir / "model_comparison.png", names)
    return comparison


def compare_parsers(parsers: Sequence[Any], names: tuple[str, str], data: TrainingData,
                    out_dir: Path | None = None) -> ModelComparison:
    """Parses the test data with both models and compares them."""
    first, second = (parse_examples(parse, data.intent_examples) for parse in parsers)
    return compare_models(first, second, names, out_dir)
