"""SpacyTokenizer: tokens (with part-of-speech tag and lemma when the model has them) from spaCy.

Uses the Doc a preceding SpacyNLP stored on the message. Without SpacyNLP it tokenizes
with ``spacy.blank(language)``: spaCy's rule-based tokenizer for the language, which
ships with spaCy itself (no model download), so "de" and "en" work offline; blank
pipelines have no tagger, so tokens then carry no pos/lemma.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from bot.nlu.component import ComponentConfig
from bot.nlu.tokenizers.base import Tokenizer
from bot.nlu.utils.spacy_nlp import SPACY_DOC_KEYS
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, RESPONSE, TEXT
from bot.shared.nlu.message import Message, Token
from bot.shared.nlu.training_data import TrainingData

POS_TAG_KEY = "pos"
_STATE_FILE = "spacy_tokenizer.json"


class SpacyTokenizer(Tokenizer):
    """Rasa's SpacyTokenizer (same options as every tokenizer)."""

    required_packages: ClassVar[list[str]] = ["spacy"]

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._blank: Any = None

    def _blank_nlp(self) -> Any:
        if self._blank is None:
            import spacy

            language = self.language or "en"
            try:
                self._blank = spacy.blank(language)
            except (ImportError, KeyError, ValueError) as error:
                raise InvalidConfig(
                    f"SpacyTokenizer: spaCy has no language data for '{language}' ({error})",
                    hint="set a language spaCy supports in config.yml, or add SpacyNLP with a model before it",
                ) from None
        return self._blank

    def tokenize(self, text: str) -> list[Token]:
        return doc_to_tokens(self._blank_nlp()(text))

    def _tokens_from(self, message: Message, attribute: str) -> list[Token] | None:
        text = message.get(attribute)
        if not isinstance(text, str):
            return None
        doc = message.data.get(SPACY_DOC_KEYS[attribute])
        tokens = doc_to_tokens(doc) if doc is not None else self.tokenize(text)
        return self.apply_token_pattern(tokens)

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            tokens = self._tokens_from(message, TEXT)
            if tokens is not None:
                message.tokens[TEXT] = tokens

    def process_training_data(self, training_data: TrainingData) -> None:
        for message in training_data.training_examples:
            for attribute in (TEXT, RESPONSE):
                if attribute == RESPONSE and not message.get(RESPONSE):
                    continue
                tokens = self._tokens_from(message, attribute)
                if tokens is not None:
                    message.tokens[attribute] = tokens
            if message.get(INTENT):
                message.tokens[INTENT] = self.split_label(message.get(INTENT))
            if message.get(INTENT_RESPONSE_KEY):
                message.tokens[INTENT_RESPONSE_KEY] = self.split_label(
                    message.get(INTENT_RESPONSE_KEY), retrieval_key=True
                )

    def persist(self, directory: Path) -> None:
        (directory / _STATE_FILE).write_text(json.dumps({"language": self.language}), encoding="utf-8")

    @classmethod
    def load(cls, config: ComponentConfig, directory: Path) -> SpacyTokenizer:
        component = cls(config)
        state_file = directory / _STATE_FILE
        if state_file.exists():
            component.language = json.loads(state_file.read_text(encoding="utf-8")).get("language")
        return component


def doc_to_tokens(doc: Any) -> list[Token]:
    """Tokens of a spaCy Doc, skipping whitespace tokens; pos = fine-grained tag, lemma when known."""
    tokens = []
    for word in doc:
        if not word.text.strip():
            continue
        data = {POS_TAG_KEY: word.tag_} if word.tag_ else {}
        tokens.append(Token(word.text, word.idx, word.idx + len(word.text), data=data, lemma=word.lemma_ or None))
    return tokens
