"""RegexEntityExtractor: entities from the training data's regexes and lookup tables.

Only patterns named like an entity that the training examples annotate are used
(a `- regex: zipcode` extracts `zipcode` entities only if some example marks a
`zipcode`), as in Rasa; the others are features only (RegexFeaturizer).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, ClassVar

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.featurizers.regex_featurizer import extract_patterns
from bot.shared.nlu.constants import (
    ENTITIES,
    ENTITY_END,
    ENTITY_START,
    ENTITY_TYPE,
    ENTITY_VALUE,
    EXTRACTOR,
    TEXT,
)
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_STATE_FILE = "regex_entities.json"


class RegexEntityConfig(ComponentConfig):
    """Rasa's RegexEntityExtractor options."""

    case_sensitive: bool = False
    use_lookup_tables: bool = True
    use_regexes: bool = True
    use_word_boundaries: bool = True


class RegexEntityExtractor(Component):
    """Adds an entity for every match of an entity-named regex or lookup table."""

    Config: ClassVar[type[ComponentConfig]] = RegexEntityConfig
    config: RegexEntityConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.patterns: list[dict[str, str]] = []
        self._compiled: list[re.Pattern[str]] | None = None

    def train(self, training_data: TrainingData) -> None:
        self.patterns = extract_patterns(
            training_data,
            use_lookup_tables=self.config.use_lookup_tables,
            use_regexes=self.config.use_regexes,
            use_word_boundaries=self.config.use_word_boundaries,
            only_entities=True,
        )
        self._compiled = None
        if not self.patterns:
            logger.warning(
                "RegexEntityExtractor: no regex or lookup table is named like an entity annotated in the "
                "training data, so it will extract nothing; name them after the entity and annotate examples"
            )

    def extract(self, text: str) -> list[dict[str, Any]]:
        """Entities for all matches in `text`, in pattern order."""
        if self._compiled is None:
            flags = 0 if self.config.case_sensitive else re.IGNORECASE
            self._compiled = [re.compile(p["pattern"], flags) for p in self.patterns]
        entities = []
        for pattern, compiled in zip(self.patterns, self._compiled, strict=True):
            for match in compiled.finditer(text):
                if match.end() == match.start():
                    continue
                entities.append({
                    ENTITY_TYPE: pattern["name"],
                    ENTITY_START: match.start(),
                    ENTITY_END: match.end(),
                    ENTITY_VALUE: match.group(0),
                    EXTRACTOR: "RegexEntityExtractor",
                })
        return entities

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not self.patterns:
                continue
            found = self.extract(text)
            if found:
                message.set(ENTITIES, list(message.get(ENTITIES) or []) + found)

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their annotated entities."""

    def persist(self, directory: Path) -> None:
        state = {"language": self.language, "patterns": self.patterns}
        (directory / _STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> RegexEntityExtractor:
        component = cls(config)
        path = directory / _STATE_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.patterns = state.get("patterns", [])
        return component
