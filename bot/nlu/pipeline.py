"""The NLU pipeline: components built from config.yml, trained in order, persisted, and parsing text."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.nlu.component import Component
from bot.nlu.registry import component_class
from bot.nlu.tokenizers.base import Tokenizer
from bot.shared.errors import InvalidConfig, InvalidModel, at_config_line
from bot.shared.limits import MessageLimits
from bot.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_RANKING,
    LANGUAGE,
    RESPONSE_SELECTOR,
    TEXT,
)
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

# Called as progress(component_name, step_index, step_count) before each component trains.
ProgressCallback = Callable[[str, int, int], None]

_METADATA_FILE = "pipeline.json"


class NLUPipeline:
    """An ordered list of components; `parse` returns Rasa's parse JSON."""

    def __init__(self, components: list[Component], pipeline_config: list[dict[str, Any]], language: str) -> None:
        self.components = components
        self.pipeline_config = pipeline_config
        self.language = language
        self.train_seconds: dict[str, float] = {}

    @classmethod
    def from_config(cls, config: Any, language: str | None = None) -> NLUPipeline:
        """Builds untrained components from a config dict ({"language", "pipeline"}) or a ProjectConfig."""
        locations: list[str | None] = []
        if isinstance(config, dict):
            steps = config.get("pipeline") or []
            language = language or config.get("language") or "en"
        else:
            steps = list(config.pipeline or [])
            language = language or config.language or "en"
            locations = list(config.pipeline_locations)
        if not isinstance(steps, list):
            raise InvalidConfig("'pipeline' must be a list of components", hint="write '- name: ComponentName' items")
        steps = [dict(step) for step in steps]
        components = []
        for index, step in enumerate(steps):
            if "name" not in step:
                raise InvalidConfig(f"pipeline step {index + 1} has no 'name'",
                                    hint="every pipeline item needs '- name: ComponentName'")
            try:
                cls_ = component_class(str(step["name"]), index=index)
                components.append(cls_.create(step, index=index, language=language))
            except InvalidConfig as error:
                raise at_config_line(error, locations[index] if index < len(locations) else None) from None
        return cls(components, steps, language)

    def check_dependencies(self) -> None:
        """Fails before any training when a component needs something that is not installed."""
        for component in self.components:
            component.check_dependencies()

    def train(self, training_data: TrainingData, progress: ProgressCallback | None = None) -> None:
        """Trains every component in order; each then annotates the data for the next."""
        self.check_dependencies()
        for index, component in enumerate(self.components):
            if progress:
                progress(component.name, index, len(self.components))
            started = time.perf_counter()
            component.train(training_data)
            component.process_training_data(training_data)
            self.train_seconds[f"{index}_{component.name}"] = time.perf_counter() - started
            logger.debug("trained %s in %.2fs", component.name, self.train_seconds[f"{index}_{component.name}"])
        if progress:
            progress("done", len(self.components), len(self.components))

    def finetune(self, previous: NLUPipeline, training_data: TrainingData, epoch_fraction: float,
                 progress: ProgressCallback | None = None) -> None:
        """Rasa's `--finetune`: continues from `previous` (a loaded pipeline of the same config).

        Featurizers keep the vocabularies they learnt, so the networks after them see inputs of the
        same width; networks (DIET, ResponseSelector) continue from their weights for epochs ×
        `epoch_fraction`; the other learners (CRF, scikit-learn classifiers) train again, quickly.
        """
        self.check_dependencies()
        for index, (component, loaded) in enumerate(zip(self.components, previous.components, strict=True)):
            if progress:
                progress(component.name, index, len(self.components))
            started = time.perf_counter()
            if callable(getattr(loaded, "finetune", None)):
                loaded.config = component.config  # the same options but perhaps `epochs`
                loaded.finetune(training_data, epoch_fraction)
                component = loaded
            elif type(loaded).__module__.startswith(("bot.nlu.featurizers.", "bot.nlu.tokenizers.")):
                component = loaded
            else:
                component.train(training_data)
            component.process_training_data(training_data)
            self.components[index] = component
            self.train_seconds[f"{index}_{component.name}"] = time.perf_counter() - started
        if progress:
            progress("done", len(self.components), len(self.components))

    def process(self, messages: list[Message]) -> None:
        for component in self.components:
            component.process(messages)

    def parse(self, text: str, metadata: dict[str, Any] | None = None,
              limits: MessageLimits | None = None) -> dict[str, Any]:
        """Parses one text into Rasa's parse JSON (intent, entities, intent_ranking, response_selector).

        With `limits`, a text over its characters or (after the tokenizer) tokens raises
        MessageTooLong before any model runs.
        """
        return self.parse_many([text], metadata, limits)[0]

    def parse_many(self, texts: list[str], metadata: dict[str, Any] | None = None,
                   limits: MessageLimits | None = None) -> list[dict[str, Any]]:
        messages = [Message.from_text(text, **({"metadata": metadata} if metadata else {})) for text in texts]
        if limits is None:
            self.process(messages)
        else:
            for text in texts:
                limits.check_characters(text)
            for component in self.components:
                component.process(messages)
                if isinstance(component, Tokenizer):
                    for message in messages:
                        limits.check_tokens(len(message.tokens.get(TEXT) or ()))
        return [parse_result(message) for message in messages]

    def persist(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        names = []
        for index, component in enumerate(self.components):
            subdir = directory / f"{index}_{component.name}"
            subdir.mkdir(exist_ok=True)
            component.persist(subdir)
            names.append(subdir.name)
        metadata = {"language": self.language, "pipeline": self.pipeline_config, "components": names,
                    "train_seconds": self.train_seconds}
        (directory / _METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str))

    @classmethod
    def load(cls, directory: Path) -> NLUPipeline:
        metadata_file = directory / _METADATA_FILE
        if not metadata_file.exists():
            raise InvalidModel(f"no NLU pipeline in {directory}", hint="retrain with 'bot train'")
        metadata = json.loads(metadata_file.read_text())
        components = []
        for index, (step, subdir) in enumerate(zip(metadata["pipeline"], metadata["components"], strict=True)):
            cls_ = component_class(step["name"], index=index)
            options = {k: v for k, v in step.items() if k != "name"}
            component = cls_.load(cls_.Config(**options), directory / subdir)
            component.language = metadata["language"]
            components.append(component)
        pipeline = cls(components, metadata["pipeline"], metadata["language"])
        pipeline.train_seconds = metadata.get("train_seconds", {})
        return pipeline


def parse_result(message: Message) -> dict[str, Any]:
    """Rasa's parse JSON for a processed message."""
    intent = message.get(INTENT)
    if not isinstance(intent, dict):
        intent = {"name": intent, "confidence": 1.0 if intent else 0.0}
    result: dict[str, Any] = {
        TEXT: message.text,
        INTENT: intent,
        ENTITIES: message.get(ENTITIES, []),
        INTENT_RANKING: message.get(INTENT_RANKING, []),
    }
    if message.get(RESPONSE_SELECTOR) is not None:
        result[RESPONSE_SELECTOR] = message.get(RESPONSE_SELECTOR)
    if message.get(LANGUAGE) is not None:
        result[LANGUAGE] = message.get(LANGUAGE)
    return result
