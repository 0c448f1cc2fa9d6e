"""TrainingData: everything NLU learns from, merged from any number of files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bot.shared.nlu.constants import (
    ENTITY_GROUP,
    ENTITY_ROLE,
    ENTITY_TYPE,
    INTENT,
    INTENT_RESPONSE_KEY,
    RETRIEVAL_SEPARATOR,
    TEXT,
)
from bot.shared.nlu.message import Message


@dataclass
class TrainingData:
    """Examples, synonyms, regexes, lookup tables and retrieval responses.

    - `training_examples`: one Message per example; retrieval examples carry intent "faq"
      and intent_response_key "faq/ask_hours".
    - `entity_synonyms`: surface form (as written) -> canonical value.
    - `regex_features`: [{"name": "zipcode", "pattern": "[0-9]{5}"}].
    - `lookup_tables`: [{"name": "city", "elements": ["Berlin", ...]}].
    - `responses`: "utter_faq/ask_hours" -> list of response variations (Rasa's response dicts).
    """

    training_examples: list[Message] = field(default_factory=list)
    entity_synonyms: dict[str, str] = field(default_factory=dict)
    regex_features: list[dict[str, Any]] = field(default_factory=list)
    lookup_tables: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def merge(self, *others: TrainingData) -> TrainingData:
        """A new TrainingData holding this one's content followed by the others'."""
        merged = TrainingData(
            list(self.training_examples), dict(self.entity_synonyms), list(self.regex_features),
            list(self.lookup_tables), dict(self.responses), list(self.sources),
        )
        for other in others:
            merged.training_examples.extend(other.training_examples)
            merged.entity_synonyms.update(other.entity_synonyms)
            merged.regex_features.extend(other.regex_features)
            merged.lookup_tables.extend(other.lookup_tables)
            merged.responses.update(other.responses)
            merged.sources.extend(other.sources)
        return merged

    def is_empty(self) -> bool:
        return not (self.training_examples or self.regex_features or self.lookup_tables
                    or self.entity_synonyms or self.responses)

    @property
    def intent_examples(self) -> list[Message]:
        return [m for m in self.training_examples if m.get(INTENT) and m.get(TEXT)]

    @property
    def entity_examples(self) -> list[Message]:
        return [m for m in self.training_examples if m.entities]

    @property
    def retrieval_examples(self) -> list[Message]:
        return [m for m in self.training_examples if m.get(INTENT_RESPONSE_KEY)]

    @property
    def intents(self) -> set[str]:
        return {m.get(INTENT) for m in self.intent_examples}

    @property
    def retrieval_intents(self) -> set[str]:
        return {m.get(INTENT) for m in self.retrieval_examples}

    @property
    def entities(self) -> set[str]:
        return {e[ENTITY_TYPE] for m in self.training_examples for e in m.entities}

    @property
    def entity_roles(self) -> set[str]:
        return {e[ENTITY_ROLE] for m in self.training_examples for e in m.entities if e.get(ENTITY_ROLE)}

    @property
    def entity_groups(self) -> set[str]:
        return {e[ENTITY_GROUP] for m in self.training_examples for e in m.entities if e.get(ENTITY_GROUP)}

    def number_of_examples_per_intent(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.intent_examples:
            counts[message.get(INTENT)] = counts.get(message.get(INTENT), 0) + 1
        return counts

    def response_for(self, intent_response_key: str) -> list[dict[str, Any]]:
        """The response variations of a retrieval key like "faq/ask_hours"."""
        return self.responses.get(f"utter_{intent_response_key}", [])

    def fingerprint(self) -> str:
        """A stable hash of the content (not of the file layout), to skip retraining unchanged data."""
        payload = {
            "examples": sorted(
                json.dumps({k: v for k, v in m.data.items() if k != "metadata"}, sort_keys=True, default=str)
                for m in self.training_examples
            ),
            "synonyms": sorted(self.entity_synonyms.items()),
            "regex": sorted(json.dumps(r, sort_keys=True) for r in self.regex_features),
            "lookup": sorted(json.dumps(t, sort_keys=True, default=str) for t in self.lookup_tables),
            "responses": json.dumps(self.responses, sort_keys=True, default=str),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def split_retrieval_intent(name: str) -> tuple[str, str | None]:
    """"faq/ask_hours" -> ("faq", "ask_hours"); "greet" -> ("greet", None)."""
    if RETRIEVAL_SEPARATOR in name:
        base, sub = name.split(RETRIEVAL_SEPARATOR, 1)
        return base, sub
    return name, None
