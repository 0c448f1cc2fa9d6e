"""ResponseSelector: DIET's model family trained on retrieval examples ("faq/ask_hours" labels).

Writes Rasa's `response_selector` output: `{"all_retrieval_intents": [...], "<intent or
'default'>": {"response": {...}, "ranking": [...]}}`. Labels are embedded as one-hot ids;
label text features (`use_text_as_label`) only change which key names a label.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from bot.nlu.classifiers.diet import DIETClassifier, DIETConfig
from bot.nlu.component import Component, ComponentConfig
from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, RESPONSE, RESPONSE_SELECTOR, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

DEFAULT_SELECTOR = "default"


class ResponseSelectorConfig(DIETConfig):
    """Rasa's ResponseSelector options (its defaults differ from DIET's: no transformer, FFN)."""

    hidden_layers_sizes: dict[str, list[int]] = Field(
        default_factory=lambda: {"text": [256, 128], "label": [256, 128]}
    )
    number_of_transformer_layers: int | dict[str, int] = 0
    transformer_size: int | dict[str, int] | None = None
    dense_dimension: dict[str, int] = Field(default_factory=lambda: {"text": 512, "label": 512})
    concat_dimension: dict[str, int] = Field(default_factory=lambda: {"text": 512, "label": 512})
    use_sparse_input_dropout: bool = False
    use_dense_input_dropout: bool = False
    connection_density: float = 1.0
    scale_loss: bool = True
    entity_recognition: bool = False  # Rasa: true on paper, then forced off
    retrieval_intent: str | None = None
    use_text_as_label: bool = False


class ResponseSelector(DIETClassifier):
    """Chooses the response key of a retrieval intent and the matching response variations."""

    Config: ClassVar[type[ComponentConfig]] = ResponseSelectorConfig
    config: ResponseSelectorConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self.responses: dict[str, list[dict[str, Any]]] = {}  # "utter_faq/ask_hours" -> variations
        self.all_retrieval_intents: list[str] = []
        self.label_keys: dict[str, str] = {}  # label -> intent_response_key (differs with text labels)

    def _examples(self, training_data: TrainingData) -> list[Message]:
        wanted = self.config.retrieval_intent
        return [
            m for m in training_data.retrieval_examples
            if m.get(TEXT) and (wanted is None or m.get(INTENT) == wanted)
        ]

    def _label_of(self, message: Message) -> str | None:
        if self.config.use_text_as_label:
            return message.get(RESPONSE) or message.get(INTENT_RESPONSE_KEY)
        return message.get(INTENT_RESPONSE_KEY)

    def _entities_wanted(self) -> bool:
        return False

    def train(self, training_data: TrainingData) -> None:
        examples = self._examples(training_data)
        self.all_retrieval_intents = sorted(training_data.retrieval_intents)
        self.label_keys = {}
        self.responses = {}
        for message in examples:
            label, key = self._label_of(message), message.get(INTENT_RESPONSE_KEY)
            if label and key:
                self.label_keys[label] = key
                self.responses[f"utter_{key}"] = training_data.response_for(key)
        if self.config.retrieval_intent and not examples:
            logger.warning(
                "ResponseSelector: no examples of retrieval intent '%s' (known: %s)",
                self.config.retrieval_intent, ", ".join(self.all_retrieval_intents) or "none",
            )
        super().train(training_data)

    def _write_label(self, message: Message, confidences: np.ndarray) -> None:
        ranking = self._ranking(confidences)
        ranked = [
            {"id": _label_id(label), "confidence": value, "intent_response_key": self.label_keys.get(label, label)}
            for label, value in ranking
        ]
        best = ranked[0]
        key = best["intent_response_key"]
        variations = self.responses.get(f"utter_{key}", [])
        output = dict(message.get(RESPONSE_SELECTOR) or {})
        output["all_retrieval_intents"] = self.all_retrieval_intents
        output[self.config.retrieval_intent or DEFAULT_SELECTOR] = {
            "response": {
                "id": best["id"],
                "responses": variations,
                "response_templates": variations,
                "confidence": best["confidence"],
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
                "template_name": f"utter_{key}",
            },
            "ranking": ranked,
        }
        message.set(RESPONSE_SELECTOR, output)

    def persist(self, directory: Path) -> None:
        super().persist(directory)
        extra = {"responses": self.responses, "all_retrieval_intents": self.all_retrieval_intents,
                 "label_keys": self.label_keys}
        (directory / "selector.json").write_text(json.dumps(extra, indent=1, default=str))

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> Component:
        component = super().load(config, directory)
        assert isinstance(component, ResponseSelector)
        extra = json.loads((directory / "selector.json").read_text())
        component.responses = extra["responses"]
        component.all_retrieval_intents = extra["all_retrieval_intents"]
        component.label_keys = extra["label_keys"]
        return component


def _label_id(label: str) -> int:
    """A stable integer id of a label (Rasa shows a hash-like id)."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:7], "big")
