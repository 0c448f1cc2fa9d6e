"""A message as the NLU pipeline sees it: data (text, intent, entities), tokens and features."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse

from bot.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE,
    SENTENCE,
    SEQUENCE,
    TEXT,
)


@dataclass
class Token:
    """A token with its character span in the original text; `data` holds pos, lemma etc."""

    text: str
    start: int
    end: int = -1
    data: dict[str, Any] = field(default_factory=dict)
    lemma: str | None = None

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = self.start + len(self.text)


@dataclass
class Features:
    """Features of one attribute of one message, from one featurizer.

    `matrix` is [n_tokens, dim] for sequence features and [1, dim] for sentence features;
    either a numpy array (dense) or a scipy sparse matrix (sparse).
    """

    matrix: np.ndarray | scipy.sparse.spmatrix
    type: Literal["sequence", "sentence"]
    attribute: str
    origin: str

    @property
    def is_sparse(self) -> bool:
        return scipy.sparse.issparse(self.matrix)


@dataclass
class Message:
    """One training example or one incoming message.

    `data` uses Rasa's keys: text, intent, entities, response, intent_response_key, metadata;
    after parsing also intent_ranking, response_selector, language.
    `tokens` maps an attribute ("text", "response") to its tokens.
    `location` is "file:line" of the example in training data, for error messages.
    """

    data: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, list[Token]] = field(default_factory=dict)
    features: list[Features] = field(default_factory=list)
    location: str | None = None
    # Classifiers that read the same features (DIET, then ResponseSelector) share their tensor form.
    encodings: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str, **data: Any) -> Message:
        return cls(data={TEXT: text, **data})

    @property
    def text(self) -> str:
        return self.data.get(TEXT, "")

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, add_to_output: bool = False) -> None:
        """Sets `key`; `add_to_output` is Rasa's flag, accepted for Rasa components (parse output is
        built from the keys it knows)."""
        self.data[key] = value

    @property
    def intent(self) -> str | None:
        """The intent label; for retrieval intents the full key ("faq/ask_hours") is in intent_response_key."""
        return self.data.get(INTENT)

    @property
    def entities(self) -> list[dict[str, Any]]:
        return self.data.get(ENTITIES, [])

    def is_retrieval_example(self) -> bool:
        return bool(self.data.get(INTENT_RESPONSE_KEY)) or bool(self.data.get(RESPONSE))

    def add_features(self, features: Features) -> None:
        self.features.append(features)

    def get_features(
        self, attribute: str = TEXT, origins: Iterable[str] | None = None
    ) -> tuple[
        scipy.sparse.csr_matrix | None,
        scipy.sparse.csr_matrix | None,
        np.ndarray | None,
        np.ndarray | None,
    ]:
        """(sequence_sparse, sentence_sparse, sequence_dense, sentence_dense), each the
        horizontal concatenation over featurizers (in the order they ran), or None."""
        wanted = set(origins) if origins is not None else None
        parts: dict[tuple[str, bool], list[Any]] = {}
        for feature in self.features:
            if feature.attribute != attribute or (wanted is not None and feature.origin not in wanted):
                continue
            parts.setdefault((feature.type, feature.is_sparse), []).append(feature.matrix)

        def sparse(kind: str) -> scipy.sparse.csr_matrix | None:
            mats = parts.get((kind, True))
            return scipy.sparse.hstack(mats).tocsr() if mats else None

        def dense(kind: str) -> np.ndarray | None:
            mats = parts.get((kind, False))
            return np.concatenate(mats, axis=-1) if mats else None

        return sparse(SEQUENCE), sparse(SENTENCE), dense(SEQUENCE), dense(SENTENCE)

    def label(self, attribute: str = INTENT) -> str | None:
        """The training label: the retrieval key for response examples, else the intent."""
        if attribute == RESPONSE:
            return self.data.get(INTENT_RESPONSE_KEY)
        return self.data.get(attribute)
