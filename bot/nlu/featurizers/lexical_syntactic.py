"""LexicalSyntacticFeaturizer: one-hot features of each token and its neighbours.

`features` is Rasa's nested list: one inner list per window position, the middle one
for the token itself (the default [-1, 0, +1] window):

    features: [["low", "title", "upper"],
               ["BOS", "EOS", "low", "upper", "title", "digit"],
               ["low", "title", "upper"]]

Every (position, feature, value) seen in training becomes a column; unseen values at
parse time set no column. Only sequence features are produced, as in Rasa 3.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse
from pydantic import field_validator

from bot.nlu.component import Component, ComponentConfig
from bot.shared.nlu.constants import SEQUENCE, TEXT
from bot.shared.nlu.message import Features, Message, Token
from bot.shared.nlu.training_data import TrainingData

_STATE_FILE = "lexical_syntactic.json"


def _pos(token: Token) -> str | None:
    return token.data.get("pos") or None


FEATURE_FUNCTIONS: dict[str, Callable[[Token, int, int], Any]] = {
    # (token, index in the message, number of tokens) -> value
    "BOS": lambda t, i, n: i == 0,
    "EOS": lambda t, i, n: i == n - 1,
    "low": lambda t, i, n: t.text.islower(),
    "upper": lambda t, i, n: t.text.isupper(),
    "title": lambda t, i, n: t.text.istitle(),
    "digit": lambda t, i, n: t.text.isdigit(),
    "prefix5": lambda t, i, n: t.text[:5],
    "prefix2": lambda t, i, n: t.text[:2],
    "suffix5": lambda t, i, n: t.text[-5:],
    "suffix3": lambda t, i, n: t.text[-3:],
    "suffix2": lambda t, i, n: t.text[-2:],
    "suffix1": lambda t, i, n: t.text[-1:],
    "pos": lambda t, i, n: _pos(t),
    "pos2": lambda t, i, n: (_pos(t) or "")[:2] or None,
}

DEFAULT_FEATURES = [
    ["low", "title", "upper"],
    ["BOS", "EOS", "low", "upper", "title", "digit"],
    ["low", "title", "upper"],
]


class LexicalSyntacticConfig(ComponentConfig):
    """Rasa's LexicalSyntacticFeaturizer options."""

    features: list[list[str]] = DEFAULT_FEATURES

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[list[str]]) -> list[list[str]]:
        unknown = sorted({name for window in value for name in window if name not in FEATURE_FUNCTIONS})
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; known: {sorted(FEATURE_FUNCTIONS)}")
        if not value:
            raise ValueError("needs at least one window position")
        return value


class LexicalSyntacticFeaturizer(Component):
    """Sparse one-hot lexical (case, affixes) and syntactic (part of speech) token features."""

    Config: ClassVar[type[ComponentConfig]] = LexicalSyntacticConfig
    config: LexicalSyntacticConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        # "offset|feature|value" -> column
        self.columns: dict[str, int] = {}

    def _window(self) -> list[tuple[int, list[str]]]:
        """(offset relative to the token, feature names) per window position."""
        features = self.config.features
        center = len(features) // 2
        return [(position - center, names) for position, names in enumerate(features)]

    def _keys(self, tokens: list[Token]) -> list[list[str]]:
        """For each token, the "offset|feature|value" keys that describe it."""
        n = len(tokens)
        keys: list[list[str]] = []
        window = self._window()
        for i in range(n):
            token_keys = []
            for offset, names in window:
                j = i + offset
                if not 0 <= j < n:
                    continue  # outside the message: that position contributes nothing
                for name in names:
                    value = FEATURE_FUNCTIONS[name](tokens[j], j, n)
                    if value is not None:
                        token_keys.append(f"{offset}|{name}|{value}")
            keys.append(token_keys)
        return keys

    def train(self, training_data: TrainingData) -> None:
        seen: set[str] = set()
        for message in training_data.training_examples:
            for token_keys in self._keys(message.tokens.get(TEXT) or []):
                seen.update(token_keys)
        self.columns = {key: index for index, key in enumerate(sorted(seen))}

    def _featurize(self, message: Message) -> None:
        tokens = message.tokens.get(TEXT)
        if not tokens or not self.columns:
            return
        rows: list[int] = []
        cols: list[int] = []
        for row, token_keys in enumerate(self._keys(tokens)):
            for key in token_keys:
                column = self.columns.get(key)
                if column is not None:
                    rows.append(row)
                    cols.append(column)
        matrix = scipy.sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(tokens), len(self.columns))
        )
        message.add_features(Features(matrix, SEQUENCE, TEXT, self.name or type(self).__name__))

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            self._featurize(message)

    def persist(self, directory: Path) -> None:
        state = {"language": self.language, "columns": self.columns}
        (directory / _STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> LexicalSyntacticFeaturizer:
        component = cls(config)
        path = directory / _STATE_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.columns = state.get("columns", {})
        return component
