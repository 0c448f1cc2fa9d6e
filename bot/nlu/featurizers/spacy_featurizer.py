"""SpacyFeaturizer: dense word vectors from the spaCy Doc that SpacyNLP stored on the message.

Sequence features: one vector per token of ``message.tokens["text"]`` (the mean of the
spaCy tokens overlapping it, so it also lines up with WhitespaceTokenizer tokens);
sentence feature: the mean (or max, option `pooling`) over the tokens.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.utils.spacy_nlp import SPACY_DOC_KEYS
from bot.shared.errors import InvalidConfig, MissingDependency
from bot.shared.nlu.constants import RESPONSE, SENTENCE, SEQUENCE, TEXT
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.training_data import TrainingData


class SpacyFeaturizerConfig(ComponentConfig):
    """Rasa's SpacyFeaturizer options."""

    pooling: Literal["mean", "max"] = "mean"


def _has_vectors(doc: Any) -> bool:
    # static word vectors, or (spaCy 3 *_sm pipelines) context tensors that Token.vector falls back to
    return bool(doc.vocab.vectors.shape[1]) or bool(getattr(doc.tensor, "size", 0))


class SpacyFeaturizer(Component):
    """Dense token and sentence vectors from spaCy."""

    Config: ClassVar[type[ComponentConfig]] = SpacyFeaturizerConfig
    config: SpacyFeaturizerConfig
    required_packages: ClassVar[list[str]] = ["spacy"]

    def train(self, training_data: TrainingData) -> None:
        docs = [m.data.get(SPACY_DOC_KEYS[TEXT]) for m in training_data.training_examples if m.get(TEXT)]
        if docs and all(doc is None for doc in docs):
            raise InvalidConfig(
                "SpacyFeaturizer needs SpacyNLP earlier in the pipeline (no spaCy Doc on the messages)",
                hint="add `- name: SpacyNLP` with a `model:` before SpacyFeaturizer in config.yml",
            )
        for doc in docs:
            if doc is not None and len(doc):
                self._check_vectors(doc)
                break

    @staticmethod
    def _check_vectors(doc: Any) -> None:
        if not _has_vectors(doc):
            raise MissingDependency(
                "SpacyFeaturizer: the spaCy pipeline loaded by SpacyNLP has no word vectors "
                "(blank pipelines and models without vectors cannot give token vectors)",
                hint="use a spaCy model with vectors (an *_md or *_lg package, or a local pipeline "
                "with vectors) in SpacyNLP, or replace SpacyFeaturizer with CountVectorsFeaturizer",
            )

    def _featurize(self, message: Message, attribute: str) -> None:
        doc = message.data.get(SPACY_DOC_KEYS[attribute])
        tokens = message.tokens.get(attribute)
        if doc is None or not tokens or not len(doc):
            return
        self._check_vectors(doc)
        doc_vectors = [(word.idx, word.idx + len(word.text), word.vector) for word in doc if word.text.strip()]
        if not doc_vectors:
            return
        width = doc_vectors[0][2].shape[0]
        sequence = np.zeros((len(tokens), width), dtype=np.float32)
        for row, token in enumerate(tokens):
            overlapping = [v for start, end, v in doc_vectors if start < token.end and end > token.start]
            if overlapping:
                sequence[row] = np.mean(overlapping, axis=0)
        pooled = sequence.max(axis=0) if self.config.pooling == "max" else sequence.mean(axis=0)
        origin = self.name or type(self).__name__
        message.add_features(Features(sequence, SEQUENCE, attribute, origin))
        message.add_features(Features(pooled[np.newaxis, :], SENTENCE, attribute, origin))

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            self._featurize(message, TEXT)

    def process_training_data(self, training_data: TrainingData) -> None:
        for message in training_data.training_examples:
            self._featurize(message, TEXT)
            if message.get(RESPONSE):
                self._featurize(message, RESPONSE)
