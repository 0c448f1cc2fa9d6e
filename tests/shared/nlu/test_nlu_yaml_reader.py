"""Reading Rasa 3.x NLU YAML: content, line numbers, merging, and errors that name file:line and a fix."""

from __future__ import annotations

import logging
from pathlib import Path
from textwrap import dedent

import pytest

from bot.shared.errors import InvalidTrainingData, InvalidYaml
from bot.shared.nlu.readers import is_nlu_file, load_nlu_files, read_nlu_text, read_nlu_yaml

DATA = Path(__file__).parent / "data"


def _read(text: str, source: str = "nlu.yml"):
    return read_nlu_text(dedent(text), source=source)


def test_block_examples_with_entities_and_exact_lines() -> None:
    data = _read("""\
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hey
            - hello there

            - good morning
        - intent: travel
          examples: |-
            - fly to [Berlin](city)
        """)
    texts = [m.text for m in data.training_examples]
    assert texts == ["hey", "hello there", "good morning", "fly to Berlin"]
    assert [m.location for m in data.training_examples] == ["nlu.yml:5", "nlu.yml:6", "nlu.yml:8", "nlu.yml:11"]
    travel = data.training_examples[-1]
    assert travel.data["intent"] == "travel"
    assert travel.entities == [{"start": 7, "end": 13, "value": "Berlin", "entity": "city"}]
    assert data.training_examples[0].entities == []
    assert "intent_response_key" not in travel.data and "metadata" not in travel.data


def test_listed_examples_with_metadata_merged_over_intent_metadata() -> None:
    data = _read("""\
        nlu:
        - intent: greet
          metadata:
            language: de
            sentiment: neutral
          examples:
          - text: |
              Hallo,
              ich heiße [Christof](name)
            metadata:
              sentiment: positive
          - text: Moin
        """)
    first, second = data.training_examples
    assert first.text == "Hallo,\nich heiße Christof"
    assert first.entities[0]["value"] == "Christof" and first.text[first.entities[0]["start"]:].startswith("Christof")
    assert first.location == "nlu.yml:8"
    assert first.data["metadata"] == {"language": "de", "sentiment": "positive"}
    assert second.location == "nlu.yml:12" and second.data["metadata"] == {"language": "de", "sentiment": "neutral"}


def test_retrieval_intents_and_responses_in_one_file() -> None:
    data = _read("""\
        nlu:
        - intent: faq/ask_hours
          examples: |
            - when are you open?
        responses:
          utter_faq/ask_hours:
          - text: "9 to 5"
          - text: "nine to five"
        """)
    (message,) = data.training_examples
    assert message.data["intent"] == "faq"
    assert message.data["intent_response_key"] == "faq/ask_hours"
    assert message.data["response"] == "9 to 5"
    assert data.responses == {"utter_faq/ask_hours": [{"text": "9 to 5"}, {"text": "nine to five"}]}
    assert data.retrieval_intents == {"faq"}


def test_responses_from_another_file_fill_in_after_merge() -> None:
    data = load_nlu_files([DATA / "faq_nlu.yml", DATA / "faq_responses.yml"])
    by_key = {m.data["intent_response_key"]: m for m in data.training_examples}
    assert by_key["faq/ask_hours"].data["response"] == "Wir haben Mo-Fr 9-17 Uhr offen."
    # no text variation: the response name is the label, as in Rasa
    assert by_key["faq/ask_parcel"].data["response"] == "utter_faq/ask_parcel"
    assert by_key["faq/ask_hours"].data["metadata"] == {"language": "de"}
    assert by_key["faq/ask_parcel"].entities[0]["entity"] == "tracking_id"
    assert [Path(s).name for s in data.sources] == ["faq_nlu.yml", "faq_responses.yml"]


def test_synonyms_from_items_and_from_entity_values(caplog: pytest.LogCaptureFixture) -> None:
    data = _read("""\
        nlu:
        - synonym: New York
          examples: |
            - NYC
            - big apple
        - intent: travel
          examples: |
            - to [LA](city:Los Angeles)
            - to [SF]{"entity": "city", "value": "San Francisco"}
            - to [Berlin](city)
            - to [NYC](city:Newark)
        """)
    assert data.entity_synonyms == {"NYC": "Newark", "big apple": "New York", "LA": "Los Angeles",
                                    "SF": "San Francisco"}
    assert "nlu.yml:11" in caplog.text and "at nlu.yml:4" in caplog.text  # the clash names both places


def test_regex_and_inline_lookup() -> None:
    data = _read("""\
        nlu:
        - regex: zipcode
          examples: |
            - [0-9]{5}
        - lookup: city
          examples: |
            - Berlin
            - Hamburg
        - lookup: city
          examples: |
            - Köln
        """)
    assert data.regex_features == [{"name": "zipcode", "pattern": "[0-9]{5}"}]
    assert data.lookup_tables == [{"name": "city", "elements": ["Berlin", "Hamburg", "Köln"]}]


def test_lookup_file_relative_to_yaml_file() -> None:
    data = read_nlu_yaml(DATA / "lookup_with_file.yml")
    assert data.lookup_tables == [{"name": "plate", "elements": ["tacos", "beef", "mapo tofu", "burrito"]}]


def test_lookup_file_relative_to_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(DATA)
    data = read_nlu_text("nlu:\n- lookup: plate\n  examples: lookups/plates.txt\n", source=tmp_path / "x.yml")
    assert data.lookup_tables[0]["elements"][0] == "tacos"


def test_missing_lookup_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text("nlu:\n- lookup: plate\n  examples: data/plates.txt\n")
    with pytest.raises(InvalidTrainingData) as caught:
        read_nlu_yaml(path)
    assert caught.value.location == f"{path}:3"
    assert "data/plates.txt" in caught.value.message and "fix the path" in caught.value.hint


@pytest.mark.parametrize(
    ("yaml_text", "line", "message", "hint"),
    [
        ("nlu:\n- intnt: greet\n  examples: |\n    - hi\n", 2, "unknown entry 'intnt'", "did you mean 'intent'?"),
        ("nlu:\n- intent: greet\n  exmples: |\n    - hi\n", 3, "unknown key 'exmples'", "did you mean 'examples'?"),
        ("nlu:\n- intent: greet\n  examples:\n    a: b\n", 3, "must be a block", "'- '"),
        ("nlu:\n- intent: greet\n  examples: 5\n", 3, "must be a block", "'- '"),
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n", 5, "does not start with '- '", "- text: |"),
        ("nlu:\n- intent:\n  examples: |\n    - hi\n", 2, "empty name", "- intent: greet"),
        ("nlu:\n- intent: '  '\n  examples: |\n    - hi\n", 2, "empty name", "- intent: greet"),
        ("nlu:\n- intent: a/b/c\n  examples: |\n    - hi\n", 2, "exactly one '/'", "faq/ask_hours"),
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n    - to [Berlin](city\n", 5, "no closing ')'", "')'"),
        ("nlu:\n- intent: greet\n  examples:\n  - txt: hi\n", 4, "has no 'text:'", "- text: |"),
        ("nlu:\n- intent: greet\n  examples:\n  - text: hi\n    metdata: {}\n", 5, "unknown key 'metdata'",
         "did you mean 'metadata'?"),
        ("nlu:\n- regex: zip\n  examples: |\n    - [0-9\n", 4, "invalid pattern", "regular expression"),
        ("nlu:\n- synonym: x\n  examples:\n  - a\n", 3, "must be a block", "'- '"),
        ("nlu:\n- greet\n", 2, "must be mappings", "- intent:"),
        ("nlu:\n- intent: greet\n  examples: >\n    - hi\n    - ho\n", 3, "use '>'", "examples: |"),
        ("nlu:\n- intent: a\n  regex: b\n", 2, "several of", "new '- ' entry"),
        ("nlu:\n  intent: greet\n", 1, "must hold a list", "start each with '- '"),
        ("responses:\n  utter_faq/x: hello\n", 2, "non-empty list", "- text"),
    ],
)
def test_errors_name_file_line_and_fix(yaml_text: str, line: int, message: str, hint: str) -> None:
    with pytest.raises(InvalidTrainingData) as caught:
        read_nlu_text(yaml_text, source="data/nlu.yml")
    assert caught.value.location == f"data/nlu.yml:{line}"
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")


def test_broken_yaml_is_invalid_yaml() -> None:
    with pytest.raises(InvalidYaml) as caught:
        read_nlu_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n- intent: [\n", source="n.yml")
    assert caught.value.location.startswith("n.yml:")


def test_empty_examples_warn_but_do_not_fail(caplog: pytest.LogCaptureFixture) -> None:
    data = read_nlu_text("nlu:\n- intent: greet\n  examples: |\n- synonym: x\n- intent: bye\n", source="n.yml")
    assert data.training_examples == []
    assert "intent 'greet' has no examples" in caplog.text
    assert "n.yml:4" in caplog.text and "n.yml:5" in caplog.text


def test_comment_lines_in_blocks_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    data = read_nlu_text("nlu:\n- intent: greet\n  examples: |\n    # greetings\n    - hi\n", source="n.yml")
    assert [m.text for m in data.training_examples] == ["hi"]
    assert "n.yml:4" in caplog.text


def test_duplicates_kept_once_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    data = read_nlu_text("nlu:\n- intent: a\n  examples: |\n    - hi\n    - hi\n- intent: b\n  examples: |\n    - hi\n",
                         source="n.yml")
    assert [(m.text, m.intent) for m in data.training_examples] == [("hi", "a"), ("hi", "b")]
    assert "n.yml:5 'hi' (first at n.yml:4)" in caplog.text


def test_duplicates_across_files_are_dropped_on_load(tmp_path: Path) -> None:
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    data = load_nlu_files([tmp_path / "a.yml", tmp_path / "b.yml"])
    assert len(data.training_examples) == 1


@pytest.mark.parametrize(("version", "warns"), [('"2.0"', False), ('"3.1"', False), ('"3.10"', False),
                                                ('"1.0"', True), ('"4.0"', True), ("3.1", True)])
def test_version_check(version: str, warns: bool, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        data = read_nlu_text(f"version: {version}\nnlu:\n- intent: greet\n  examples: |\n    - hi\n", source="n.yml")
    assert len(data.training_examples) == 1  # content is read either way
    assert ("n.yml:1" in caplog.text) is warns


def test_stories_and_rules_beside_nlu_are_ignored(shared_dir: Path) -> None:
    data = read_nlu_yaml(shared_dir / "rasa-fixtures/test_mixed_yaml_training_data/training_data.yml")
    assert [m.text for m in data.training_examples] == [
        "how much CO2 will that use?",
        "how much carbon will a one way flight from new york to california produce?",
    ]
    assert data.training_examples[1].entities == [
        {"start": 43, "end": 51, "value": "new york", "entity": "city", "role": "from"}]
    assert list(data.responses) == ["chitchat/ask_name"]


def test_typo_of_nlu_key_warns(caplog: pytest.LogCaptureFixture) -> None:
    read_nlu_text("version: '3.1'\nnul:\n- intent: greet\n", source="n.yml")
    assert "did you mean 'nlu'" in caplog.text


def test_text_without_source_has_placeholder_locations() -> None:
    data = read_nlu_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    assert data.training_examples[0].location == "<text>:4"


def test_empty_file_gives_empty_data() -> None:
    assert read_nlu_text("", source="n.yml").is_empty()
    assert read_nlu_text("version: '3.1'\nnlu:\n", source="n.yml").is_empty()


def test_is_nlu_file(tmp_path: Path) -> None:
    files = {
        "nlu.yml": "version: '3.1'\nnlu:\n- intent: greet\n",
        "responses.yaml": "responses:\n  utter_faq/a:\n  - text: hi\n",
        "mixed.yml": "stories: []\nnlu: []\n",
        "stories.yml": "version: '3.1'\nstories:\n- story: s\n  steps: []\n# nlu: not here\n",
        "flow.yml": "{nlu: [{intent: greet, examples: '- hi'}]}",
        "nlu.txt": "nlu:\n",
        "config.yml": "language: en\npipeline: []\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = {name: is_nlu_file(tmp_path / name) for name in files}
    assert result == {"nlu.yml": True, "responses.yaml": True, "mixed.yml": True, "stories.yml": False,
                      "flow.yml": True, "nlu.txt": False, "config.yml": False}
    assert not is_nlu_file(tmp_path / "missing.yml")
