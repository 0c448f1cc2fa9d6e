"""Hostile text: long and adversarial messages parse in time linear in their length.

Every regex that sees user text runs here (tokenizer, language detector, regex and lookup
features and entities, count vectors): each of these inputs made one of them rescan a run from
every position (quadratic; a 40,000-character word froze the server for 15 s). The bound below is
~30x what the linear code needs on a busy machine and ~1/20 of what the quadratic code took.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.pipeline import NLUPipeline
from bot.nlu.registry import component_class
from bot.nlu.tokenizers.separators import SEPARATORS, blank_separators, linear_blank_separators
from bot.shared.nlu.readers import load_nlu_files

LENGTH = 20_000
SECONDS = 5.0
HOSTILE = {
    "punctuation inside a word": "x" + "-" * LENGTH + "x",
    "symbols inside a word before a digit": "x" + "\u00a7" * LENGTH + "1",
    "one long word": "a" * LENGTH,
    "punctuation then a letter": "!" * LENGTH + "a",
    "digits then a letter": "1" * LENGTH + "a",
    "spaces then a letter": " " * LENGTH + "x",
    "alternating letter and punctuation": "a!" * (LENGTH // 2),
    "alternating space and punctuation": " !" * (LENGTH // 2) + "x",
    "brackets": "[" * LENGTH,
    "umlauts": "ä" * LENGTH,
    "emoji": "\U0001f600" * LENGTH,
    "tracking number prefix": "JJD" + "0" * LENGTH,
    "lookup prefix": "Berlin" * (LENGTH // 6),
}
NLU = """
version: "3.1"
nlu:
- intent: track_parcel
  metadata: {language: de}
  examples: |
    - Wo ist mein Paket [JJD000390007812345](tracking_number)?
    - Sendungsverfolgung bitte
    - mein Paket nach [Berlin](city) ist nicht da
- intent: greet
  metadata: {language: en}
  examples: |
    - hello there
    - good morning
    - hi, I have a question about order [A-123456](order_id)
- regex: tracking_number
  examples: |
    - \\b[Jj][Jj][Dd][0-9]{12,20}\\b
- regex: order_id
  examples: |
    - \\b[Aa]-?[0-9]{6}\\b
- lookup: city
  examples: |
    - Berlin
    - Köln
"""
PIPELINE = {
    "language": "de",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "LanguageDetector", "languages": ["de", "en"]},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 1, "number_of_transformer_layers": 1, "transformer_size": 16},
        {"name": "RegexEntityExtractor"},
        {"name": "EntitySynonymMapper"},
        {"name": "FallbackClassifier"},
    ],
}


@pytest.fixture(scope="module")
def example_pipeline(tmp_path_factory: pytest.TempPathFactory) -> NLUPipeline:
    """The example assistant's components with a regex and a lookup table (one epoch: only speed matters)."""
    path = tmp_path_factory.mktemp("hostile") / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    pipeline = NLUPipeline.from_config(PIPELINE)
    pipeline.train(load_nlu_files([path]))
    return pipeline


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_message_parses_in_linear_time(example_pipeline: NLUPipeline, name: str) -> None:
    started = time.perf_counter()
    result = example_pipeline.parse(HOSTILE[name])
    took = time.perf_counter() - started
    assert result["intent"]["name"]
    assert took < SECONDS, f"{name}: {LENGTH} characters took {took:.1f} s"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_whitespace_tokenizer_is_linear_on_hostile_text(name: str) -> None:
    tokenizer = component_class("WhitespaceTokenizer").create({}, language="de")
    started = time.perf_counter()
    tokenizer.tokenize(HOSTILE[name] * 5)
    assert time.perf_counter() - started < SECONDS


# Characters each of the separator rule's cases treats differently: letters, digits, spaces of several
# kinds, the characters case 3 keeps, the ones it splits on, # @ & and emoji.
_ALPHABET = list("a1ä5_ \t\n\u00a0\u2028-.!'#@&/:[](),\u00a7😀")


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=16))
def test_the_linear_separator_scan_agrees_with_rasas_regex(text: str) -> None:
    assert linear_blank_separators(text) == SEPARATORS.sub(" ", text)
    assert blank_separators(text) == SEPARATORS.sub(" ", text)


def test_the_linear_scan_is_used_for_long_runs_and_agrees() -> None:
    text = "Wo ist " + "-" * 40 + " mein Paket?! " + "x" + "'" * 40 + "y -5 .5"
    assert blank_separators(text) == SEPARATORS.sub(" ", text)
