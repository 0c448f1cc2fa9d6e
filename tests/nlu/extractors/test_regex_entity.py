"""RegexEntityExtractor: only entity-named patterns, options, persistence."""

from __future__ import annotations

from bot.nlu.registry import component_class
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData


def _data() -> TrainingData:
    example = Message.from_text("Paket JJD0001234 nach Köln",
                                intent="track",
                                entities=[{"entity": "tracking_number", "start": 6, "end": 16, "value": "JJD0001234"},
                                          {"entity": "city", "start": 22, "end": 26, "value": "Köln"}])
    return TrainingData(
        [example],
        regex_features=[{"name": "tracking_number", "pattern": r"JJD\d{7}"},
                        {"name": "zipcode", "pattern": r"\d{5}"}],  # no zipcode entity annotated: feature only
        lookup_tables=[{"name": "city", "elements": ["Köln", "Berlin"]}],
    )


def _extract(text, **options):
    extractor = component_class("RegexEntityExtractor").create(options)
    extractor.train(_data())
    message = Message.from_text(text)
    extractor.process([message])
    return extractor, message.get("entities")


def test_entities_for_entity_named_patterns_only():
    extractor, entities = _extract("jjd0001234 von 50667 berlin")
    assert [p["name"] for p in extractor.patterns] == ["tracking_number", "city"]
    assert entities == [
        {"entity": "tracking_number", "start": 0, "end": 10, "value": "jjd0001234", "extractor": "RegexEntityExtractor"},
        {"entity": "city", "start": 21, "end": 27, "value": "berlin", "extractor": "RegexEntityExtractor"},
    ]


def test_options():
    assert _extract("jjd0001234", case_sensitive=True)[1] is None
    assert _extract("Berliner", use_word_boundaries=True)[1] is None
    assert _extract("Berliner", use_word_boundaries=False)[1][0]["value"] == "Berlin"
    assert [e["entity"] for e in _extract("JJD0001234 Köln", use_regexes=False)[1]] == ["city"]
    assert [e["entity"] for e in _extract("JJD0001234 Köln", use_lookup_tables=False)[1]] == ["tracking_number"]


def test_appends_to_existing_entities_and_round_trips(tmp_path):
    extractor, _ = _extract("x")
    extractor.persist(tmp_path)
    loaded = type(extractor).load(extractor.config, tmp_path)
    message = Message.from_text("nach Köln", entities=[{"entity": "x", "start": 0, "end": 4, "value": "nach"}])
    loaded.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["x", "city"]
