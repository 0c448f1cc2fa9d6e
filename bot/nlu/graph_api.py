"""Rasa 3's GraphComponent API, as far as a custom NLU component uses it.

A Rasa 3 custom component subclasses `rasa.engine.graph.GraphComponent`, is built by its
`create(config, model_storage, resource, execution_context)` classmethod, trains with
`train(training_data) -> Resource`, saves into `model_storage.write_to(resource)` and is loaded
again by `load(...)`. These are the classes it touches; the modules under `bot/rasa_shim/rasa/`
re-export them by Rasa's module names, and `bot.nlu.graph_adapter` runs such a class as one of
our pipeline components.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

__all__ = ["DefaultV1Recipe", "ExecutionContext", "GraphComponent", "LocalModelStorage", "ModelStorage",
           "Resource"]


@dataclass(frozen=True)
class Resource:
    """A component's own part of the model (Rasa's `rasa.engine.storage.resource.Resource`)."""

    name: str
    output_fingerprint: str | None = None


@dataclass
class ExecutionContext:
    """What Rasa tells a component about the graph run; here only the fields components read."""

    graph_schema: Any = None
    model_id: str | None = None
    should_add_diagnostic_data: bool = False
    is_finetuning: bool = False
    node_name: str | None = None


class ModelStorage:
    """Where components keep their files (Rasa's `rasa.engine.storage.storage.ModelStorage`)."""

    @contextmanager
    def write_to(self, resource: Resource) -> Iterator[Path]:
        raise NotImplementedError

    @contextmanager
    def read_from(self, resource: Resource) -> Iterator[Path]:
        raise NotImplementedError


class LocalModelStorage(ModelStorage):
    """A folder with one subfolder per resource, as Rasa's `LocalModelStorage` keeps them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def write_to(self, resource: Resource) -> Iterator[Path]:
        directory = self.root / resource.name
        directory.mkdir(parents=True, exist_ok=True)
        yield directory

    @contextmanager
    def read_from(self, resource: Resource) -> Iterator[Path]:
        directory = self.root / resource.name
        if not directory.is_dir():
            # Rasa raises ValueError here; components catch it to start untrained.
            raise ValueError(f"resource '{resource.name}' is not in the model storage")
        yield directory

    def copy_resource(self, resource: Resource, target: Path) -> None:
        """Copies what the component wrote (if anything) to `target`, which then holds the resource."""
        source = self.root / resource.name
        if source.is_dir():
            shutil.copytree(source, target / resource.name, dirs_exist_ok=True)


class GraphComponent:
    """Base class of Rasa 3 components (`rasa.engine.graph.GraphComponent`)."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        raise NotImplementedError(f"{cls.__name__} must implement the classmethod create()")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> GraphComponent:
        """Rasa's default: a trained component is created again (override to read saved files)."""
        return cls.create(config, model_storage, resource, execution_context)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def required_packages() -> list[str]:
        return []

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return None


class DefaultV1Recipe:
    """Only the `register` decorator of Rasa's default recipe: it records the component's types
    and whether it trains."""

    class ComponentType(Enum):
        MESSAGE_TOKENIZER = 0
        MESSAGE_FEATURIZER = 1
        INTENT_CLASSIFIER = 2
        ENTITY_EXTRACTOR = 3
        POLICY_WITHOUT_END_TO_END_SUPPORT = 4
        POLICY_WITH_END_TO_END_SUPPORT = 5
        MODEL_LOADER = 6

    @staticmethod
    def register(component_types: DefaultV1Recipe.ComponentType | list[DefaultV1Recipe.ComponentType],
                 is_trainable: bool, model_from: str | None = None) -> Callable[[type], type]:
        types = component_types if isinstance(component_types, list) else [component_types]

        def decorate(cls: type) -> type:
            cls.rasa_recipe = {"types": types, "is_trainable": is_trainable,  # type: ignore[attr-defined]
                               "model_from": model_from}
            return cls

        return decorate
