"""What every tokenizer shares: which attributes get tokens, intent splitting, token_pattern."""

from __future__ import annotations

import re
from typing import ClassVar

from bot.nlu.component import Component, ComponentConfig
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, RESPONSE, RETRIEVAL_SEPARATOR, TEXT
from bot.shared.nlu.message import Message, Token
from bot.shared.nlu.training_data import TrainingData


class TokenizerConfig(ComponentConfig):
    """Rasa's common tokenizer options."""

    # split intent names ("check_balance") into tokens on `intent_split_symbol`
    intent_tokenization_flag: bool = False
    intent_split_symbol: str = "_"
    # a regex; when set, each token is re-split into the pieces this pattern finds
    token_pattern: str | None = None


class Tokenizer(Component):
    """Base class: subclasses implement `tokenize(text) -> list[Token]`.

    At parse time only the "text" attribute is tokenized. On training data the
    tokenizer also tokenizes "response" (retrieval answers, for the response selector)
    and the labels "intent" and "intent_response_key" (one token each unless
    intent_tokenization_flag splits them).
    """

    Config: ClassVar[type[ComponentConfig]] = TokenizerConfig
    config: TokenizerConfig

    def __init__(self, config: ComponentConfig) -> None:
        super().__init__(config)
        self._token_pattern: re.Pattern[str] | None = None
        if self.config.token_pattern:
            try:
                self._token_pattern = re.compile(self.config.token_pattern)
            except re.error as error:
                raise InvalidConfig(
                    f"{type(self).__name__}: token_pattern '{self.config.token_pattern}' is not a valid regex ({error})",
                    hint="fix token_pattern in config.yml or remove it",
                ) from None

    # --- to implement -------------------------------------------------------------------
    def tokenize(self, text: str) -> list[Token]:
        """The tokens of `text`, each with its character span in `text`."""
        raise NotImplementedError

    # --- pipeline hooks -----------------------------------------------------------------
    def process(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.tokens[TEXT] = self._tokens_for(text)

    def process_training_data(self, training_data: TrainingData) -> None:
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.tokens[TEXT] = self._tokens_for(text)
            response = message.get(RESPONSE)
            if isinstance(response, str) and response:
                message.tokens[RESPONSE] = self._tokens_for(response)
            intent = message.get(INTENT)
            if isinstance(intent, str) and intent:
                message.tokens[INTENT] = self.split_label(intent)
            key = message.get(INTENT_RESPONSE_KEY)
            if isinstance(key, str) and key:
                message.tokens[INTENT_RESPONSE_KEY] = self.split_label(key, retrieval_key=True)

    # --- shared helpers -----------------------------------------------------------------
    def _tokens_for(self, text: str) -> list[Token]:
        return self.apply_token_pattern(self.tokenize(text))

    def split_label(self, label: str, *, retrieval_key: bool = False) -> list[Token]:
        """Tokens of an intent name; "faq/ask_hours" splits at "/" first when it is a retrieval key."""
        parts = label.split(RETRIEVAL_SEPARATOR, 1) if retrieval_key else [label]
        words: list[str] = []
        for part in parts:
            if self.config.intent_tokenization_flag and self.config.intent_split_symbol:
                words.extend(w for w in part.split(self.config.intent_split_symbol) if w)
            else:
                words.append(part)
        return words_to_tokens(words or [label], label)

    def apply_token_pattern(self, tokens: list[Token]) -> list[Token]:
        """Re-splits tokens with token_pattern; a token where it finds nothing stays whole."""
        if self._token_pattern is None:
            return tokens
        result: list[Token] = []
        for token in tokens:
            pieces = [m for m in self._token_pattern.finditer(token.text) if m.group(0)]
            if not pieces:
                result.append(token)
                continue
            for match in pieces:
                result.append(
                    Token(
                        match.group(0),
                        token.start + match.start(),
                        token.start + match.end(),
                        data=dict(token.data),
                        lemma=token.lemma,
                    )
                )
        return result


def words_to_tokens(words: list[str], text: str) -> list[Token]:
    """Tokens for words found left to right in `text` (each word must occur in order)."""
    tokens: list[Token] = []
    offset = 0
    for word in words:
        start = text.find(word, offset)
        if start < 0:  # should not happen for substrings; keep a sane span anyway
            start = offset
        tokens.append(Token(word, start, start + len(word)))
        offset = start + len(word)
    return tokens
