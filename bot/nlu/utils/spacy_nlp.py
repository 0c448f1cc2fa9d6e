"""SpacyNLP: loads a spaCy pipeline once and parses each message into a spaCy Doc.

Later components (SpacyTokenizer, SpacyFeaturizer) read the Doc from
``message.data["spacy_doc"]`` (and ``"response_spacy_doc"`` for retrieval responses on
training data). The Doc is internal: whoever turns a message into parse output must
leave keys in `SPACY_DOC_KEYS` out.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

from bot.nlu.component import Component, ComponentConfig
from bot.shared.errors import InvalidConfig, MissingDependency
from bot.shared.nlu.constants import RESPONSE, TEXT
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

logger = logging.getLogger(__name__)

# attribute -> key in message.data holding its spaCy Doc
SPACY_DOC_KEYS: dict[str, str] = {TEXT: "spacy_doc", RESPONSE: "response_spacy_doc"}

_STATE_FILE = "spacy_nlp.json"


class SpacyNLPConfig(ComponentConfig):
    """Rasa's SpacyNLP options."""

    # a spaCy package name ("en_core_web_md") or a path to a pipeline saved with nlp.to_disk
    model: str | None = None
    # when false, text is lower-cased before spaCy sees it (Rasa's default)
    case_sensitive: bool = False


def missing_model_error(model: str) -> MissingDependency:
    """The error for a spaCy model that is neither an installed package nor a pipeline folder."""
    return MissingDependency(
        f"SpacyNLP: the spaCy model '{model}' is not installed (no package or folder of that name)",
        hint=(
            "`python -m spacy download` is not possible offline; install the model package "
            f"(e.g. pip install a local {model} wheel) or point `model:` to a local path "
            "of a saved spaCy pipeline, or replace SpacyNLP/SpacyTokenizer/SpacyFeaturizer "
            "with WhitespaceTokenizer + CountVectorsFeaturizer in config.yml"
        ),
    )


def load_spacy_model(model: str) -> Any:
    """Loads a spaCy pipeline by package name or path; MissingDependency when absent."""
    try:
        import spacy
        import spacy.util
    except ImportError:  # pragma: no cover - spacy is a declared dependency
        raise MissingDependency(
            "SpacyNLP needs the Python package 'spacy', which is not installed",
            hint="pip install spacy, or use WhitespaceTokenizer + CountVectorsFeaturizer",
        ) from None
    path = Path(model).expanduser()
    if not path.exists() and not spacy.util.is_package(model):
        raise missing_model_error(model)
    try:
        return spacy.load(path if path.exists() else model)
    except OSError as error:
        # a folder that is not a spaCy pipeline, or a broken package
        raise MissingDependency(
            f"SpacyNLP: could not load the spaCy model '{model}': {error}",
            hint="point `model:` to a folder written by nlp.to_disk() or to an installed model package",
        ) from None


class SpacyNLP(Component):
    """Provides a spaCy pipeline and per-message Docs to the Spacy* components."""

    Config: ClassVar[type[ComponentConfig]] = SpacyNLPConfig
    config: SpacyNLPConfig
    required_packages: ClassVar[list[str]] = ["spacy"]

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        """The loaded spaCy Language object (loaded on first use)."""
        if self._nlp is None:
            if not self.config.model:
                raise InvalidConfig(
                    "SpacyNLP: no `model:` given",
                    hint="set `model:` under SpacyNLP in config.yml to a spaCy package name "
                    "(e.g. en_core_web_md) or a local pipeline path",
                )
            self._nlp = load_spacy_model(self.config.model)
        return self._nlp

    def check_dependencies(self) -> None:  # type: ignore[override]
        """Fails before any component trains when the model is missing (not minutes later)."""
        super().check_dependencies()
        _ = self.nlp

    def _prepare(self, text: str) -> str:
        return text if self.config.case_sensitive else text.lower()

    def train(self, training_data: TrainingData) -> None:
        # Nothing to learn; loading here makes a missing model fail at train time, clearly.
        _ = self.nlp

    def process_training_data(self, training_data: TrainingData) -> None:
        for attribute, key in SPACY_DOC_KEYS.items():
            messages = [m for m in training_data.training_examples if isinstance(m.get(attribute), str)]
            docs = self.nlp.pipe(self._prepare(m.get(attribute)) for m in messages)
            for message, doc in zip(messages, docs, strict=True):
                message.data[key] = doc

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.data[SPACY_DOC_KEYS[TEXT]] = self.nlp(self._prepare(text))

    def persist(self, directory: Path) -> None:
        # The pipeline itself is not copied into the model: it is loaded again by name/path.
        (directory / _STATE_FILE).write_text(json.dumps({"language": self.language}), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> SpacyNLP:
        component = cls(config)
        state_file = directory / _STATE_FILE
        if state_file.exists():
            component.language = json.loads(state_file.read_text(encoding="utf-8")).get("language")
        _ = component.nlp  # fail at load, not at the first message
        return component
