"""WhitespaceTokenizer: splits on whitespace and on punctuation that is not part of a word.

Follows Rasa's rules: punctuation at the edge of a word goes ("Hallo!" -> "Hallo"),
punctuation inside a word that belongs to numbers, e-mails, URLs or codes stays
("12.5", "anna@example.com", "https://x.de/a?b=1", "DE-1234-5678"); other inner symbols
split the word ("geht's" -> "geht", "s"). Words that are only an emoji are dropped.
Unicode letters (ä, ö, ü, ß, é ...) are word characters.
"""

from __future__ import annotations

import re
from typing import Any

from bot.nlu.tokenizers.base import Tokenizer, words_to_tokens
from bot.nlu.tokenizers.separators import blank_separators
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Token

# A word made only of emoji and their joiners/modifiers is not a token.
_EMOJI_ONLY = re.compile(
    "^["
    "\U0001f600-\U0001f64f"  # emoticons
    "\U0001f300-\U0001f5ff"  # symbols & pictographs
    "\U0001f680-\U0001f6ff"  # transport & map
    "\U0001f1e0-\U0001f1ff"  # flags
    "\U0001f900-\U0001f9ff\U0001fa70-\U0001faff"  # supplemental symbols
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u200d\ufe0f\u20e3"  # joiners and variation selectors
    "\U0001f3fb-\U0001f3ff"  # skin tones
    "]+$"
)

# Languages written without spaces between words: Rasa refuses them here too.
NOT_SUPPORTED_LANGUAGES = ("zh", "ja", "th")


class WhitespaceTokenizer(Tokenizer):
    """Rasa's WhitespaceTokenizer (options: intent_tokenization_flag, intent_split_symbol, token_pattern)."""

    @classmethod
    def create(cls, options: dict[str, Any], *, index: int | None = None, language: str | None = None):
        if language and language.split("-")[0].split("_")[0].lower() in NOT_SUPPORTED_LANGUAGES:
            where = f"pipeline step {index + 1} (WhitespaceTokenizer)" if index is not None else "WhitespaceTokenizer"
            raise InvalidConfig(
                f"{where}: language '{language}' is not written with spaces between words",
                hint="use SpacyTokenizer (with a model for that language) instead of WhitespaceTokenizer",
            )
        return super().create(options, index=index, language=language)

    def tokenize(self, text: str) -> list[Token]:
        words = [w for w in blank_separators(text).split() if not _EMOJI_ONLY.match(w)]
        if not words:
            # Only punctuation or emoji (":)"): keep the text as one token, as Rasa does,
            # so that every message has at least one token.
            stripped = text.strip()
            if not stripped:
                return []
            words = [stripped]
        return words_to_tokens(words, text)
