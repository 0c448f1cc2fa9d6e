"""CRFEntityExtractor's `entity_values` (values the training data annotates) and `intent` features."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.extractors.crf_entity import CRFEntityExtractor, _tag_spans
from bot.nlu.extractors.crf_features import CrfToken, token_features
from bot.nlu.extractors.crf_values import ValueLexicon
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidModel
from bot.shared.nlu.message import Message
from bot.shared.nlu.readers import read_nlu_text

WINDOWS = [["low"], ["low", "bias", "entity_values", "intent"], ["low"]]


def test_tag_spans_reads_bilou_and_plain_tags() -> None:
    assert _tag_spans(["O", "B-a", "I-a", "L-a", "U-a", "U-a", "O", "a", "a", "B-b", "L-b"]) == [
        (1, 4, "a"), (4, 5, "a"), (5, 6, "a"), (7, 9, "a"), (9, 11, "b")]


def test_lexicon_marks_known_values_with_their_place() -> None:
    lexicon = ValueLexicon()
    lexicon.fit([("play hey jude by the beatles".split(), [(1, 3, "track"), (4, 6, "artist")]),
                 ("play hey jude now".split(), [(1, 3, "track")])])
    assert lexicon.tags("i love hey jude".split()) == [[], [], ["B-track"], ["L-track"]]
    assert lexicon.tags("the beatles".split()) == [["B-artist"], ["L-artist"]]


def test_lexicon_leaves_a_training_example_out_of_its_own_counts() -> None:
    lexicon = ValueLexicon()
    lexicon.fit([("play hey jude".split(), [(1, 3, "track")]),
                 ("play yesterday".split(), [(1, 2, "track")]),
                 ("play yesterday again".split(), [(1, 2, "track")])])
    # "hey jude" is annotated once, in this very example: the example must not see it
    assert lexicon.tags("play hey jude".split(), [(1, 3, "track")]) == [[], [], []]
    # "yesterday" is annotated in the other example too
    assert lexicon.tags("play yesterday".split(), [(1, 2, "track")]) == [[], ["U-track"]]


def test_lexicon_ignores_words_mostly_seen_as_plain_text() -> None:
    lexicon = ValueLexicon(min_share=0.5)
    lexicon.fit([("add it to my list".split(), [(3, 4, "owner")]),
                 ("my god".split(), []), ("my day".split(), []), ("is my cat".split(), [])])
    assert lexicon.tags("add to my playlist".split()) == [[], [], [], []]  # 1 of 4 occurrences annotated
    assert ValueLexicon.from_dict(lexicon.as_dict()).tags("my".split()) == [[]]


def test_intent_and_value_features_reach_crfsuite() -> None:
    tokens = [CrfToken("hey", values=["B-track"], intent="play"), CrfToken("jude", values=["L-track"], intent="play")]
    first = token_features(tokens, WINDOWS)[0]
    assert first["0:entity_values:B-track"] is True and first["0:intent"] == "play"
    assert "1:entity_values:L-track" not in first  # the neighbours' windows name only `low`


NLU = """
version: "3.1"
nlu:
- intent: play
  examples: |
    - play [yesterday](track)
    - play [yesterday](track) please
    - put on [hey jude](track)
    - play [hey jude](track) now
    - I want to hear [let it be](track)
    - play [let it be](track)
- intent: weather
  examples: |
    - weather in [paris](city)
    - is it cold in [paris](city)
    - weather in [rome](city) tomorrow
    - rain in [rome](city)
    - sun in [oslo](city)
    - weather for [oslo](city)
"""


def _pipeline_steps(windows: list[list[str]]) -> tuple[CRFEntityExtractor, object]:
    data = read_nlu_text(NLU)
    tokenizer = component_class("WhitespaceTokenizer").create({}, language="en")
    tokenizer.train(data)
    tokenizer.process_training_data(data)
    extractor = component_class("CRFEntityExtractor").create({"features": windows, "BILOU_flag": False},
                                                            language="en")
    assert isinstance(extractor, CRFEntityExtractor)
    extractor.train(data)
    return extractor, tokenizer


def _found(extractor: CRFEntityExtractor, tokenizer: object, text: str, intent: str | None) -> list[tuple]:
    message = Message.from_text(text)
    if intent:
        message.set("intent", {"name": intent, "confidence": 0.9})  # as DIET sets it before the CRF
    tokenizer.process([message])  # type: ignore[attr-defined]
    extractor.process([message])
    return [(e["entity"], e["value"]) for e in message.get("entities") or []]


def test_trained_values_persist_and_load(tmp_path: Path) -> None:
    extractor, tokenizer = _pipeline_steps(WINDOWS)
    assert extractor.values is not None and ("hey", "jude") in extractor.values.lookup()
    assert _found(extractor, tokenizer, "put on hey jude", "play") == [("track", "hey jude")]
    extractor.persist(tmp_path)
    loaded = CRFEntityExtractor.load(extractor.config, tmp_path)
    assert _found(loaded, tokenizer, "put on hey jude", "play") == [("track", "hey jude")]
    assert _found(loaded, tokenizer, "is it cold in oslo", "weather") == [("city", "oslo")]


def test_a_model_without_values_for_a_config_asking_for_them_is_refused(tmp_path: Path) -> None:
    extractor, _ = _pipeline_steps([["low"], ["low", "bias"], ["low"]])
    extractor.persist(tmp_path)
    with pytest.raises(InvalidModel, match="entity_values"):
        CRFEntityExtractor.load(CRFEntityExtractor.Config(features=WINDOWS), tmp_path)
