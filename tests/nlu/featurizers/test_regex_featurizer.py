"""RegexFeaturizer: per-token pattern overlap, sentence any-match, lookup tables, options."""

from __future__ import annotations

import numpy as np

from bot.nlu.featurizers.regex_featurizer import extract_patterns, lookup_table_pattern
from bot.nlu.registry import component_class
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def _data() -> TrainingData:
    return TrainingData(
        [Message.from_text("Wo ist JJD0001234", intent="track"), Message.from_text("hallo", intent="greet")],
        regex_features=[{"name": "tracking", "pattern": r"JJD\d{7}"}, {"name": "zip", "pattern": r"\b\d{5}\b"}],
        lookup_tables=[{"name": "city", "elements": ["Köln", "New York", "New York City", "St. Gallen"]}],
    )


def _run(text: str, **options):
    tokenizer = component_class("WhitespaceTokenizer").create({})
    featurizer = component_class("RegexFeaturizer").create(options, language="de")
    data = _data()
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    message = Message.from_text(text)
    tokenizer.process([message])
    featurizer.process([message])
    return featurizer, message


def test_token_and_sentence_features():
    featurizer, message = _run("Paket JJD0001234 nach New York City, 50667")
    assert [p["name"] for p in featurizer.patterns] == ["tracking", "zip", "city"]
    seq, sent, _, _ = message.get_features()
    assert seq.toarray().tolist() == [
        [0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 1, 0],
    ]
    assert sent.toarray().tolist() == [[1, 1, 1]]
    tokens = message.tokens["text"]
    assert tokens[1].data["pattern"] == {"tracking": True, "zip": False, "city": False}


def test_case_sensitivity_and_word_boundaries():
    _, message = _run("in köln")
    assert message.get_features()[1].toarray().tolist() == [[0, 0, 0]]
    _, message = _run("in köln", case_sensitive=False)
    assert message.get_features()[1].toarray().tolist() == [[0, 0, 1]]
    _, message = _run("Kölner Dom", case_sensitive=False)
    assert message.get_features()[1].toarray()[0, 2] == 0
    _, message = _run("Kölner Dom", case_sensitive=False, use_word_boundaries=False)
    assert message.get_features()[1].toarray()[0, 2] == 1


def test_lookup_elements_are_escaped_and_longest_first():
    pattern = lookup_table_pattern(["St. Gallen", "a+b", "New York", "New York City"], use_word_boundaries=True)
    assert pattern.startswith(r"(?<!\w)(?:New\ York\ City|")
    import re

    assert re.search(pattern, "a+b") and not re.search(pattern, "aab")
    assert not re.search(pattern, "StX Gallen") and re.search(pattern, "in St. Gallen.")
    symbol_end = lookup_table_pattern(["C++"], use_word_boundaries=True)
    assert re.search(symbol_end, "ich mag C++") and not re.search(symbol_end, "xC++")


def test_use_regexes_and_lookup_switches():
    data = _data()
    assert [p["name"] for p in extract_patterns(data, use_regexes=False)] == ["city"]
    assert [p["name"] for p in extract_patterns(data, use_lookup_tables=False)] == ["tracking", "zip"]


def test_no_patterns_means_no_features():
    featurizer = component_class("RegexFeaturizer").create({})
    featurizer.train(TrainingData([Message.from_text("hi", intent="greet")]))
    message = Message.from_text("hi")
    component_class("WhitespaceTokenizer").create({}).process([message])
    featurizer.process([message])
    assert message.features == []


def test_persist_and_load(tmp_path):
    featurizer, message = _run("JJD0001234 in Köln")
    featurizer.persist(tmp_path)
    loaded = type(featurizer).load(featurizer.config, tmp_path)
    again = Message.from_text("JJD0001234 in Köln")
    component_class("WhitespaceTokenizer").create({}).process([again])
    loaded.process([again])
    assert np.array_equal(again.get_features()[0].toarray(), message.get_features()[0].toarray())
