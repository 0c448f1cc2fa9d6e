"""SpacyEntityExtractor: the named entities of a pretrained spaCy pipeline (PERSON, ORG, DATE ...)."""

from __future__ import annotations

from bot.nlu.component import Component, ComponentConfig
from bot.nlu.utils.spacy_nlp import SPACY_DOC_KEYS
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import ENTITIES, TEXT
from bot.shared.nlu.message import Message


class SpacyEntityExtractorConfig(ComponentConfig):
    # entity labels to keep (e.g. ["PERSON", "GPE"]); None keeps all the model knows
    dimensions: list[str] | None = None


class SpacyEntityExtractor(Component):
    """Reads entities from the spaCy Doc that SpacyNLP put on the message; learns nothing itself."""

    Config = SpacyEntityExtractorConfig
    config: SpacyEntityExtractorConfig

    def train(self, training_data) -> None:
        """Checks the pipeline order now, so a wrong config fails at training, not at the first parse."""
        if not any(m.data.get(SPACY_DOC_KEYS[TEXT]) is not None for m in training_data.training_examples):
            raise InvalidConfig("SpacyEntityExtractor needs SpacyNLP earlier in the pipeline",
                                hint="add '- name: SpacyNLP' with a 'model:' before it in config.yml, "
                                     "or remove SpacyEntityExtractor")

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            doc = message.data.get(SPACY_DOC_KEYS[TEXT])
            if doc is None:
                if message.text:
                    raise InvalidConfig("SpacyEntityExtractor needs SpacyNLP earlier in the pipeline",
                                        hint="add '- name: SpacyNLP' with a 'model:' before it in config.yml")
                continue
            wanted = set(self.config.dimensions) if self.config.dimensions else None
            found = [
                {"entity": ent.label_, "value": ent.text, "start": ent.start_char, "end": ent.end_char,
                 "confidence": None, "extractor": "SpacyEntityExtractor"}
                for ent in doc.ents if wanted is None or ent.label_ in wanted
            ]
            if found:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *found])

    def process_training_data(self, training_data) -> None:
        """Training examples keep their annotated entities; nothing to add."""
