"""Rasa's JSON NLU format: every file Rasa reads loads; a broken one is an error naming file, entry and fix."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.shared.errors import InvalidTrainingData
from bot.shared.nlu.readers.other_formats import read_rasa_json, read_rasa_json_text
from bot.shared.project import Project

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "rasa-fixtures"
# Rasa's own test file whose "India" entity lies past the end of its text (Rasa does not check)
BROKEN_FIXTURE = "dialogflow_es_converted_to_rasa.json"


def _rasa_json_fixtures() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*.json") if '"rasa_nlu_data"' in p.read_text(encoding="utf-8"))


def _json(**nlu: object) -> str:
    return json.dumps({"rasa_nlu_data": nlu})


@pytest.mark.skipif(not _rasa_json_fixtures(), reason="needs ../shared/rasa-fixtures")
def test_every_rasa_json_fixture_loads_and_a_broken_entity_is_named(caplog: pytest.LogCaptureFixture) -> None:
    loaded = 0
    for path in _rasa_json_fixtures():
        if path.name == BROKEN_FIXTURE:
            with caplog.at_level(logging.WARNING):
                data = read_rasa_json(path)
            first = data.training_examples[0]
            assert [entity["entity"] for entity in first.get("entities", [])] == ["location"]
            assert str(path) in caplog.text
            assert "common_examples[0].entities[1] ('cuisine') spans characters 27-33" in caplog.text
            assert "Fix: 'India' is at start 26, end 31" in caplog.text
            continue
        data = read_rasa_json(path)
        assert data.training_examples or data.lookup_tables, path
        loaded += 1
    assert loaded >= 15


@pytest.mark.skipif(not _rasa_json_fixtures(), reason="needs ../shared/rasa-fixtures")
def test_lookup_elements_from_a_file_and_rasa_0_example_keys(caplog: pytest.LogCaptureFixture) -> None:
    lookup = read_rasa_json(FIXTURES / "test" / "lookup_tables" / "lookup_table.json")
    assert lookup.lookup_tables == [{"name": "plates",
                                     "elements": ["tacos", "beef", "mapo tofu", "burrito", "lettuce wrap"]}]
    with caplog.at_level(logging.WARNING):
        old = read_rasa_json(FIXTURES / "test" / "demo-rasa-noents.json")
    assert len(old.training_examples) == 50 and "'intent_examples' is Rasa 0.x's name" in caplog.text


def test_a_misspelt_example_key_is_named_once(caplog: pytest.LogCaptureFixture) -> None:
    text = _json(common_examples=[{"text": "hi", "intent": "greet", "entitites": []}] * 3)
    with caplog.at_level(logging.WARNING):
        data = read_rasa_json_text(text, "x.json")
    assert len(data.training_examples) == 3
    assert caplog.text.count("'entitites'") == 1 and "did you mean 'entities'" in caplog.text


@pytest.mark.parametrize(("nlu", "problem", "fix"), [
    ({"common_examples": {"text": "hi"}}, "'rasa_nlu_data.common_examples' must be a list", "one object per entry"),
    ({"common_examples": ["hi"]}, "common_examples[0] must be an object", '"text"'),
    ({"common_examples": [{"intent": "greet"}]}, "common_examples[0] has no 'text'", "add it"),
    ({"common_examples": [{"text": " ", "intent": "greet"}]}, "common_examples[0].text is empty", "remove it"),
    ({"common_examples": [{"text": "hi", "intent": 3}]}, "common_examples[0].intent must be a string", '"intent"'),
    ({"common_examples": [{"text": "to Berlin", "entities": {"start": 3}}]}, "entities must be a list", '"entities"'),
    ({"common_examples": [{"text": "to Berlin", "entities": [{"start": 3, "entity": "city"}]}]},
     "common_examples[0].entities[0] has no 'end'", '"end": 17'),
    ({"common_examples": [{"text": "to Berlin", "entities": [{"start": 3, "end": 9}]}]},
     "entities[0] has no 'entity'", '"entity": "city"'),
    ({"common_examples": [{"text": "to Berlin", "entities": [{"start": "3", "end": 9, "entity": "city"}]}]},
     "entities[0].start must be a whole number", '"start": 11'),
    ({"entity_synonyms": [{"synonyms": ["NYC"]}]}, "entity_synonyms[0] has no 'value'", '"value"'),
    ({"entity_synonyms": [{"value": "New York", "synonyms": "NYC"}]}, "entity_synonyms[0].synonyms must be a list",
     '"synonyms"'),
    ({"regex_features": [{"pattern": "[0-9]+"}]}, "regex_features[0] has no 'name'", '"name"'),
    ({"regex_features": [{"name": "zip", "pattern": "([0-9]"}]}, "not a valid regular expression", "fix the pattern"),
    ({"lookup_tables": [{"name": "city"}]}, "lookup_tables[0] ('city') needs 'elements'", '"elements"'),
    ({"lookup_tables": [{"name": "city", "elements": "no/such/cities.txt"}]},
     "the elements file 'no/such/cities.txt' does not exist", "fix the path"),
])
def test_a_broken_entry_names_file_entry_and_fix(nlu: dict, problem: str, fix: str) -> None:
    with pytest.raises(InvalidTrainingData) as error:
        read_rasa_json_text(_json(**nlu), "data/nlu.json")
    assert error.value.location == "data/nlu.json"
    assert problem in error.value.message
    assert error.value.hint and fix in error.value.hint


def test_not_json_or_not_rasa_json() -> None:
    with pytest.raises(InvalidTrainingData, match="not valid JSON") as error:
        read_rasa_json_text('{"rasa_nlu_data": {\n  "common_examples": [,]}}', "nlu.json")
    assert error.value.location == "nlu.json:2"
    with pytest.raises(InvalidTrainingData, match="top-level 'rasa_nlu_data'"):
        read_rasa_json_text('{"nlu": []}', "nlu.json")


def test_a_project_trains_on_json_in_data(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "config.yml").write_text("language: en\npipeline: []\n")
    (tmp_path / "data" / "nlu.json").write_text(_json(
        common_examples=[{"text": "fly to Berlin", "intent": "book",
                          "entities": [{"start": 7, "end": 13, "value": "Berlin", "entity": "city"}]}],
        lookup_tables=[{"name": "city", "elements": "cities.txt"}]))
    (tmp_path / "data" / "cities.txt").write_text("Berlin\nParis\n")
    (tmp_path / "data" / "other.json").write_text('{"not": "nlu"}')
    project = Project.discover(tmp_path)
    assert [p.name for p in project.nlu_files] == ["nlu.json"]
    data = project.load_nlu_data()
    assert [m.text for m in data.training_examples] == ["fly to Berlin"]
    assert data.training_examples[0].entities[0]["value"] == "Berlin"
    assert data.lookup_tables == [{"name": "city", "elements": ["Berlin", "Paris"]}]


def test_an_entity_outside_its_text_is_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    text = _json(common_examples=[{"text": "to Berlin", "intent": "travel",
                                   "entities": [{"start": 3, "end": 12, "entity": "city", "value": "Berlin"}]}])
    with caplog.at_level(logging.WARNING):
        data = read_rasa_json_text(text, "data/nlu.json")
    assert data.training_examples[0].get("entities", []) == []
    assert "data/nlu.json" in caplog.text and "spans characters 3-12, outside the text" in caplog.text
    assert "'Berlin' is at start 3, end 9" in caplog.text
