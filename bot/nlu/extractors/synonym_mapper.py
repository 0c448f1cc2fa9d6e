"""EntitySynonymMapper: replaces extracted entity values by their canonical synonym.

Synonyms come from `- synonym:` entries and from annotations whose value differs from
the annotated text (``[NYC]{"entity": "city", "value": "New York City"}``). Lookup is
case-insensitive on the surface form, as in Rasa. Mapped entities get
``"processors": ["EntitySynonymMapper"]``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from bot.nlu.component import Component
from bot.shared.nlu.constants import (
    ENTITIES,
    ENTITY_END,
    ENTITY_START,
    ENTITY_VALUE,
    PROCESSORS,
    TEXT,
)
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

_STATE_FILE = "synonyms.json"
PROCESSOR_NAME = "EntitySynonymMapper"


class EntitySynonymMapper(Component):
    """Maps entity values to canonical values learned from the training data."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.synonyms: dict[str, str] = {}  # lower-cased surface form -> canonical value

    def add_synonym(self, surface: Any, canonical: Any, where: str | None = None) -> None:
        """Registers one mapping; a conflicting earlier mapping is overwritten with a warning."""
        if canonical is None:
            return
        original, replacement = str(surface), str(canonical)
        if original == replacement:
            return
        key = original.lower()
        previous = self.synonyms.get(key)
        if previous is not None and previous != replacement:
            logger.warning(
                "%sconflicting synonyms for '%s': '%s' replaces '%s'; remove one of the definitions",
                f"{where}: " if where else "", original, replacement, previous,
            )
        self.synonyms[key] = replacement

    def train(self, training_data: TrainingData) -> None:
        self.synonyms = {}
        for example in training_data.entity_examples:
            text = example.get(TEXT) or ""
            for entity in example.entities:
                surface = text[entity[ENTITY_START] : entity[ENTITY_END]]
                value = entity.get(ENTITY_VALUE)
                if value is not None and surface.lower() != str(value).lower():
                    self.add_synonym(surface, value, example.location)
        for surface, canonical in training_data.entity_synonyms.items():
            self.add_synonym(surface, canonical)

    def replace_synonyms(self, entities: list[dict[str, Any]]) -> None:
        """Maps each entity's value in place."""
        for entity in entities:
            value = entity.get(ENTITY_VALUE)
            if isinstance(value, (dict, list)):  # structured values (e.g. Duckling intervals)
                continue
            canonical = self.synonyms.get(str(value).lower())
            if canonical is not None:
                entity[ENTITY_VALUE] = canonical
                entity.setdefault(PROCESSORS, [])
                if PROCESSOR_NAME not in entity[PROCESSORS]:
                    entity[PROCESSORS].append(PROCESSOR_NAME)

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                self.replace_synonyms(entities)

    def process_training_data(self, training_data: TrainingData) -> None:
        """Training examples keep their annotated values."""

    def persist(self, directory: Path) -> None:
        state = {"language": self.language, "synonyms": self.synonyms}
        (directory / _STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: Any, directory: Path) -> EntitySynonymMapper:
        component = cls(config)
        path = directory / _STATE_FILE
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            component.language = state.get("language")
            component.synonyms = state.get("synonyms", {})
        return component
