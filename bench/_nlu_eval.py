"""Shared pieces of the NLU benchmarks: data loading, the pipeline runner, the TF-IDF+SVM baseline, metrics.

Not part of the framework package: these scripts are run by hand (see bench/README.md), never in CI.
"""

from __future__ import annotations

import atexit
import hashlib
import pickle
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as `python bench/x.py` from anywhere without installing

from _cpu import cpu_seconds  # noqa: E402  (bench/, beside this module)

from bot.nlu.evaluation import Parser, parse_examples  # noqa: E402
from bot.nlu.evaluation.metrics import entity_span_scores as entity_metrics  # noqa: E402, F401
from bot.nlu.evaluation.metrics import intent_scores as intent_metrics  # noqa: E402, F401
from bot.nlu.evaluation.metrics import latency_scores as latency_metrics  # noqa: E402, F401
from bot.nlu.evaluation.training import train_pipeline as train_nlu_pipeline  # noqa: E402
from bot.shared.nlu.constants import ENTITIES, INTENT  # noqa: E402
from bot.shared.nlu.message import Message  # noqa: E402
from bot.shared.nlu.training_data import TrainingData  # noqa: E402
from bot.shared.yaml_io import read_yaml_file, to_plain  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"


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


CACHE_DIR = REPO / "bench" / ".cache"


class LanguageModelCache:
    """Bench-only memo of LanguageModelFeaturizer outputs, so repeated runs skip the frozen model.

    Wraps `LanguageModelFeaturizer._embed` (the product code is not changed). An entry is keyed on
    the model path, pooling, normalisation, max_length, the text and its token spans, so another
    model or tokenizer never reads a stale vector. One pickle file per model set-up under
    bench/.cache/lm/ (which git ignores through a .gitignore written into it), saved at exit when
    something was added.
    `parse_too`: also serve single parsed messages from the cache (then parse latency leaves the
    language model out; the figures say so).
    """

    def __init__(self, directory: Path = CACHE_DIR / "lm", parse_too: bool = False) -> None:
        self.directory = directory
        self.parse_too = parse_too
        self.hits = self.misses = 0
        self._stores: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._dirty: set[str] = set()

    def install(self) -> None:
        from bot.nlu.featurizers.language_model import LanguageModelFeaturizer

        original = LanguageModelFeaturizer._embed
        cache = self

        def cached_embed(featurizer: Any, texts: list[str], tokens: list[list[Any]]) -> Any:
            if len(texts) == 1 and not cache.parse_too:
                return original(featurizer, texts, tokens)
            store_name = cache._store_name(featurizer)
            store = cache._store(store_name)
            keys = [_text_key(text, message_tokens) for text, message_tokens in zip(texts, tokens, strict=True)]
            missing = [i for i, key in enumerate(keys) if key not in store]
            cache.hits += len(keys) - len(missing)
            cache.misses += len(missing)
            if missing:
                computed = original(featurizer, [texts[i] for i in missing], [tokens[i] for i in missing])
                for i, value in zip(missing, computed, strict=True):
                    store[keys[i]] = value
                cache._dirty.add(store_name)
            return [store[key] for key in keys]

        LanguageModelFeaturizer._embed = cached_embed  # type: ignore[method-assign]
        atexit.register(self.save)

    @staticmethod
    def _store_name(featurizer: Any) -> str:
        setup = (str(featurizer.model_path), featurizer._pooling, featurizer._normalize,
                 featurizer.config.max_length)
        return hashlib.sha1(repr(setup).encode()).hexdigest()[:16]

    def _store(self, name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if name not in self._stores:
            path = self.directory / f"{name}.pkl"
            self._stores[name] = pickle.loads(path.read_bytes()) if path.is_file() else {}
        return self._stores[name]

    def save(self) -> None:
        if not self._dirty:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"  # the cache is never committed
        if not ignore.exists():
            ignore.write_text("*\n")
        for name in self._dirty:
            temporary = self.directory / f"{name}.pkl.tmp"
            temporary.write_bytes(pickle.dumps(self._stores[name], protocol=pickle.HIGHEST_PROTOCOL))
            temporary.replace(self.directory / f"{name}.pkl")
        self._dirty.clear()


def _text_key(text: str, tokens: list[Any]) -> str:
    spans = ",".join(f"{t.start}-{t.end}" for t in tokens)
    return hashlib.sha1(f"{text}\x00{spans}".encode()).hexdigest()


def entity_error_kinds(gold: list[list[dict[str, Any]]], predicted: list[list[dict[str, Any]]]
                       ) -> dict[str, dict[str, int]]:
    """Per gold entity type, its misses split by kind, and per predicted type its spurious spans.

    `type`: a prediction with the same span but another type; `boundary`: an overlapping prediction
    with other ends; `missed`: nothing overlaps it; `spurious`: a prediction overlapping no gold
    entity (counted under the predicted type). Sorted by the most errors first.
    """
    kinds: dict[str, dict[str, int]] = {}

    def count(label: str, kind: str) -> None:
        kinds.setdefault(label, {"correct": 0, "type": 0, "boundary": 0, "missed": 0, "spurious": 0})[kind] += 1

    for gold_entities, predicted_entities in zip(gold, predicted, strict=True):
        gold_spans = {(e["entity"], e["start"], e["end"]) for e in gold_entities}
        predicted_spans = {(e["entity"], e["start"], e["end"]) for e in predicted_entities}
        for label, start, end in gold_spans:
            if (label, start, end) in predicted_spans:
                count(label, "correct")
            elif any((s, e) == (start, end) for _, s, e in predicted_spans):
                count(label, "type")
            elif any(s < end and e > start for _, s, e in predicted_spans):
                count(label, "boundary")
            else:
                count(label, "missed")
        for label, start, end in predicted_spans - gold_spans:
            if not any(s < end and e > start for _, s, e in gold_spans):
                count(label, "spurious")
    errors = lambda item: -sum(v for k, v in item[1].items() if k != "correct")  # noqa: E731
    return dict(sorted(kinds.items(), key=errors))


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
    # Ends a model served by another process (the Rasa peer) and returns figures of that process.
    finish: Callable[[], dict[str, Any]] | None = None


def train_pipeline(config: dict[str, Any], data: TrainingData, language: str | None) -> Trained:
    """Trains the framework's pipeline, persists it and loads it back, as `bot run` would."""
    cpu_started = cpu_seconds()
    trained = train_nlu_pipeline(config, data, language)
    return Trained(trained.parse, trained.train_seconds, trained.load_seconds,
                   {"component_train_seconds": trained.component_seconds,
                    # with the persist and load of the model (a second or so; Rasa's figure has its persist too)
                    "train_cpu_seconds": cpu_seconds() - cpu_started})



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
    # Confidences of the two best non-fallback intents (0 when missing): what FallbackClassifier
    # compares with its thresholds, so other thresholds can be tried without retraining.
    top_confidences: list[tuple[float, float]] = field(default_factory=list)


def predict(parse: Parser, messages: Iterable[Message]) -> Predictions:
    """Parses each message alone (as a live message would be), timing every call."""
    results = parse_examples(parse, messages)
    return Predictions(
        [r.gold_intent for r in results], [r.predicted_intent for r in results],
        [r.predicted_without_fallback for r in results], [r.gold_entities for r in results],
        [r.predicted_entities for r in results], [r.seconds for r in results],
        [r.top_confidences for r in results])


def fallback_config(config: dict[str, Any]) -> tuple[float, float] | None:
    """(threshold, ambiguity_threshold) of the config's FallbackClassifier; None without one."""
    from bot.nlu.classifiers.fallback import FallbackConfig

    for step in config.get("pipeline") or []:
        if step.get("name") == "FallbackClassifier":
            options = FallbackConfig.model_validate({k: v for k, v in step.items() if k != "name"})
            return options.threshold, options.ambiguity_threshold
    return None


def would_fall_back(top: tuple[float, float], threshold: float, ambiguity: float) -> bool:
    """FallbackClassifier's rule on the two best confidences."""
    return top[0] < threshold or top[0] - top[1] < ambiguity


def threshold_table(in_scope: Predictions, out_of_scope: Predictions | None, thresholds: list[float],
                    ambiguity: float) -> list[dict[str, float]]:
    """In-scope accuracy, fallback rate and out-of-scope recall had FallbackClassifier used `threshold`.

    Recomputed from the classifier's confidences of one trained model (no retraining): a message
    falls back when its best confidence is below the threshold or the best two are closer than
    `ambiguity`, as FallbackClassifier decides.
    """
    rows = []
    for threshold in thresholds:
        correct = fallbacks = 0
        for gold, best, top in zip(in_scope.gold_intents, in_scope.predicted_without_fallback,
                                   in_scope.top_confidences, strict=True):
            falls = would_fall_back(top, threshold, ambiguity)
            fallbacks += falls
            correct += (not falls) and best == gold
        row = {"threshold": threshold, "in_scope_accuracy": correct / max(len(in_scope.gold_intents), 1),
               "fallback_rate": fallbacks / max(len(in_scope.gold_intents), 1)}
        if out_of_scope is not None:
            detected = sum(
                would_fall_back(top, threshold, ambiguity) or best == OUT_OF_SCOPE
                for best, top in zip(out_of_scope.predicted_without_fallback, out_of_scope.top_confidences,
                                     strict=True)
            )
            row["oos_recall"] = detected / max(len(out_of_scope.predicted_without_fallback), 1)
        rows.append(row)
    return rows


def print_figures(title: str, figures: dict[str, Any]) -> None:
    """One figure per line, numbers rounded for reading."""
    print(f"\n== {title}")
    width = max(len(key) for key in figures) if figures else 0
    for key, value in figures.items():
        if isinstance(value, dict) and value and all(isinstance(row, dict) for row in value.values()):
            print(f"  {key}:")  # a table, one row per label
            for label, row in value.items():
                print(f"    {label:<28} " + "  ".join(f"{name} {number}" for name, number in row.items()))
            continue
        if isinstance(value, float):
            shown = f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
        else:
            shown = str(value)
        print(f"  {key.ljust(width)}  {shown}")
