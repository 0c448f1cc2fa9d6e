"""LanguageDetector: tells which of the assistant's languages a message is written in.

It learns from the language labels the training data already carries (intent- or
example-level `metadata: {language: de}`), so it knows exactly the languages the
assistant was built for and the vocabulary of its domain ("Sendungsnummer", "parcel").
Output: `message.data["language"] = {"name": "de", "confidence": 0.97}`.

The model is a character n-gram TF-IDF + logistic regression over the raw text. It reads
the text itself rather than other components' features, so it works wherever it sits in
the pipeline and keeps working when the featurizers change.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from bot.nlu.classifiers.logistic_regression import probabilities
from bot.nlu.component import Component, ComponentConfig
from bot.nlu.featurizers.ngrams import char_wb_ngrams
from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import LANGUAGE, METADATA, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

__all__ = ["LanguageDetector", "LanguageDetectorConfig", "language_label"]

_MODEL_FILE = "language_model.npz"
_META_FILE = "language_detector.json"
# Tracking numbers, order ids, zip codes and prices say nothing about the language; a token
# with a digit in it is removed so "JJD000390007812345" alone does not tip the scale.


class LanguageDetectorConfig(ComponentConfig):
    """Options of LanguageDetector in config.yml."""

    languages: list[str] | None = Field(
        default=None, description="languages to tell apart; default: every language labelled in the data"
    )
    default_language: str | None = Field(
        default=None, description="answer when unsure; default: the `language` of config.yml"
    )
    threshold: float = Field(default=0.6, ge=0.0, le=1.0, description="below this confidence: default language")

    @field_validator("languages")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("give at least one language, or leave the option out")
        return value


def language_label(message: Message) -> str | None:
    """The language a training example is labelled with, if any.

    Accepts the flat form (`metadata["language"]`) and Rasa's nested form, where intent-level
    metadata sits under `metadata["intent"]` and example-level under `metadata["example"]`;
    an example's own label wins over its intent block's.
    """
    metadata = message.get(METADATA)
    if not isinstance(metadata, dict):
        return None
    for source in (metadata.get("example"), metadata, metadata.get("intent")):
        if isinstance(source, dict) and isinstance(source.get(LANGUAGE), str) and source[LANGUAGE].strip():
            return source[LANGUAGE].strip()
    return None


def _response_texts(training_data: TrainingData) -> list[tuple[str, str]]:
    """(text, language) of retrieval responses whose variation is conditioned on the language slot.

    The bot's own answers are good extra examples of each language's domain vocabulary.
    """
    pairs: list[tuple[str, str]] = []
    for variations in training_data.responses.values():
        for variation in variations or []:
            if not isinstance(variation, dict) or not isinstance(variation.get(TEXT), str):
                continue
            for condition in variation.get("condition") or []:
                if (
                    isinstance(condition, dict)
                    and condition.get("type") == "slot"
                    and condition.get("name") == LANGUAGE
                    and isinstance(condition.get("value"), str)
                ):
                    pairs.append((variation[TEXT], condition["value"]))
    return pairs


def _normalise(text: str) -> str:
    # Word by word, not the regex \S*\d\S*: that one rescans a long word from every position
    # (quadratic; a 40,000-character word held the GIL for 15 s).
    return " ".join(word for word in text.lower().split() if not any(char.isdecimal() for char in word))


def _ngrams(text: str) -> list[str]:
    return char_wb_ngrams(_normalise(text), 1, 4)


@dataclass
class _NgramLogisticModel:
    """Sublinear TF-IDF over character n-grams into logistic regression, as plain arrays.

    Fitted with scikit-learn, applied with numpy: loading it imports no scikit-learn (fast start-up)
    and the archive holds no pickle.
    """

    vocabulary: dict[str, int]
    idf: np.ndarray  # [V]
    coef: np.ndarray  # [1, V] for two classes, else [classes, V]
    intercept: np.ndarray
    classes: list[str]

    @classmethod
    def fit(cls, texts: list[str], labels: list[str]) -> _NgramLogisticModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(analyzer=_ngrams, sublinear_tf=True, min_df=1)
        # Balanced weights: a language with fewer examples must not lose every short message.
        classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
        classifier.fit(vectorizer.fit_transform(texts), labels)
        return cls({term: int(i) for term, i in vectorizer.vocabulary_.items()},
                   vectorizer.idf_.astype(np.float64), classifier.coef_.astype(np.float64),
                   classifier.intercept_.astype(np.float64), [str(c) for c in classifier.classes_])

    def predict_proba(self, text: str) -> np.ndarray:
        counts = Counter(i for gram in _ngrams(text) if (i := self.vocabulary.get(gram)) is not None)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
        norm = np.linalg.norm(values)
        if norm > 0:
            values /= norm
        scores = self.coef[:, columns] @ values + self.intercept
        return probabilities(scores[None, :], one_vs_rest=False)[0]

    def save(self, path: Path) -> None:
        terms = json.dumps(sorted(self.vocabulary, key=self.vocabulary.__getitem__), ensure_ascii=False)
        np.savez(path, terms=np.array(terms), idf=self.idf, coef=self.coef, intercept=self.intercept,
                 classes=np.array(self.classes))

    @classmethod
    def load(cls, path: Path) -> _NgramLogisticModel:
        with np.load(path, allow_pickle=False) as data:
            terms = json.loads(str(data["terms"]))
            return cls({term: i for i, term in enumerate(terms)}, data["idf"], data["coef"], data["intercept"],
                       [str(c) for c in data["classes"]])


class LanguageDetector(Component):
    """Detects the language of each message from character n-grams, trained on labelled examples."""

    Config: ClassVar[type[ComponentConfig]] = LanguageDetectorConfig
    required_packages: ClassVar[list[str]] = ["sklearn"]
    config: LanguageDetectorConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._model: _NgramLogisticModel | None = None  # None when there is nothing to tell apart
        self._languages: list[str] = []
        self._default: str | None = config.default_language  # type: ignore[attr-defined]

    @property
    def languages(self) -> list[str]:
        """The languages the detector can answer with (after training or loading)."""
        return list(self._languages)

    @property
    def default_language(self) -> str | None:
        return self._default

    def train(self, training_data: TrainingData) -> None:
        """Fits the classifier on examples labelled with a language; one language needs no model."""
        wanted = set(self.config.languages) if self.config.languages else None
        pairs = [
            (message.text, label)
            for message in training_data.training_examples
            if message.text and (label := language_label(message))
        ]
        pairs += _response_texts(training_data)
        if wanted is not None:
            pairs = [(text, label) for text, label in pairs if label in wanted]
        counts = Counter(label for _, label in pairs)
        self._languages = sorted(wanted or counts)
        self._default = (
            self.config.default_language
            or self.language
            or (counts.most_common(1)[0][0] if counts else None)
            or (self._languages[0] if self._languages else None)
        )
        if wanted is not None:
            missing = sorted(wanted - set(counts))
            if missing:
                logger.warning(
                    "LanguageDetector: no training example is labelled with %s; "
                    "add `metadata: {language: ...}` to those intents", ", ".join(missing)
                )
        self._model = None
        if len(counts) < 2:
            # Nothing to tell apart: every message gets the single (or default) language.
            if self._default and self._default not in self._languages:
                self._languages.append(self._default)
            return
        self._model = _NgramLogisticModel.fit([text for text, _ in pairs], [label for _, label in pairs])

    def detect(self, text: str) -> dict[str, Any]:
        """{"name": language, "confidence": probability}; the default language when unsure."""
        if self._model is None:
            return {"name": self._default, "confidence": 1.0}
        if not _normalise(text):
            # Only digits/ids (or nothing): no evidence either way.
            return {"name": self._default, "confidence": 0.0}
        probabilities = self._model.predict_proba(text)
        classes = self._model.classes
        best = int(probabilities.argmax())
        if probabilities[best] >= self.config.threshold or self._default is None:
            return {"name": classes[best], "confidence": float(probabilities[best])}
        default_probability = probabilities[classes.index(self._default)] if self._default in classes else 0.0
        return {"name": self._default, "confidence": float(default_probability)}

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            message.set(LANGUAGE, self.detect(message.text))

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their labelled language; unlabelled ones are detected."""
        for message in training_data.training_examples:
            label = language_label(message)
            message.set(LANGUAGE, {"name": label, "confidence": 1.0} if label else self.detect(message.text))

    def persist(self, directory: Path) -> None:
        meta = {"languages": self._languages, "default_language": self._default, "has_model": self._model is not None}
        (directory / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        if self._model is not None:
            self._model.save(directory / _MODEL_FILE)

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> LanguageDetector:
        component = cls(config)
        meta_file = directory / _META_FILE
        if not meta_file.exists():
            raise InvalidModel(
                f"LanguageDetector: {meta_file} is missing", hint="retrain the model with `bot train`"
            )
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        component._languages = list(meta["languages"])
        # An option given at load time wins, so the default can be changed without retraining.
        component._default = config.default_language or meta["default_language"]  # type: ignore[attr-defined]
        if meta["has_model"]:
            if not (directory / _MODEL_FILE).exists():  # e.g. an archive from before the npz format
                raise InvalidModel(f"LanguageDetector: {directory / _MODEL_FILE} is missing",
                                   hint="retrain the model with `bot train --force`")
            component._model = _NgramLogisticModel.load(directory / _MODEL_FILE)
        return component
