"""Stratified k-fold cross-validation of a pipeline config on one set of training data."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.nlu.evaluation.reports import summarise
from bot.nlu.evaluation.results import ExampleResult, parse_examples
from bot.nlu.evaluation.training import Progress, train_pipeline
from bot.shared.errors import BotError
from bot.shared.nlu.split import fresh_copy, stratification_label, with_examples
from bot.shared.nlu.training_data import TrainingData


@dataclass
class CrossValidation:
    """Every message's test-fold parse (so the reports cover all data) and each fold's own figures."""

    results: list[ExampleResult]
    folds: list[dict[str, Any]] = field(default_factory=list)
    fold_of: list[int] = field(default_factory=list)  # fold number (1-based) of each result
    rare_labels: list[str] = field(default_factory=list)  # fewer examples than folds: missing from some folds
    train_seconds: list[float] = field(default_factory=list)


def cross_validate(config: dict[str, Any], data: TrainingData, folds: int = 5, seed: int = 42,
                   extractors: list[str] | None = None, progress: Progress | None = None) -> CrossValidation:
    """Trains `folds` pipelines, each tested on the examples it did not see (StratifiedKFold by label)."""
    from sklearn.model_selection import StratifiedKFold

    examples = data.intent_examples
    labels = [stratification_label(m) for m in examples]
    counts = Counter(labels)
    if folds < 2:
        raise BotError(f"--folds {folds}: cross-validation needs at least 2 folds", hint="pass --folds 5")
    if not counts or max(counts.values()) < folds:
        raise BotError(f"no intent has {folds} examples, so {folds} folds cannot each test every intent",
                       hint="pass fewer --folds or add examples")
    outcome = CrossValidation([], rare_labels=sorted(label for label, count in counts.items() if count < folds))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # the rare labels are reported in the result instead
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(np.zeros(len(labels)), labels))
    for fold, (train_index, test_index) in enumerate(splits, start=1):
        if progress:
            progress(f"fold {fold}/{folds}: training", fold - 1, folds)
        train_data = with_examples(data, [fresh_copy(examples[i]) for i in train_index])
        trained = train_pipeline(config, train_data, config.get("language"))
        if progress:
            progress(f"fold {fold}/{folds}: testing", fold - 1, folds)
        fold_results = parse_examples(trained.parse, [examples[i] for i in test_index])
        fold_summary = summarise(fold_results, extractors or [])
        outcome.results.extend(fold_results)
        outcome.fold_of.extend([fold] * len(fold_results))
        outcome.folds.append(fold_summary)
        outcome.train_seconds.append(trained.train_seconds)
    if progress:
        progress("done", folds, folds)
    return outcome


def fold_spread(folds: list[dict[str, Any]], path: tuple[str, ...]) -> tuple[float, float] | None:
    """Mean and standard deviation over folds of one summary figure, e.g. ("intent", "macro_f1")."""
    values = []
    for fold in folds:
        value: Any = fold
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and not np.isnan(value):
            values.append(float(value))
    return (float(np.mean(values)), float(np.std(values))) if values else None
