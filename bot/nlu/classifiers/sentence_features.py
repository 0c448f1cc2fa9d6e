"""Sentence features as one row per message, and Rasa's intent output, for the scikit-learn classifiers.

LogisticRegressionClassifier and SklearnIntentClassifier see a message as its sentence features
only (no token features), as in Rasa: the sparse ones (CountVectorsFeaturizer) and/or the dense
ones (LanguageModelFeaturizer, SpacyFeaturizer), concatenated over featurizers in pipeline order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse

from bot.nlu.component import Component
from bot.shared.errors import InvalidModel
from bot.shared.nlu.constants import INTENT, INTENT_RANKING, SENTENCE, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

__all__ = ["SentenceIntentClassifier", "has_sentence_features", "sentence_matrix", "sentence_widths",
           "write_intent_ranking"]


def _sentence_parts(message: Message, sparse: bool, origins: set[str] | None) -> list[object]:
    return [
        feature.matrix
        for feature in message.features
        if feature.attribute == TEXT and feature.type == SENTENCE and feature.is_sparse == sparse
        and (origins is None or feature.origin in origins)
    ]


def _width(parts: list[object]) -> int:
    return sum(int(part.shape[-1]) for part in parts)  # type: ignore[attr-defined]


def _origins(featurizers: Iterable[str] | None) -> set[str] | None:
    names = set(featurizers or [])
    return names or None  # an empty list means every featurizer, as in Rasa


def sentence_widths(
    messages: list[Message], featurizers: Iterable[str] | None = None
) -> tuple[int, int]:
    """(sparse width, dense width) of the sentence features the messages carry."""
    origins = _origins(featurizers)
    sparse = max((_width(_sentence_parts(m, True, origins)) for m in messages), default=0)
    dense = max((_width(_sentence_parts(m, False, origins)) for m in messages), default=0)
    return sparse, dense


def has_sentence_features(message: Message, featurizers: Iterable[str] | None = None, *,
                          sparse: bool = True, dense: bool = True) -> bool:
    """True when the message has sentence features of the wanted kind."""
    origins = _origins(featurizers)
    return bool((sparse and _sentence_parts(message, True, origins))
                or (dense and _sentence_parts(message, False, origins)))


def sentence_matrix(
    messages: list[Message],
    sparse_width: int,
    dense_width: int,
    featurizers: Iterable[str] | None = None,
) -> scipy.sparse.csr_matrix:
    """[messages, sparse_width + dense_width]: sparse sentence features, then dense ones.

    A message without one kind gets zeros there; features of another width than the model
    was trained on are an InvalidModel (the pipeline changed since training).
    """
    origins = _origins(featurizers)
    rows = []
    for message in messages:
        blocks = []
        for is_sparse, width in ((True, sparse_width), (False, dense_width)):
            if not width:
                continue
            parts = _sentence_parts(message, is_sparse, origins)
            found = _width(parts)
            if found and found != width:
                kind = "sparse" if is_sparse else "dense"
                raise InvalidModel(
                    f"{kind} sentence features of '{message.text[:40]}' are {found} wide, the model was "
                    f"trained on {width}",
                    hint="retrain the model: the featurizers in the pipeline changed since it was trained",
                )
            if not parts:
                blocks.append(scipy.sparse.csr_matrix((1, width), dtype=np.float64))
            else:
                blocks.extend(scipy.sparse.csr_matrix(part) if is_sparse
                              else scipy.sparse.csr_matrix(np.asarray(part, dtype=np.float64).reshape(1, -1))
                              for part in parts)
        rows.append(scipy.sparse.hstack(blocks, format="csr") if blocks
                    else scipy.sparse.csr_matrix((1, 0), dtype=np.float64))
    if not rows:
        return scipy.sparse.csr_matrix((0, sparse_width + dense_width), dtype=np.float64)
    return scipy.sparse.vstack(rows, format="csr").astype(np.float64)


def write_intent_ranking(
    message: Message, labels: list[str], probabilities: np.ndarray, ranking_length: int
) -> None:
    """Sets `intent` (the most probable label) and `intent_ranking` (best first, cut to ranking_length; 0 = all)."""
    order = np.argsort(-probabilities, kind="stable")
    ranking = [{"name": labels[i], "confidence": float(probabilities[i])} for i in order]
    message.set(INTENT, dict(ranking[0]))
    message.set(INTENT_RANKING, ranking[:ranking_length] if ranking_length > 0 else ranking)


class SentenceIntentClassifier(Component):
    """What the scikit-learn intent classifiers share at parse time: one sentence row per message in,
    Rasa's `intent` and `intent_ranking` out. Subclasses say whether they are trained, which messages
    carry the features they read, and the probabilities (in the order of `labels`)."""

    labels: list[str]

    def trained(self) -> bool:
        raise NotImplementedError

    def readable(self, message: Message) -> bool:
        raise NotImplementedError

    def predict_proba(self, messages: list[Message]) -> np.ndarray:
        raise NotImplementedError

    def process(self, messages: list[Message]) -> None:
        if not self.trained():
            for message in messages:
                if not isinstance(message.get(INTENT), dict):
                    message.set(INTENT, {"name": None, "confidence": 0.0})
            return
        wanted = [m for m in messages if self.readable(m)]
        if not wanted:
            return
        for message, row in zip(wanted, self.predict_proba(wanted), strict=True):
            write_intent_ranking(message, self.labels, row, self.config.ranking_length)  # type: ignore[attr-defined]

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their gold intents (later classifiers train on them)."""
