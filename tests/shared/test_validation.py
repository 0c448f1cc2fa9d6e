"""`bot data validate`: each designer mistake reported with file:line and what to change."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

REPO = Path(__file__).resolve().parents[2]

FILES = {
    "config.yml": """
        language: en
        pipeline:
        - name: WhitespaceTokenizer
        - name: CountVectorsFeaturizer
        - name: DIETClassifier
        policies:
        - name: RulePolicy
        """,
    "domain.yml": """
        version: "3.1"
        intents: [greet, goodbye, order]
        entities: [item]
        actions: [action_order]
        responses:
          utter_greet: [{text: hi}]
          utter_out_of_stock: [{text: sorry}]
        """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hi
            - hello
        - intent: goodbye
          examples: |
            - bye
        - intent: order
          examples: |
            - a [card](item) please
            - two [stamps](item)
        """,
    "data/rules.yml": """
        version: "3.1"
        rules:
        - rule: greet
          steps:
          - intent: greet
          - action: utter_greet
        - rule: order
          steps:
          - intent: order
          - action: action_order
        - rule: goodbye
          steps:
          - intent: goodbye
          - action: utter_greet
        """,
    "actions/__init__.py": "",
    "actions/order.py": """
        def run(dispatcher):
            dispatcher.utter_message(response="utter_out_of_stock")
        """,
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip("\n"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["data", "validate", *args])
    return result.exit_code, [" ".join(line.split()) for line in result.output.splitlines()]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_clean_project_passes_even_on_warnings(project):
    # the unused-looking response is sent by a custom action: that counts as used
    code, lines = validate("--fail-on-warnings")
    assert (code, lines) == (0, ["0 error(s), 0 warning(s)."])


def test_unknown_component_in_config_names_the_config_line(project):
    edit(project / "config.yml", "DIETClassifier", "DIETClasifier")
    code, lines = validate()
    assert code == 1
    assert lines[0] == ("error config.yml:5: unknown component 'DIETClasifier' — did you mean 'DIETClassifier'? "
                        "(use one of: " + lines[0].split("(use one of: ", 1)[1])


def test_entity_annotated_but_not_in_the_domain(project):
    edit(project / "data/nlu.yml", "two [stamps](item)", "two [stamps](product)")
    code, lines = validate("--fail-on-warnings")
    assert code == 1
    assert "warning data/nlu.yml:13: entity 'product' is annotated in examples but not listed under 'entities:' " \
           "in the domain, so no slot or story can use it" in lines


def test_unbalanced_entity_markup_is_an_error(project):
    edit(project / "data/nlu.yml", "a [card](item) please", "a [card(item) please")
    code, lines = validate()
    assert code == 1
    assert "error data/nlu.yml:12: '[card(item)' in the example 'a [card(item) please' looks like an entity " \
           "annotation with a missing bracket; it is trained as plain text" in lines


def test_intent_no_story_or_rule_uses(project):
    code, lines = validate()
    assert code == 0
    edit(project / "data/rules.yml", "intent: order", "intent: greet")
    code, lines = validate("--fail-on-warnings")
    assert code == 1
    assert "warning domain.yml:2: intent 'order' is not used in any story or rule, so the assistant has learnt " \
           "no answer to it" in lines


def test_the_example_assistant_passes_with_fail_on_warnings(monkeypatch):
    monkeypatch.chdir(REPO)
    code, lines = validate("--fail-on-warnings")
    assert (code, lines[-1]) == (0, "0 error(s), 0 warning(s)."), lines
