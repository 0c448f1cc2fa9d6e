"""bench/_nlu_eval.LanguageModelCache: the bench-only memo of LanguageModelFeaturizer outputs."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _nlu_eval import LanguageModelCache  # noqa: E402

from bot.nlu.featurizers.language_model import LanguageModelFeaturizer  # noqa: E402
from bot.shared.nlu.message import Token  # noqa: E402


def _tokens(*spans: tuple[int, int]) -> list[Token]:
    return [Token("w", start, end) for start, end in spans]


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the model run by a fake that records which texts it computed (restored afterwards)."""
    computed: list[str] = []

    def fake_embed(featurizer, texts, tokens):
        computed.extend(texts)
        return [(np.full((len(t), 2), len(text), np.float32), np.full((1, 2), len(text), np.float32))
                for text, t in zip(texts, tokens, strict=True)]

    monkeypatch.setattr(LanguageModelFeaturizer, "_embed", fake_embed)
    return computed


def _featurizer(model_path: str = "/models/a") -> SimpleNamespace:
    return SimpleNamespace(model_path=model_path, _pooling="mean", _normalize=True,
                           config=SimpleNamespace(max_length=128))


def test_batches_are_computed_once_and_survive_a_restart(embedded: list[str], tmp_path: Path) -> None:
    cache = LanguageModelCache(tmp_path / "lm")
    cache.install()
    texts, tokens = ["hello there", "bye"], [_tokens((0, 5), (6, 11)), _tokens((0, 3))]
    first = LanguageModelFeaturizer._embed(_featurizer(), texts, tokens)
    again = LanguageModelFeaturizer._embed(_featurizer(), texts, tokens)
    assert embedded == texts  # the second call came from the cache
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    cache.save()

    embedded.clear()
    LanguageModelCache(tmp_path / "lm").install()  # wraps the already wrapped method: still one model run
    LanguageModelFeaturizer._embed(_featurizer(), texts, tokens)
    assert embedded == []


def test_other_tokens_or_model_are_not_served_from_the_cache(embedded: list[str], tmp_path: Path) -> None:
    LanguageModelCache(tmp_path / "lm").install()
    texts = ["hello there", "bye"]
    LanguageModelFeaturizer._embed(_featurizer(), texts, [_tokens((0, 5), (6, 11)), _tokens((0, 3))])
    LanguageModelFeaturizer._embed(_featurizer(), texts, [_tokens((0, 11)), _tokens((0, 3))])
    LanguageModelFeaturizer._embed(_featurizer("/models/b"), texts, [_tokens((0, 11)), _tokens((0, 3))])
    assert embedded == ["hello there", "bye", "hello there", "hello there", "bye"]


def test_single_parsed_messages_bypass_the_cache_unless_asked(embedded: list[str], tmp_path: Path) -> None:
    LanguageModelCache(tmp_path / "lm").install()
    for _ in range(2):
        LanguageModelFeaturizer._embed(_featurizer(), ["hi"], [_tokens((0, 2))])
    assert embedded == ["hi", "hi"]
    LanguageModelCache(tmp_path / "all", parse_too=True).install()
    embedded.clear()
    for _ in range(2):
        LanguageModelFeaturizer._embed(_featurizer(), ["hi"], [_tokens((0, 2))])
    assert embedded == ["hi"]
