"""The per-token feature dicts CRFEntityExtractor gives CRFsuite, from Rasa's `features` option.

`features` is a list of windows, one per position around the token (odd length; the middle
one is the token itself): with three lists, position -1 is the previous token, 0 the token,
+1 the next. Each (position, feature) becomes a key such as "-1:low" or "0:suffix3";
a window position outside the message adds "BOS" or "EOS" instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.shared.nlu.message import Token

__all__ = ["CRF_FEATURES", "DEFAULT_CRF_FEATURES", "CrfToken", "token_features"]


@dataclass
class CrfToken:
    """What the features of one token are computed from."""

    text: str
    pos: str | None = None
    pattern: dict[str, bool] = field(default_factory=dict)  # RegexFeaturizer's {pattern name: matched}
    dense: np.ndarray | None = None  # the token's dense features (text_dense_features)
    entity_tag: str | None = None  # the entity tag, a feature of the role and group CRFs
    values: list[str] = field(default_factory=list)  # entity_values: known values covering it ("B-city")
    intent: str | None = None  # the message's intent (gold in training, the classifier's when parsing)

    @classmethod
    def of(cls, token: Token, dense: np.ndarray | None) -> CrfToken:
        return cls(token.text, token.data.get("pos") or None, dict(token.data.get("pattern") or {}), dense)


_VALUE: dict[str, Callable[[CrfToken], Any]] = {
    "low": lambda t: t.text.lower(),
    "title": lambda t: t.text.istitle(),
    "upper": lambda t: t.text.isupper(),
    "digit": lambda t: t.text.isdigit(),
    "prefix5": lambda t: t.text[:5],
    "prefix2": lambda t: t.text[:2],
    "suffix5": lambda t: t.text[-5:],
    "suffix3": lambda t: t.text[-3:],
    "suffix2": lambda t: t.text[-2:],
    "suffix1": lambda t: t.text[-1:],
    "bias": lambda t: "bias",
    "pos": lambda t: t.pos,
    "pos2": lambda t: t.pos[:2] if t.pos else None,
    "entity": lambda t: t.entity_tag,
    "intent": lambda t: t.intent,
}

# every name the `features` option accepts
CRF_FEATURES = frozenset([*_VALUE, "pattern", "text_dense_features", "entity_values"])

DEFAULT_CRF_FEATURES = [
    ["low", "title", "upper"],
    ["low", "bias", "prefix5", "prefix2", "suffix5", "suffix3", "suffix2", "upper", "title", "digit", "pattern"],
    ["low", "title", "upper"],
]


def _add(features: dict[str, Any], key: str, name: str, token: CrfToken) -> None:
    if name == "pattern":
        for pattern, matched in token.pattern.items():
            features[f"{key}:pattern:{pattern}"] = bool(matched)
    elif name == "entity_values":
        for tag in token.values:
            features[f"{key}:entity_values:{tag}"] = True
    elif name == "text_dense_features":
        if token.dense is not None:
            for index, value in enumerate(token.dense.tolist()):
                features[f"{key}:text_dense_features:{index}"] = float(value)
    else:
        value = _VALUE[name](token)
        if value is not None:  # e.g. no part of speech without a spaCy model
            features[f"{key}:{name}"] = value


def token_features(
    tokens: Sequence[CrfToken], windows: Sequence[Sequence[str]], with_entity_tag: bool = False
) -> list[dict[str, Any]]:
    """One CRFsuite feature dict per token; `with_entity_tag` adds each position's entity tag (role/group CRFs)."""
    half = len(windows) // 2
    sequence = []
    for i in range(len(tokens)):
        features: dict[str, Any] = {}
        for offset in range(-half, half + 1):
            j = i + offset
            if j >= len(tokens):
                features["EOS"] = True
                continue
            if j < 0:
                features["BOS"] = True
                continue
            names = list(windows[offset + half]) + (["entity"] if with_entity_tag else [])
            for name in names:
                _add(features, str(offset), name, tokens[j])
        sequence.append(features)
    return sequence
