"""Shared pieces of the NLU benchmarks: data loading, the pipeline runner, the TF-IDF+SVM baseline, metrics.

Not part of the framework package: these scripts are run by hand (see bench/README.md), never in CI.
"""

from __future__ import annotations

import copy
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as `python bench/x.py` from anywhere without installing

from bot.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING, NLU_FALLBACK_INTENT  # noqa: E402
from bot.shared.nlu.message import Message  # noqa: E402
from bot.shared.nlu.training_data import TrainingData  # noqa: E402
from bot.shared.yaml_io import read_yaml_file, to_plain  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"
# A parse function: text -> Rasa parse JSON (at least intent.name and entities).
Parser = Callable[[str], dict[str, Any]]


def shared_dir() -> Path:
    """The compatibility data beside the checkout (../shared relative to the repo)."""
    return REPO.parent / "shared"


def read_config(path: Path, epochs: int | None = None) -> dict[str, Any]:
    """config.yml as a plain dict; `epochs` overrides every component's `epochs` (quick runs)."""
    config = to_plain(read_yaml_file(path))
    if epochs is not None:
        for step in config.get("pipeline") or []:
            if "epochs" in step or step.get("name") in ("DIETClassifier", "ResponseSelector"):
                step["epochs"] = epochs
    return config


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Trained:
    """A trained model behind a parse function, with what training cost."""

    parse: Parser
    train_seconds: float
    load_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def train_pipeline(config: dict[str, Any], data: TrainingData, language: str | None) -> Trained:
    """Trains the framework's pipeline, persists it and loads it back, as `bot run` would."""
    from bot.nlu.pipeline import NLUPipeline

    pipeline = NLUPipeline.from_config(copy.deepcopy(config), language=language)
    started = time.perf_counter()
    pipeline.train(data)
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        pipeline.persist(Path(directory))
        started = time.perf_counter()
        loaded = NLUPipeline.load(Path(directory))
        load_seconds = time.perf_counter() - started
    return Trained(loaded.parse, train_seconds, load_seconds,
                   {"component_train_seconds": {k: round(v, 2) for k, v in pipeline.train_seconds.items()}})


def train_tfidf_svm(data: TrainingData) -> Trained:
    """Baseline: TF-IDF word 1-2 grams + char_wb 1-4 grams, LinearSVC. Intents only, no entities."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    examples = [m for m in data.training_examples if m.get(INTENT) and m.text]
    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
        ),
        LinearSVC(C=1.0),
    )
    started = time.perf_counter()
    model.fit([m.text for m in examples], [m.get(INTENT) for m in examples])
    train_seconds = time.perf_counter() - started

    def parse(text: str) -> dict[str, Any]:
        return {"text": text, INTENT: {"name": str(model.predict([text])[0]), "confidence": 1.0}, ENTITIES: []}

    return Trained(parse, train_seconds)


@dataclass
class Predictions:
    """Gold and predicted labels of one test set, and per-message parse latencies."""

    gold_intents: list[str]
    predicted_intents: list[str]
    # The best intent other than nlu_fallback: what the classifier said before the fallback.
    predicted_without_fallback: list[str]
    gold_entities: list[list[dict[str, Any]]]
    predicted_entities: list[list[dict[str, Any]]]
    latencies: list[float]


def predict(parse: Parser, messages: Iterable[Message]) -> Predictions:
    """Parses each message alone (as a live message would be), timing every call."""
    result = Predictions([], [], [], [], [], [])
    for message in messages:
        started = time.perf_counter()
        parsed = parse(message.text)
        result.latencies.append(time.perf_counter() - started)
        intent = (parsed.get(INTENT) or {}).get("name") or ""
        ranking = [entry.get("name") for entry in parsed.get(INTENT_RANKING) or []]
        result.gold_intents.append(str(message.get(INTENT)))
        result.predicted_intents.append(str(intent))
        result.predicted_without_fallback.append(
            next((name for name in ranking if name != NLU_FALLBACK_INTENT), intent)
            if intent == NLU_FALLBACK_INTENT else str(intent)
        )
        result.gold_entities.append(list(message.entities))
        result.predicted_entities.append(list(parsed.get(ENTITIES) or []))
    return result


def intent_metrics(gold: list[str], predicted: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold intents (a fallback prediction counts as wrong)."""
    from sklearn.metrics import f1_score

    if not gold:
        return {"intent_accuracy": float("nan"), "intent_macro_f1": float("nan")}
    accuracy = float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))
    # Averaging over gold labels only: nlu_fallback is not a class of the test set.
    macro = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
    return {"intent_accuracy": accuracy, "intent_macro_f1": float(macro)}


def _spans(entities: list[dict[str, Any]]) -> set[tuple[str, int, int]]:
    return {(str(e.get("entity")), int(e.get("start", -1)), int(e.get("end", -1))) for e in entities}


def entity_metrics(gold: list[list[dict[str, Any]]], predicted: list[list[dict[str, Any]]]) -> dict[str, Any]:
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


def latency_metrics(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    milliseconds = np.array(latencies) * 1000
    return {"parse_ms_p50": float(np.percentile(milliseconds, 50)),
            "parse_ms_p99": float(np.percentile(milliseconds, 99)),
            "parse_ms_mean": float(milliseconds.mean())}


def print_figures(title: str, figures: dict[str, Any]) -> None:
    """One figure per line, numbers rounded for reading."""
    print(f"\n== {title}")
    width = max(len(key) for key in figures) if figures else 0
    for key, value in figures.items():
        if isinstance(value, float):
            shown = f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
        else:
            shown = str(value)
        print(f"  {key.ljust(width)}  {shown}")
