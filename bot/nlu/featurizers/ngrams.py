"""Text -> n-gram strings, exactly as scikit-learn's CountVectorizer analyses text.

Vocabularies are learned with scikit-learn at training time; parsing only needs the analyzer.
Having it here keeps scikit-learn (and the scipy.stats it imports, ~1.5 s) out of `bot run`'s
start-up. tests/nlu/featurizers/test_ngrams.py checks it against scikit-learn's own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from typing import Literal

Analyzer = Literal["word", "char", "char_wb"]

_WHITE_SPACES = re.compile(r"\s\s+")


def strip_accents_unicode(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def strip_accents_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


_ACCENT_FUNCTIONS = {"unicode": strip_accents_unicode, "ascii": strip_accents_ascii}


def stop_word_set(stop_words: str | Collection[str] | None) -> frozenset[str] | None:
    """scikit-learn's reading of `stop_words`: "english", a list, or None."""
    if stop_words is None:
        return None
    if stop_words == "english":
        # Only users of the list pay the scikit-learn import.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    if isinstance(stop_words, str):
        raise ValueError(f"not a built-in stop list: {stop_words}")
    return frozenset(stop_words)


def word_ngrams(tokens: list[str], min_n: int, max_n: int) -> list[str]:
    grams = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    grams = list(text) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(text)) + 1):
        grams.extend(text[i:i + n] for i in range(len(text) - n + 1))
    return grams


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Character n-grams inside each word padded with spaces; a word shorter than n counts once."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(min_n, max_n + 1):
            if n >= size:
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams


def build_analyzer(
    analyzer: Analyzer = "word",
    *,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
    strip_accents: Literal["ascii", "unicode"] | None = None,
    token_pattern: str | None = r"(?u)\b\w\w+\b",
    stop_words: str | Collection[str] | None = None,
    preprocessor: Callable[[str], str] | None = None,
) -> Callable[[str], list[str]]:
    """The function scikit-learn's `CountVectorizer(...).build_analyzer()` returns for these options."""
    min_n, max_n = ngram_range
    if preprocessor is None:
        accents = _ACCENT_FUNCTIONS.get(strip_accents) if strip_accents else None

        def preprocessor(text: str) -> str:
            if lowercase:
                text = text.lower()
            return accents(text) if accents is not None else text

    prepare = preprocessor
    if analyzer == "char":
        return lambda text: char_ngrams(prepare(text), min_n, max_n)
    if analyzer == "char_wb":
        return lambda text: char_wb_ngrams(prepare(text), min_n, max_n)
    pattern = re.compile(token_pattern or r"(?u)\b\w\w+\b")
    if pattern.groups > 1:
        raise ValueError("token_pattern may hold at most one capturing group")
    stop = stop_word_set(stop_words)

    def analyse_words(text: str) -> list[str]:
        tokens = pattern.findall(prepare(text))
        if stop is not None:
            tokens = [token for token in tokens if token not in stop]
        return word_ngrams(tokens, min_n, max_n) if max_n != 1 else tokens

    return analyse_words
