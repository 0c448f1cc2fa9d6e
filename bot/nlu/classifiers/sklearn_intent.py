"""SklearnIntentClassifier: Rasa's support vector intent classifier over dense sentence features.

As in Rasa: the input is the dense sentence features (LanguageModelFeaturizer, SpacyFeaturizer);
C, gamma and the kernel are chosen by grid search with cross-validation (`max_cross_validation_folds`,
about five examples per fold for the smallest intent, at least two folds) scored by `scoring_function`;
classes are weighted by their frequency ("balanced").

Differs from Rasa: confidences are calibrated by `CalibratedClassifierCV(method="sigmoid")`, the
replacement scikit-learn gives for `SVC(probability=True)` (deprecated in 1.9, removed in 1.11);
without shuffling it is deterministic, where Rasa's were not. The model is stored as arrays, not as a
pickle (see `svm.py`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from bot.nlu.classifiers.sentence_features import (
    SentenceIntentClassifier,
    has_sentence_features,
    sentence_matrix,
    sentence_widths,
)
from bot.nlu.classifiers.svm import SvmModel, numeric_gamma
from bot.nlu.component import Component, ComponentConfig
from bot.nn.weights import load_weights, save_weights
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import INTENT, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_META_FILE = "sklearn_intent.json"
_WEIGHTS_FILE = "weights.npz"


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


class SklearnIntentConfig(ComponentConfig):
    """Rasa's SklearnIntentClassifier options (same names and defaults), plus `ranking_length`."""

    C: list[float] = Field(default_factory=lambda: [1, 2, 5, 10, 20, 100])
    gamma: list[float | Literal["scale", "auto"]] = Field(default_factory=lambda: [0.1])
    kernels: list[Literal["linear", "rbf", "poly", "sigmoid"]] = Field(default_factory=lambda: ["linear"])
    max_cross_validation_folds: int = Field(5, ge=2)
    scoring_function: str = "f1_weighted"
    num_threads: int = Field(1, ge=1)
    featurizers: list[str] = Field(default_factory=list)
    ranking_length: int = Field(10, ge=0)  # ours: Rasa always cuts the ranking at 10

    @field_validator("C", "gamma", "kernels", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("C")
    @classmethod
    def _positive_c(cls, value: list[float]) -> list[float]:
        if not value or any(c <= 0 for c in value):
            raise ValueError("needs one or more values above 0, e.g. [1, 2, 5, 10, 20, 100]")
        return value

    @field_validator("gamma")
    @classmethod
    def _positive_gamma(cls, value: list[float | str]) -> list[float | str]:
        if not value or any(not isinstance(g, str) and g <= 0 for g in value):
            raise ValueError("needs one or more values above 0 (or 'scale', 'auto'), e.g. [0.1]")
        return value

    @field_validator("kernels")
    @classmethod
    def _some_kernel(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one of linear, rbf, poly, sigmoid")
        return value


class SklearnIntentClassifier(SentenceIntentClassifier):
    """Intent by a support vector machine over dense sentence features."""

    Config: ClassVar[type[ComponentConfig]] = SklearnIntentConfig
    required_packages: ClassVar[list[str]] = ["sklearn"]
    config: SklearnIntentConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.labels: list[str] = []
        self.model: SvmModel | None = None
        self.dense_width = 0

    @classmethod
    def create(cls, options: dict[str, Any], *, index: int | None = None, language: str | None = None) -> Component:
        component = super().create(options, index=index, language=language)
        from sklearn.metrics import get_scorer_names  # only when building a pipeline to train

        scoring = component.config.scoring_function  # type: ignore[attr-defined]
        if scoring not in get_scorer_names():
            where = f"pipeline step {index + 1} ({cls.name})" if index is not None else cls.name
            raise InvalidConfig(f"{where}: option 'scoring_function': unknown scorer '{scoring}'",
                                hint="use a scikit-learn scorer name such as f1_weighted, accuracy, f1_macro")
        return component

    def _featurizers(self) -> list[str] | None:
        return self.config.featurizers or None

    def train(self, training_data: TrainingData) -> None:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        if len({m.get(INTENT) for m in examples}) < 2:
            logger.warning("SklearnIntentClassifier: needs examples of at least two intents; it is not "
                           "trained and predicts nothing")
            return
        featured = [m for m in examples if self.readable(m)]
        _, self.dense_width = sentence_widths(featured, self._featurizers())
        if not self.dense_width:
            raise InvalidConfig(
                "SklearnIntentClassifier needs dense sentence features, and the examples have none",
                hint="put a dense featurizer (LanguageModelFeaturizer or SpacyFeaturizer) before it in "
                     "config.yml, or use LogisticRegressionClassifier or DIETClassifier for sparse features",
            )
        features = sentence_matrix(featured, 0, self.dense_width, self._featurizers()).toarray()
        labels = [str(m.get(INTENT)) for m in featured]
        self.model = self._fit(features, labels)
        self.labels = sorted(set(labels))

    def _folds(self, labels: list[str]) -> int:
        """Rasa's rule: about five examples of the smallest intent per fold, 2 to max_cross_validation_folds."""
        return max(2, min(self.config.max_cross_validation_folds, min(Counter(labels).values()) // 5))

    def _fit(self, features: np.ndarray, labels: list[str]) -> SvmModel:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import GridSearchCV
        from sklearn.svm import SVC

        cfg = self.config
        folds = self._folds(labels)
        grid = {"C": cfg.C, "gamma": cfg.gamma, "kernel": list(cfg.kernels)}
        with warnings.catch_warnings():
            # few examples make scikit-learn warn about ill-defined F-scores and tiny classes
            warnings.simplefilter("ignore")
            search = GridSearchCV(SVC(class_weight="balanced"), param_grid=[grid], cv=folds,
                                  scoring=cfg.scoring_function, n_jobs=cfg.num_threads)
            best = search.fit(features, labels).best_params_
            svc = SVC(C=best["C"], kernel=best["kernel"], gamma=numeric_gamma(best["gamma"], features),
                      class_weight="balanced")
            smallest = min(Counter(labels).values())
            if smallest >= 2:
                calibrated = CalibratedClassifierCV(svc, method="sigmoid", ensemble=False,
                                                    cv=min(folds, smallest)).fit(features, labels)
            else:
                from sklearn.frozen import FrozenEstimator

                logger.warning("SklearnIntentClassifier: an intent has a single example, so confidences are "
                               "calibrated on the training data and run high; give each intent more examples")
                calibrated = CalibratedClassifierCV(FrozenEstimator(svc.fit(features, labels)),
                                                    method="sigmoid").fit(features, labels)
        logger.debug("SklearnIntentClassifier: grid search chose %s", best)
        return SvmModel.from_fitted(calibrated)

    def trained(self) -> bool:
        return self.model is not None

    def readable(self, message: Message) -> bool:
        return has_sentence_features(message, self._featurizers(), sparse=False)

    def predict_proba(self, messages: list[Message]) -> np.ndarray:
        """[messages, intents] probabilities, intents in the order of `labels`."""
        assert self.model is not None
        return self.model.predict_proba(sentence_matrix(messages, 0, self.dense_width, self._featurizers()).toarray())

    def persist(self, directory: Path) -> None:
        meta: dict[str, Any] = {"trained": self.model is not None}
        if self.model is not None:
            meta.update(labels=self.labels, dense_width=self.dense_width, svm=self.model.settings())
            save_weights(self.model.arrays(), directory / _WEIGHTS_FILE)
        (directory / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> SklearnIntentClassifier:
        component = cls(config)
        path = directory / _META_FILE
        if not path.exists():
            return component
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("trained"):
            component.model = SvmModel.restore(meta["svm"], load_weights(directory / _WEIGHTS_FILE))
            component.labels = list(meta["labels"])
            component.dense_width = int(meta["dense_width"])
        return component
