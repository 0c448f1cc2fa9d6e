"""CRFEntityExtractor: BILOU tagging with CRFsuite, roles, comma splitting, features, persistence."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bot.nlu.extractors.crf_entity import CRFEntityExtractor
from bot.nlu.extractors.crf_features import CrfToken, token_features
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig
from bot.shared.nlu.message import Features, Message
from bot.shared.nlu.readers import read_nlu_text
from bot.shared.nlu.training_data import TrainingData

NLU = """
version: "3.1"
nlu:
- intent: fly
  examples: |
    - fly from [Berlin]{"entity": "city", "role": "departure"} to [Paris]{"entity": "city", "role": "destination"}
    - a flight from [London]{"entity": "city", "role": "departure"} to [Rome]{"entity": "city", "role": "destination"}
    - from [Madrid]{"entity": "city", "role": "departure"} to [New York]{"entity": "city", "role": "destination"}
    - I want to go from [Hamburg]{"entity": "city", "role": "departure"} to [Oslo]{"entity": "city", "role": "destination"}
    - book me from [Vienna]{"entity": "city", "role": "departure"} to [San Francisco]{"entity": "city", "role": "destination"}
    - to [Lisbon]{"entity": "city", "role": "destination"} from [Prague]{"entity": "city", "role": "departure"}
    - hello there
    - what is the time
- intent: buy
  examples: |
    - I need [apples](fruit), [pears](fruit) and [plums](fruit)
    - buy [bananas](fruit) and [kiwis](fruit)
    - get me [oranges](fruit)
    - I want [cherries](fruit), [lemons](fruit)
    - [mangos](fruit) please
"""


def _tokenized(data: TrainingData, *extra: tuple[str, dict]) -> list:
    steps = []
    for name, options in [("WhitespaceTokenizer", {}), *extra]:
        step = component_class(name).create(options, language="en")
        step.train(data)
        step.process_training_data(data)
        steps.append(step)
    return steps


def _trained(*extra: tuple[str, dict], **options: object) -> tuple[CRFEntityExtractor, list]:
    data = read_nlu_text(NLU)
    steps = _tokenized(data, *extra)
    extractor = component_class("CRFEntityExtractor").create(options, language="en")
    assert isinstance(extractor, CRFEntityExtractor)
    extractor.train(data)
    return extractor, steps


def _entities(extractor, steps, text: str) -> list[dict]:
    message = Message.from_text(text)
    for step in [*steps, extractor]:
        step.process([message])
    return message.get("entities") or []


def _summary(entities: list[dict]) -> list[tuple]:
    return [(e["entity"], e["value"], e.get("role")) for e in entities]


def test_finds_held_in_entities_with_roles_and_confidences():
    extractor, steps = _trained()
    assert set(extractor.models) == {"entity", "role"}
    entities = _entities(extractor, steps, "fly from Berlin to Paris")
    assert _summary(entities) == [("city", "Berlin", "departure"), ("city", "Paris", "destination")]
    for entity in entities:
        assert entity["extractor"] == "CRFEntityExtractor"
        assert 0.5 < entity["confidence_entity"] <= 1.0 and 0.0 < entity["confidence_role"] <= 1.0
    assert _summary(_entities(extractor, steps, "book me from Vienna to San Francisco"))[1][:2] == (
        "city", "San Francisco")


def test_the_words_decide_not_the_position():
    """Same sentence frame, the word before the city sets its role: the CRF reads its input."""
    extractor, steps = _trained()
    assert _summary(_entities(extractor, steps, "to Lisbon from Prague")) == [
        ("city", "Lisbon", "destination"), ("city", "Prague", "departure")]
    assert _entities(extractor, steps, "hello there") == []


def test_split_entities_by_comma():
    """Plain tags mark "apples, pears" as one run of fruit tokens; the option decides if it is one entity."""
    split, steps = _trained(BILOU_flag=False)
    assert [e["value"] for e in _entities(split, steps, "I need apples, pears")] == ["apples", "pears"]
    joined, steps = _trained(BILOU_flag=False, split_entities_by_comma={"fruit": False})
    assert [e["value"] for e in _entities(joined, steps, "I need apples, pears")] == ["apples, pears"]
    # BILOU tags each fruit as its own unit: two entities either way
    bilou, steps = _trained(split_entities_by_comma=False)
    assert [e["value"] for e in _entities(bilou, steps, "I need apples, pears")] == ["apples", "pears"]


def test_without_bilou_tags():
    extractor, steps = _trained(BILOU_flag=False)
    assert _summary(_entities(extractor, steps, "from Madrid to New York"))[:2] == [
        ("city", "Madrid", "departure"), ("city", "New York", "destination")]


def test_regex_pattern_feature_reaches_the_crf():
    tokens = [CrfToken("12345", pattern={"zipcode": True}), CrfToken("Berlin", pos="NNP")]
    features = token_features(tokens, [["low", "pos"], ["pattern", "bias", "pos2"], ["title"]])
    assert features[0]["0:pattern:zipcode"] is True and features[0]["BOS"] is True
    assert features[0]["1:title"] is True
    assert features[1]["-1:low"] == "12345" and features[1]["EOS"] is True
    assert "0:pos2" in features[1] and features[1]["0:pos2"] == "NN"
    assert "-1:pos" not in features[1]  # no part of speech: the feature is left out


def test_dense_features_are_used_when_configured():
    data = read_nlu_text(NLU)
    steps = _tokenized(data)

    class Lengths:
        def process(self, messages: list[Message]) -> None:
            for message in messages:
                tokens = message.tokens["text"]
                values = np.array([[len(t.text) / 10, t.text[:1].isupper()] for t in tokens], dtype=np.float32)
                message.add_features(Features(values, "sequence", "text", "lengths"))

    Lengths().process(data.training_examples)
    features = [["low"], ["low", "text_dense_features"], ["low"]]
    extractor = component_class("CRFEntityExtractor").create({"features": features})
    extractor.train(data)
    message = Message.from_text("fly from Oslo to Rome")
    for step in [*steps, Lengths(), extractor]:
        step.process([message])
    crf_tokens = extractor._crf_tokens(message)
    assert crf_tokens[2].dense is not None and token_features(crf_tokens, features)[2]["0:text_dense_features:0"] == pytest.approx(0.4)
    assert [e["value"] for e in message.get("entities")] == ["Oslo", "Rome"]


def test_pos_features_without_spacy_tags_warn(caplog):
    with caplog.at_level(logging.WARNING):
        extractor, steps = _trained(features=[["low"], ["low", "pos", "pos2"], ["low"]])
    assert "need part-of-speech tags" in caplog.text
    assert [e["value"] for e in _entities(extractor, steps, "fly from Berlin to Paris")] == ["Berlin", "Paris"]


@pytest.mark.parametrize("options, option", [
    ({"features": [["low"], ["low"]]}, "odd number"),
    ({"features": [["low"], ["shape"], ["low"]]}, "unknown feature"),
    ({"max_iterations": 0}, "max_iterations"),
    ({"L1_c": -0.1}, "L1_c"),
    ({"BILOU_flag": "sometimes"}, "BILOU_flag"),
    ({"split_entities_by_comma": "yes please"}, "split_entities_by_comma"),
])
def test_bad_option_values_name_the_option(options, option):
    with pytest.raises(InvalidConfig) as error:
        component_class("CRFEntityExtractor").create(options, index=1)
    assert "CRFEntityExtractor" in str(error.value) and option in str(error.value)


def test_no_entities_trains_nothing():
    extractor = component_class("CRFEntityExtractor").create({})
    data = read_nlu_text("nlu:\n- intent: greet\n  examples: |\n    - hello\n")
    _tokenized(data)
    extractor.train(data)
    assert extractor.models == {}


def test_persist_and_load_round_trip(tmp_path):
    extractor, steps = _trained()
    extractor.persist(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crf_entity.crfsuite", "crf_entity.json", "crf_role.crfsuite"]
    loaded = CRFEntityExtractor.load(extractor.config, tmp_path)
    for text in ["fly from Berlin to Paris", "buy bananas and kiwis"]:
        assert _entities(loaded, steps, text) == _entities(extractor, steps, text)


def test_config_yml_pipeline_trains_persists_and_parses(tmp_path):
    config = {"language": "en", "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CRFEntityExtractor", "max_iterations": 80, "L2_c": 0.05},
        {"name": "LogisticRegressionClassifier"},
        {"name": "EntitySynonymMapper"},
    ]}
    pipeline = NLUPipeline.from_config(config)
    pipeline.train(read_nlu_text(NLU))
    pipeline.persist(tmp_path / "nlu")
    parsed = NLUPipeline.load(tmp_path / "nlu").parse("buy bananas and kiwis")
    assert parsed["intent"]["name"] == "buy"
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("fruit", "bananas"), ("fruit", "kiwis")]
