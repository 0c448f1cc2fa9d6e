"""Is the customer plainly angry? A lexicon scorer for German and English customer-service messages.

    sentiment_score("Das ist eine absolute Frechheit!!", "de")   # about -5.5
    is_angry("Where is my parcel?", "en")                        # False

Words from a curated lexicon (`handover/_sentiment_lexicon.py`), turned around by a negation up to
three words before ("nicht schlecht", "not bad"), strengthened by an intensifier right before
("völlig unfähig"), plus phrases ("Nase voll", "fed up"), repeated "!!"/"??" and SHOUTING.
At or below `threshold` (default -2.0) counts as angry. `bench/sentiment.py` measures it on labelled
messages in both languages.
"""

from __future__ import annotations

import re
from functools import cache

from handover._sentiment_lexicon import INTENSIFIERS, NEGATIONS, PHRASES, WORDS

__all__ = ["DEFAULT_THRESHOLD", "LANGUAGES", "guess_language", "is_angry", "sentiment_score"]

DEFAULT_THRESHOLD = -2.0
# Words this strong (insults, fury) keep their weight after a negation.
_UNNEGATABLE = -2.5
LANGUAGES = tuple(WORDS)

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_REPEATED_MARKS = re.compile(r"[!?]{2,}")
# Frequent function words, to pick a lexicon when the NLU did not say which language a message is in.
_FUNCTION_WORDS = {
    "en": frozenset("the a an is are was i you my me it this that to of and for with not on in your why "
                    "where what how can do have has".split()),
    "de": frozenset("der die das ein eine ist sind war ich sie mein meine es dies zu von und für mit "
                    "nicht auf im ihr ihre warum wo was wie kann habe hat schon noch".split()),
}


@cache
def _prefixes(language: str) -> list[tuple[str, float]]:
    """Stem entries ("unverschämt*"), longest first so the most specific stem wins."""
    stems = [(word[:-1], weight) for word, weight in WORDS[language].items() if word.endswith("*")]
    return sorted(stems, key=lambda item: -len(item[0]))


@cache
def _phrase_patterns(language: str) -> list[tuple[re.Pattern[str], float]]:
    return [(re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)"), weight) for phrase, weight in PHRASES[language].items()]


def _weight(word: str, language: str) -> float | None:
    weight = WORDS[language].get(word)
    if weight is not None:
        return weight
    for stem, stem_weight in _prefixes(language):
        if word.startswith(stem):
            return stem_weight
    return None


def guess_language(text: str) -> str | None:
    """"de" or "en" by counting frequent function words; None when neither shows."""
    words = [word.lower() for word in _TOKEN.findall(text)]
    counts = {language: sum(word in common for word in words) for language, common in _FUNCTION_WORDS.items()}
    best = max(counts, key=lambda language: counts[language])
    if counts[best] == 0 or list(counts.values()).count(counts[best]) > 1:
        return None
    return best


def sentiment_score(text: str, language: str | None = None) -> float:
    """Negative for anger, positive for warmth, 0 for plain requests; in `language` ("de"/"en") if known.

    Other or unknown languages are scored in the language `guess_language` picks, or in both
    (the lower score) when it cannot tell.
    """
    if language not in WORDS:
        guessed = guess_language(text)
        if guessed is None:
            return min(_score(text, candidate) for candidate in LANGUAGES)
        language = guessed
    return _score(text, language)


def _score(text: str, language: str) -> float:
    tokens = _TOKEN.findall(text)
    lowered = [token.lower().replace("’", "'") for token in tokens]
    score = 0.0
    for index, word in enumerate(lowered):
        weight = _weight(word, language)
        if weight is None:
            continue
        negated = any(previous in NEGATIONS[language] for previous in lowered[max(0, index - 3):index])
        if negated and weight > _UNNEGATABLE:
            # "not bad" is mildly good, "not happy" clearly not; an insult stays one whatever the verb
            # before it ("Don't give me another useless link").
            weight *= -0.75 if weight < 0 else -1.25
        if index and lowered[index - 1] in INTENSIFIERS[language]:
            weight *= 1.5
        score += weight
    text_lower = text.lower().replace("’", "'")
    score += sum(weight for pattern, weight in _phrase_patterns(language) if pattern.search(text_lower))
    score -= min(2, len(_REPEATED_MARKS.findall(text)))  # "!!", "??", "?!"
    shouted = [token for token in tokens if len(token) >= 3 and token.isupper()]
    if len(shouted) >= 3:
        score -= 2.0
    return score


def is_angry(text: str, language: str | None = None, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """True when `sentiment_score` is at or below `threshold`."""
    return sentiment_score(text, language) <= threshold
