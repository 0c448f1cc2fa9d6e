"""What the CLI prints: file:line never becomes an emoji, YAML errors show the line with a caret,
hints keep their indentation, Python warnings come without internal source lines."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

CONFIG = "language: en\npipeline:\n- name: KeywordIntentClassifier\npolicies:\n- name: RulePolicy\n"
NLU = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "config.yml").write_text(CONFIG)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(NLU)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1, result.output
    return result.output


def test_line_100_is_not_an_emoji_and_the_hint_keeps_its_indentation(project):
    padding = "".join(f"# note {index}\n" for index in range(96))
    (project / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n' + padding
                                        + "slots:\n  name:\n    type: txt\n")
    output = run("data", "validate")
    assert "domain.yml:100: slot 'name' has no 'mappings'" in output and "\U0001f4af" not in output
    assert "\n  Fix: Rasa 3.x needs a 'mappings' list on every slot, e.g.\n         slots:\n" in output
    assert "\n                 entity: name\n" in output


def test_yaml_error_names_the_line_where_the_mistake_is_and_shows_it(project):
    (project / "domain.yml").write_text(textwrap.dedent("""\
        version: "3.1"
        intents:
        - greet
        responses:
          utter_greet:
          - text: [Hello there
          utter_bye:
          - text: bye
        """))
    output = run("data", "validate")
    assert "domain.yml:6: a '[' opened here is not closed where YAML expects it" in output
    assert "    6 |   - text: [Hello there\n" in output
    assert "\n                  ^\n" in output  # under the '['
    assert "Fix: a text that starts with '[' must be quoted" in output


def test_python_warnings_print_without_internal_source_lines(project):
    (project / "domain.yml").write_text(textwrap.dedent("""\
        version: "3.1"
        intents:
        - greet:
            use_entities: [name]
            ignore_entities: [name]
        entities: [name]
        slots:
          name:
            type: txt
        """))
    output = run("data", "validate")
    assert "Warning: domain.yml:3: intent 'greet' both uses and ignores ['name']; ignoring wins" in output
    assert "warnings.warn" not in output and ".py:" not in output
