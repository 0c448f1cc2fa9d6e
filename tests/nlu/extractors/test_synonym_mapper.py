"""EntitySynonymMapper: synonyms from entries and annotations, case-insensitive lookup."""

from __future__ import annotations

import logging

from bot.nlu.registry import component_class
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def _trained():
    example = Message.from_text("flug nach NYC", intent="fly",
                                entities=[{"entity": "city", "start": 10, "end": 13, "value": "New York City"}])
    plain = Message.from_text("flug nach Köln", intent="fly",
                              entities=[{"entity": "city", "start": 10, "end": 14, "value": "Köln"}])
    mapper = component_class("EntitySynonymMapper").create({})
    mapper.train(TrainingData([example, plain], entity_synonyms={"Cologne": "Köln", "big apple": "New York City"}))
    return mapper


def _map(mapper, value):
    entity = {"entity": "city", "start": 0, "end": len(value), "value": value, "extractor": "DIETClassifier"}
    message = Message.from_text(value, entities=[entity])
    mapper.process([message])
    return message.get("entities")[0]


def test_maps_case_insensitively_and_records_processor():
    mapper = _trained()
    assert _map(mapper, "nyc") == {"entity": "city", "start": 0, "end": 3, "value": "New York City",
                                   "extractor": "DIETClassifier", "processors": ["EntitySynonymMapper"]}
    assert _map(mapper, "COLOGNE")["value"] == "Köln"
    assert _map(mapper, "Big Apple")["value"] == "New York City"
    assert "processors" not in _map(mapper, "Berlin")
    assert "köln" not in mapper.synonyms  # identical surface and value: not a synonym


def test_conflicting_synonyms_warn(caplog):
    mapper = component_class("EntitySynonymMapper").create({})
    with caplog.at_level(logging.WARNING):
        mapper.train(TrainingData([], entity_synonyms={"NYC": "New York City", "nyc": "New York"}))
    assert "conflicting synonyms" in caplog.text and mapper.synonyms["nyc"] == "New York"


def test_training_examples_unchanged_and_round_trip(tmp_path):
    mapper = _trained()
    data = TrainingData([Message.from_text("NYC", entities=[{"entity": "city", "start": 0, "end": 3, "value": "NYC"}])])
    mapper.process_training_data(data)
    assert data.training_examples[0].entities[0]["value"] == "NYC"
    mapper.persist(tmp_path)
    loaded = type(mapper).load(mapper.config, tmp_path)
    assert _map(loaded, "Cologne")["value"] == "Köln"
