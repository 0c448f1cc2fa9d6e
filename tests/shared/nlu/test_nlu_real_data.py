"""The reader against real Rasa projects, Rasa's own fixtures and the benchmark sets.

Each file is also scanned line by line, independently of the reader, to check that every
example line became exactly one message (duplicates aside) at exactly that line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.shared.errors import InvalidTrainingData
from bot.shared.nlu.readers import is_nlu_file, load_nlu_files, parse_entity_markup, read_nlu_yaml

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
BOT_FILES = sorted(SHARED.glob("rasa-bots/*/data/nlu*.yml")) + sorted(SHARED.glob("rasa-bots/*/data/nlu/*.yml"))
BENCHMARK_FILES = sorted(SHARED.glob("benchmarks/*/train.yml"))
FIXTURES = SHARED / "rasa-fixtures"

_ITEM = re.compile(r"^\s*- (intent|synonym|regex|lookup):\s*(.*?)\s*$")
_EXAMPLE = re.compile(r"^\s+- (.*?)\s*$")


def _scan(path: Path) -> dict[tuple[str, str], int]:
    """(intent, raw example line) -> first line number, for block-style intent examples."""
    found: dict[tuple[str, str], int] = {}
    intent = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line[:1].isalpha():  # a top-level key such as `responses:` ends the nlu section
            intent = None
            continue
        item = _ITEM.match(line)
        if item:
            intent = item.group(2) if item.group(1) == "intent" else None
            continue
        example = _EXAMPLE.match(line)
        if intent is not None and example and not line.strip().startswith("- text:"):
            found.setdefault((intent, example.group(1)), number)
    return found


def _check_file_against_scan(path: Path) -> None:
    data = read_nlu_yaml(path)
    expected = _scan(path)
    got = {(m.get("intent_response_key") or m.intent, m.location) for m in data.training_examples}
    assert len(data.training_examples) == len(expected), path
    assert got == {(intent, f"{path}:{line}") for (intent, _), line in expected.items()}
    lines = path.read_text(encoding="utf-8").splitlines()
    for message in data.training_examples:
        line = lines[int(message.location.rsplit(":", 1)[1]) - 1]
        assert parse_entity_markup(line.strip()[1:].strip())[0] == message.text
    entity_count = sum(raw.count("](") + raw.count("]{") for (_, raw) in expected)
    assert sum(len(m.entities) for m in data.training_examples) == entity_count


@pytest.mark.parametrize("path", BOT_FILES, ids=lambda p: str(p.relative_to(SHARED)))
def test_rasa_bots_nlu_files_load_fully(path: Path) -> None:
    assert is_nlu_file(path)
    _check_file_against_scan(path)


@pytest.mark.parametrize("path", BENCHMARK_FILES, ids=lambda p: str(p.relative_to(SHARED)))
def test_benchmark_train_files_load_fully(path: Path) -> None:
    assert is_nlu_file(path)
    _check_file_against_scan(path)


def test_there_is_real_data_to_test() -> None:
    assert len(BOT_FILES) >= 15 and len(BENCHMARK_FILES) == 5


def test_snips_and_xsid_entities() -> None:
    snips = read_nlu_yaml(SHARED / "benchmarks/snips/train.yml")
    assert len(snips.intents) == 7 and len(snips.entities) > 30
    xsid = read_nlu_yaml(SHARED / "benchmarks/xsid-de/train.yml")
    first = xsid.training_examples[0]
    assert first.text == "Regnet es heute?"
    assert [(e["entity"], first.text[e["start"]:e["end"]]) for e in first.entities] == [
        ("weather_attribute", "Regnet"), ("datetime", "heute")]


def test_banking77_loads_whole() -> None:
    data = read_nlu_yaml(SHARED / "benchmarks/banking77/train.yml")
    assert len(data.training_examples) > 9900


def test_financial_demo_synonyms() -> None:
    data = read_nlu_yaml(SHARED / "rasa-bots/financial-demo/data/nlu/nlu.yml")
    assert data.entity_synonyms["credit card"] == "credit"


def test_multiline_examples_fixture() -> None:
    data = read_nlu_yaml(FIXTURES / "test_multiline_intent_examples_yaml/nlu.yml")
    greet = [m.text for m in data.training_examples if m.intent == "greet"]
    assert greet == ["Hello,\nMy name is Christof", "Hello,\nYou can call me Christof"]
    assert [m.location.rsplit(":", 1)[1] for m in data.training_examples] == ["6", "9", "13", "14"]


def test_rasa_demo_fixture() -> None:
    data = read_nlu_yaml(FIXTURES / "examples/rasa/demo-rasa.yml")
    assert data.entity_synonyms["Chines"] == "chinese" and data.entity_synonyms["vegg"] == "vegetarian"
    assert {r["name"] for r in data.regex_features} == {"greet", "zipcode"}
    ask_name = [m for m in data.training_examples if m.get("intent_response_key") == "chitchat/ask_name"]
    assert ask_name and ask_name[0].data["response"] == "Hello, my name is Retrieval Bot."


def test_lookup_fixture() -> None:
    data = read_nlu_yaml(FIXTURES / "test/lookup_tables/lookup_table.yml")
    assert data.lookup_tables == [
        {"name": "plates", "elements": ["tacos", "beef", "mapo tofu", "burrito", "lettuce wrap"]}]


def test_duplicate_intents_across_files_merge() -> None:
    paths = sorted((FIXTURES / "test/duplicate_intents_yaml").glob("*.yml"))
    parts = [read_nlu_yaml(p) for p in paths]
    data = load_nlu_files(paths)
    unique = {(m.text, m.intent, str(m.entities)) for part in parts for m in part.training_examples}
    assert len(data.training_examples) == len(unique)
    assert data.intents == set().union(*(part.intents for part in parts))
    assert len(data.sources) == 3


def test_examples_without_dash_are_an_error_not_dropped() -> None:
    # Rasa warns and trains on nothing here; we stop and say where and how to fix it.
    with pytest.raises(InvalidTrainingData) as caught:
        read_nlu_yaml(FIXTURES / "rasa_yaml_examples/nlu.yml")
    assert caught.value.location.endswith("rasa_yaml_examples/nlu.yml:9")
