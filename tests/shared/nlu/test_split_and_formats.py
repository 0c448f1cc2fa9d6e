"""Stratified splits and the NLU writers: what is written reads back to the same training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.shared.nlu.readers import read_nlu_text, read_nlu_yaml
from bot.shared.nlu.readers.other_formats import read_rasa_json, read_rasa_markdown
from bot.shared.nlu.split import train_test_split
from bot.shared.nlu.writers import to_nlu_yaml, to_rasa_json, to_rasa_markdown

SOURCE = """version: "3.1"
nlu:
- intent: track_parcel
  examples: |
    - where is my parcel [JJD0001234567](parcel_id)?
    - track [JJD0009876543](parcel_id) please
    - I want to know where my package is
    - status of [JJD000111](parcel_id)
    - has my order shipped yet
- intent: greet
  examples: |
    - hi
    - hello
    - good morning
- intent: ask_city
  examples: |
    - do you deliver to [NYC]{"entity": "city", "value": "New York"}
    - is [Berlin](city) covered
- intent: faq/hours
  examples: |
    - when are you open
    - opening hours?
- intent: lonely
  examples: |
    - only one example: here
- intent: goodbye
  examples:
  - text: |
      bye
    metadata:
      language: en
  - text: |
      tschuess
    metadata:
      language: de
- synonym: New York
  examples: |
    - big apple
- regex: parcel_id
  examples: |
    - JJD[0-9]{7,13}
- lookup: city
  examples: |
    - Berlin
    - Hamburg
"""


def _canonical(data) -> dict:
    """What a reader made of a file, independent of order and locations."""
    return {
        "examples": sorted(json.dumps({k: v for k, v in m.data.items()}, sort_keys=True)
                           for m in data.training_examples),
        "synonyms": dict(sorted(data.entity_synonyms.items())),
        "regex": sorted((r["name"], r["pattern"]) for r in data.regex_features),
        "lookup": sorted((t["name"], tuple(t["elements"])) for t in data.lookup_tables),
    }


@pytest.fixture
def data():
    return read_nlu_text(SOURCE, "nlu.yml")


def test_yaml_written_reads_back_the_same(data):
    assert _canonical(read_nlu_text(to_nlu_yaml(data), "again.yml")) == _canonical(data)


def test_rasa_json_and_markdown_read_back_the_same(data, tmp_path: Path):
    (tmp_path / "nlu.json").write_text(to_rasa_json(data))
    assert _canonical(read_rasa_json(tmp_path / "nlu.json")) == _canonical(data)
    (tmp_path / "nlu.md").write_text(to_rasa_markdown(data))
    from_markdown = _canonical(read_rasa_markdown(tmp_path / "nlu.md"))
    without_metadata = _canonical(data)
    without_metadata["examples"] = sorted(json.dumps({k: v for k, v in json.loads(e).items() if k != "metadata"},
                                                     sort_keys=True) for e in without_metadata["examples"])
    assert from_markdown == without_metadata  # Markdown has no place for metadata


def test_markdown_errors_name_the_line(tmp_path: Path):
    from bot.shared.errors import InvalidTrainingData

    (tmp_path / "nlu.md").write_text("## intent:greet\n- hi\n## intnt:bye\n- bye\n")
    with pytest.raises(InvalidTrainingData, match="intnt") as error:
        read_rasa_markdown(tmp_path / "nlu.md")
    assert error.value.location.endswith("nlu.md:3")


def test_split_is_stratified_and_keeps_definitions(data):
    train, test = train_test_split(data, 0.6, seed=3)
    train_counts, test_counts = train.number_of_examples_per_intent(), test.number_of_examples_per_intent()
    # every intent with two or more examples is on both sides; the single one stays in training
    assert set(test_counts) == {"track_parcel", "greet", "ask_city", "faq", "goodbye"}
    assert train_counts["lonely"] == 1 and "lonely" not in test_counts
    assert train_counts["track_parcel"] == 3 and test_counts["track_parcel"] == 2
    assert len(train.training_examples) + len(test.training_examples) == len(data.training_examples)
    for part in (train, test):
        assert part.entity_synonyms == data.entity_synonyms
        assert part.regex_features == data.regex_features and part.lookup_tables == data.lookup_tables
    assert train_test_split(data, 0.6, seed=3)[1].training_examples == test.training_examples  # reproducible


def test_written_split_is_valid_rasa_yaml(data, tmp_path: Path):
    _, test = train_test_split(data, 0.8)
    (tmp_path / "test_data.yml").write_text(to_nlu_yaml(test))
    again = read_nlu_yaml(tmp_path / "test_data.yml")
    assert again.entity_synonyms == data.entity_synonyms
    assert len(again.training_examples) == len(test.training_examples)
