"""Our n-gram analyzer must cut text exactly as scikit-learn's CountVectorizer does."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bot.nlu.featurizers.ngrams import build_analyzer, stop_word_set

TEXTS = [
    "Wo ist mein Paket JJD000390007812345?",
    "  Héllo   wörld\tnaïve café  ",
    "I'd like to return my order #4711, please!",
    "a",
    "",
    "Straße über Öffnungszeiten — am Samstag geöffnet?",
    "x y z",
    "ÀÉÎÕÜ ﬁ ligature ½",
]

OPTIONS = [
    {"analyzer": "word", "ngram_range": (1, 1)},
    {"analyzer": "word", "ngram_range": (1, 3), "token_pattern": r"(?u)\b\w+\b"},
    {"analyzer": "word", "ngram_range": (2, 2), "stop_words": ["the", "to", "my"]},
    {"analyzer": "word", "ngram_range": (1, 2), "stop_words": "english", "lowercase": False},
    {"analyzer": "word", "ngram_range": (1, 1), "strip_accents": "unicode"},
    {"analyzer": "char", "ngram_range": (1, 3)},
    {"analyzer": "char", "ngram_range": (2, 5), "strip_accents": "ascii"},
    {"analyzer": "char_wb", "ngram_range": (1, 4)},
    {"analyzer": "char_wb", "ngram_range": (3, 6), "lowercase": False},
    {"analyzer": "char_wb", "ngram_range": (2, 3), "strip_accents": "unicode"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_same_ngrams_as_scikit_learn(options: dict) -> None:
    kwargs = dict(options)
    ours = build_analyzer(kwargs.pop("analyzer"), **kwargs)
    if options["analyzer"] != "word":
        options = {k: v for k, v in options.items() if k not in ("stop_words", "token_pattern")}
    theirs = CountVectorizer(**options).build_analyzer()
    for text in TEXTS:
        assert ours(text) == theirs(text), text


def test_a_given_preprocessor_replaces_lowercasing() -> None:
    ours = build_analyzer("char_wb", ngram_range=(1, 2), preprocessor=str.upper)
    theirs = CountVectorizer(analyzer="char_wb", ngram_range=(1, 2), preprocessor=str.upper).build_analyzer()
    assert ours("Ab c") == theirs("Ab c") == [" ", "A", "B", " ", " A", "AB", "B ", " ", "C", " ", " C", "C "]


def test_unknown_stop_list_and_bad_pattern_are_refused() -> None:
    with pytest.raises(ValueError, match="not a built-in stop list: german"):
        stop_word_set("german")
    with pytest.raises(ValueError, match="capturing group"):
        build_analyzer("word", token_pattern=r"(a)(b)")
