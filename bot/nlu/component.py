"""Base class of every NLU pipeline component."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData
from bot.shared.options import validate_options

logger = logging.getLogger(__name__)


class ComponentConfig(BaseModel):
    """Options of a component, as written under its `- name:` entry in config.yml.

    Subclasses declare their options with defaults. Unknown options are kept but logged,
    because real Rasa configs carry options we may not implement (they must still load).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Component:
    """An NLU pipeline step.

    Lifecycle: `__init__(config)` -> `train(data)` (trainable ones) ->
    `process_training_data(data)` (adds tokens/features so later components can train) ->
    `persist(dir)`; at run time `load(config, dir)` -> `process(messages)`.
    """

    name: ClassVar[str] = ""  # the Rasa name, set by the registry
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    # Python packages this component imports lazily; a missing one fails training clearly.
    required_packages: ClassVar[list[str]] = []

    def __init__(self, config: ComponentConfig) -> None:
        self.config = config

    @classmethod
    def create(cls, options: dict[str, Any], *, index: int | None = None, language: str | None = None) -> Component:
        """Validates `options` (without `name`) and builds the component."""
        where = f"pipeline step {index + 1} ({cls.name})" if index is not None else cls.name
        config = validate_options(cls.Config, options, where, "fix the option in config.yml")
        component = cls(config)
        component.language = language
        return component

    language: str | None = None

    @classmethod
    def check_dependencies(cls) -> None:
        """Raises MissingDependency when something the component needs is not installed."""
        import importlib.util

        from bot.shared.errors import MissingDependency

        for package in cls.required_packages:
            if importlib.util.find_spec(package) is None:
                raise MissingDependency(
                    f"{cls.name} needs the Python package '{package}', which is not installed",
                    hint=f"pip install {package}, or remove {cls.name} from the pipeline in config.yml",
                )

    def train(self, training_data: TrainingData) -> None:
        """Learns from the data; components that learn nothing keep this no-op."""

    def process_training_data(self, training_data: TrainingData) -> None:
        """Annotates training examples (tokens, features) so later components can train on them."""
        self.process(training_data.training_examples)

    def process(self, messages: list[Message]) -> None:
        """Annotates messages in place at parse time."""

    def persist(self, directory: Path) -> None:
        """Saves what `load` needs into `directory` (created by the caller). Default: pickle of the state."""
        with open(directory / "component.pkl", "wb") as file:
            pickle.dump(self.__dict__, file)

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> Component:
        """Restores a persisted component."""
        component = cls(config)
        state_file = directory / "component.pkl"
        if state_file.exists():
            with open(state_file, "rb") as file:
                component.__dict__.update(pickle.load(file))
        return component
