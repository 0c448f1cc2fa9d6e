"""Runs a component written against Rasa 3's GraphComponent API as one of our pipeline components.

The Rasa class is built by its own `create`/`load` with its `get_default_config()` merged with the
options in config.yml, a `ModelStorage` folder and a `Resource` named after the pipeline step.
`train` is called only when `@DefaultV1Recipe.register(..., is_trainable=True)` says so (as in
Rasa); what the component writes to its resource is copied into the model archive and handed
back to its `load` when the model is loaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, ClassVar

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.graph_api import ExecutionContext, LocalModelStorage, Resource
from bot.shared.errors import InvalidConfig, MissingDependency
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

__all__ = ["GraphComponentAdapter", "adapt_graph_component", "is_graph_component"]

_ADAPTERS: dict[type, type[GraphComponentAdapter]] = {}


def is_graph_component(cls: type) -> bool:
    """A Rasa 3 component: not ours, with Rasa's `create` classmethod and `process` method."""
    return (not issubclass(cls, Component) and callable(getattr(cls, "create", None))
            and callable(getattr(cls, "process", None)))


def adapt_graph_component(cls: type, name: str) -> type[GraphComponentAdapter]:
    """Our component class running the Rasa class `cls` (one per class, so loading finds the same)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = type(f"{cls.__name__}Adapter", (GraphComponentAdapter,), {"graph_class": cls, "name": name})
        _ADAPTERS[cls] = adapter
    return adapter


class GraphComponentAdapter(Component):
    """A Rasa GraphComponent in our pipeline's lifecycle (create, train, persist, load, process)."""

    graph_class: ClassVar[type]

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._storage: LocalModelStorage | None = None
        self._graph: Any = None

    # -- what the Rasa class is given ---------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        written = {key: value for key, value in (self.config.model_extra or {}).items() if key != "name"}
        return {**self.graph_class.get_default_config(), **written}

    @property
    def _resource(self) -> Resource:
        return Resource(self.name.rsplit(".", 1)[-1])

    def _context(self) -> ExecutionContext:
        return ExecutionContext(node_name=f"run_{self.name}")

    def _trainable(self) -> bool:
        recipe = getattr(self.graph_class, "rasa_recipe", None)
        return bool(recipe["is_trainable"]) if recipe else callable(getattr(self.graph_class, "train", None))

    def _created(self) -> Any:
        """The Rasa component for training, writing into a folder of its own until `persist`."""
        if self._graph is None:
            self._check_language()
            self._workdir = tempfile.TemporaryDirectory(prefix="graph-component-")
            self._storage = LocalModelStorage(Path(self._workdir.name))
            self._graph = self.graph_class.create(self._options(), self._storage, self._resource, self._context())
        return self._graph

    def _check_language(self) -> None:
        supported = self.graph_class.supported_languages() if hasattr(self.graph_class, "supported_languages") \
            else None
        refused = self.graph_class.not_supported_languages() \
            if hasattr(self.graph_class, "not_supported_languages") else None
        if self.language and ((supported is not None and self.language not in supported)
                              or (refused is not None and self.language in refused)):
            raise InvalidConfig(f"{self.name} does not support the language '{self.language}'",
                                hint="remove it from the pipeline or change 'language' in config.yml")

    # -- our lifecycle ------------------------------------------------------------------------------
    def check_dependencies(self) -> None:  # type: ignore[override]
        import importlib.util

        required = getattr(self.graph_class, "required_packages", lambda: [])()
        for package in required:
            if importlib.util.find_spec(package) is None:
                raise MissingDependency(f"{self.name} needs the Python package '{package}', which is not installed",
                                        hint=f"pip install {package}, or remove {self.name} from config.yml")

    def train(self, training_data: TrainingData) -> None:
        graph = self._created()
        if self._trainable():
            graph.train(training_data)

    def process_training_data(self, training_data: TrainingData) -> None:
        result = self._created().process_training_data(training_data)
        if isinstance(result, TrainingData) and result is not training_data:
            # Rasa passes the returned data on; ours is annotated in place, so take its examples over.
            training_data.training_examples[:] = result.training_examples

    def process(self, messages: list[Message]) -> None:
        result = self._created().process(messages)
        if isinstance(result, list) and result is not messages and len(result) == len(messages):
            messages[:] = result

    def persist(self, directory: Path) -> None:
        if self._storage is not None:
            self._storage.copy_resource(self._resource, directory)

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> Component:
        component = cls(config)
        component._storage = LocalModelStorage(directory)
        component._graph = cls.graph_class.load(component._options(), component._storage, component._resource,
                                                component._context())
        return component
