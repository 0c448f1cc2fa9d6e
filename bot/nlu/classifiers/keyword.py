"""KeywordIntentClassifier: an intent when one of its training examples appears as words in the text.

Each training example is a keyword of its intent. Matching is on word boundaries and,
by default, case-sensitive (Rasa's default). A keyword listed under two intents, or
contained in a keyword of another intent, is ambiguous: it is dropped with a warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from bot.nlu.component import Component, ComponentConfig
from bot.shared.nlu.constants import INTENT, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_STATE_FILE = "keywords.json"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _bounded_substrings(text: str, *, include_whole: bool) -> Iterator[str]:
    """Every substring of `text` with no word character right outside it (what (?<!\\w)...(?!\\w) matches)."""
    starts = [i for i in range(len(text)) if i == 0 or not _is_word_char(text[i - 1])]
    ends = [j for j in range(1, len(text) + 1) if j == len(text) or not _is_word_char(text[j])]
    for i in starts:
        for j in ends:
            if j > i and (include_whole or (i, j) != (0, len(text))):
                yield text[i:j]


class KeywordConfig(ComponentConfig):
    """Rasa's KeywordIntentClassifier options."""

    case_sensitive: bool = True


class KeywordIntentClassifier(Component):
    """Intent by keyword lookup; confidence 1.0 on a match."""

    Config: ClassVar[type[ComponentConfig]] = KeywordConfig
    config: KeywordConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.keywords: dict[str, str] = {}  # keyword -> intent, in training order
        self._ranks: dict[str, int] | None = None
        self._intents: list[str] = []

    def _key(self, text: str) -> str:
        return text if self.config.case_sensitive else text.lower()

    def train(self, training_data: TrainingData) -> None:
        keywords: dict[str, str] = {}
        where: dict[str, str | None] = {}
        duplicates: set[str] = set()
        for example in training_data.intent_examples:
            keyword = example.get(TEXT).strip()
            intent = example.get(INTENT)
            known = keywords.get(self._key(keyword))
            if known is not None and known != intent:
                logger.warning(
                    "%s: keyword '%s' is an example of intent '%s' and of '%s' (at %s); it is ignored. "
                    "Remove it from one of the intents.",
                    example.location or "training data", keyword, intent, known, where.get(self._key(keyword)),
                )
                duplicates.add(self._key(keyword))
            keywords.setdefault(self._key(keyword), intent)
            where.setdefault(self._key(keyword), example.location)
        for keyword in duplicates:
            keywords.pop(keyword, None)
        self.keywords = self._drop_ambiguous(keywords)
        self._ranks = None

    def _drop_ambiguous(self, keywords: dict[str, str]) -> dict[str, str]:
        """Removes keywords found inside a keyword of another intent ("hey" vs "hey there").

        Instead of searching every keyword in every other one (quadratic regex searches,
        minutes for 10k examples), each keyword's word-bounded substrings are looked up.
        """
        ambiguous = set()
        for long, long_intent in keywords.items():
            for short in _bounded_substrings(long, include_whole=False):
                short_intent = keywords.get(short)
                if short_intent is not None and short_intent != long_intent and short not in ambiguous:
                    logger.warning(
                        "keyword '%s' of intent '%s' is part of keyword '%s' of intent '%s'; '%s' is "
                        "ignored. Remove one of the conflicting examples.",
                        short, short_intent, long, long_intent, short,
                    )
                    ambiguous.add(short)
        return {k: v for k, v in keywords.items() if k not in ambiguous}

    def intent_of(self, text: str) -> str | None:
        """The intent of the earliest-trained keyword found (word-bounded) in `text`, or None."""
        best: int | None = None
        for keyword in _bounded_substrings(self._key(text), include_whole=True):
            rank = self._rank.get(keyword)
            if rank is not None and (best is None or rank < best):
                best = rank
        return self._intents[best] if best is not None else None

    @property
    def _rank(self) -> dict[str, int]:
        if self._ranks is None:
            self._ranks = {keyword: i for i, keyword in enumerate(self.keywords)}
            self._intents = list(self.keywords.values())
        return self._ranks

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            intent = self.intent_of(message.get(TEXT) or "")
            # keep an earlier classifier's result unless a keyword matched
            if intent is not None or not isinstance(message.get(INTENT), dict):
                message.set(INTENT, {"name": intent, "confidence": 1.0 if intent else 0.0})

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their labels."""

    def persist(self, directory: Path) -> None:
        state = {"language": self.language, "keywords": self.keywords}
        (directory / _STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> KeywordIntentClassifier:
        component = cls(config)
        path = directory / _STATE_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.keywords = state.get("keywords", {})
        return component
