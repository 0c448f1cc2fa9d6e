"""LogisticRegressionClassifier: Rasa's intent classifier by logistic regression over sentence features.

Fitted with scikit-learn (balanced class weights, as in Rasa); the archive holds the weights as
arrays (`weights.npz`) and parsing applies them with numpy, so loading a model imports no
scikit-learn and unpickles nothing.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from bot.nlu.classifiers.sentence_features import (
    SentenceIntentClassifier,
    has_sentence_features,
    sentence_matrix,
    sentence_widths,
)
from bot.nlu.component import ComponentConfig
from bot.nn.layers import softmax
from bot.nn.weights import load_weights, save_weights
from bot.shared.nlu.constants import INTENT, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_META_FILE = "logistic_regression.json"
_WEIGHTS_FILE = "weights.npz"


class LogisticRegressionConfig(ComponentConfig):
    """Rasa's LogisticRegressionClassifier options (same names and defaults)."""

    max_iter: int = Field(100, gt=0)
    solver: Literal["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"] = "lbfgs"
    tol: float = Field(1e-4, gt=0)
    random_state: int | None = 42
    ranking_length: int = Field(10, ge=0)


def _sigmoid(scores: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * scores))  # overflow-free logistic function


def probabilities(scores: np.ndarray, one_vs_rest: bool) -> np.ndarray:
    """[messages, classes] probabilities from linear scores ([messages, 1] for two classes)."""
    if scores.shape[1] == 1:
        positive = _sigmoid(scores[:, 0])
        return np.stack([1.0 - positive, positive], axis=1)
    if one_vs_rest:
        each = _sigmoid(scores)
        return each / np.maximum(each.sum(axis=1, keepdims=True), 1e-12)
    return softmax(scores, axis=1)


class LogisticRegressionClassifier(SentenceIntentClassifier):
    """Intent by multinomial logistic regression over the messages' sentence features."""

    Config: ClassVar[type[ComponentConfig]] = LogisticRegressionConfig
    required_packages: ClassVar[list[str]] = ["sklearn"]
    config: LogisticRegressionConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.labels: list[str] = []
        self.coef: np.ndarray | None = None  # [classes, features], [1, features] for two classes
        self.intercept: np.ndarray | None = None
        self.one_vs_rest = False  # liblinear on three or more intents: one binary model per intent
        self.widths: tuple[int, int] = (0, 0)  # sparse, dense sentence feature widths

    def train(self, training_data: TrainingData) -> None:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LogisticRegressionClassifier: needs examples of at least two intents, found %d; "
                           "it is not trained and predicts nothing", len(set(labels)))
            return
        self.widths = sentence_widths(examples)
        if not sum(self.widths):
            logger.warning("LogisticRegressionClassifier: the examples have no sentence features; add a "
                           "featurizer such as CountVectorsFeaturizer before it. It is not trained.")
            return
        features = sentence_matrix(examples, *self.widths)
        self._fit(features, labels)

    def _fit(self, features: object, labels: list[str]) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        cfg = self.config
        model = LogisticRegression(solver=cfg.solver, max_iter=cfg.max_iter, tol=cfg.tol,
                                   random_state=cfg.random_state, class_weight="balanced")
        # scikit-learn >= 1.8 refuses liblinear on 3+ classes; Rasa 3.6 then got one-vs-rest
        self.one_vs_rest = cfg.solver == "liblinear" and len(set(labels)) > 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at Rasa's max_iter=100 is common and harmless
            if self.one_vs_rest:
                fitted = OneVsRestClassifier(model).fit(features, labels)
                self.coef = np.vstack([e.coef_ for e in fitted.estimators_]).astype(np.float64)
                self.intercept = np.concatenate([e.intercept_ for e in fitted.estimators_]).astype(np.float64)
            else:
                fitted = model.fit(features, labels)
                self.coef = fitted.coef_.astype(np.float64)
                self.intercept = fitted.intercept_.astype(np.float64)
        self.labels = [str(label) for label in fitted.classes_]

    def predict_proba(self, messages: list[Message]) -> np.ndarray:
        """[messages, intents] probabilities, intents in the order of `labels`."""
        assert self.coef is not None and self.intercept is not None
        features = sentence_matrix(messages, *self.widths)
        scores = np.asarray(features @ self.coef.T) + self.intercept
        return probabilities(scores, self.one_vs_rest)

    def trained(self) -> bool:
        return self.coef is not None

    def readable(self, message: Message) -> bool:
        return has_sentence_features(message)

    def persist(self, directory: Path) -> None:
        meta = {"trained": self.coef is not None, "labels": self.labels, "one_vs_rest": self.one_vs_rest,
                "widths": list(self.widths)}
        (directory / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if self.coef is not None:
            save_weights({"coef": self.coef, "intercept": self.intercept}, directory / _WEIGHTS_FILE)

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> LogisticRegressionClassifier:
        component = cls(config)
        path = directory / _META_FILE
        if not path.exists():
            return component
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("trained"):
            weights = load_weights(directory / _WEIGHTS_FILE)
            component.coef, component.intercept = weights["coef"], weights["intercept"]
            component.labels = list(meta["labels"])
            component.one_vs_rest = bool(meta["one_vs_rest"])
            sparse_width, dense_width = meta["widths"]
            component.widths = (int(sparse_width), int(dense_width))
        return component
