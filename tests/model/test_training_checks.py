"""`bot train` and `bot data validate` catch dialogue mistakes before anything is trained or written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.model.training import train
from bot.shared.errors import InvalidTrainingData
from bot.shared.project import Project

CONFIG = """
language: en
pipeline:
- name: WhitespaceTokenizer
- name: CountVectorsFeaturizer
- name: DIETClassifier
  epochs: 1
policies:
- name: RulePolicy
"""
CONTRADICTING_RULES = """
version: "3.1"
rules:
- rule: greet back
  steps:
  - intent: greet
  - action: utter_greet
- rule: greet with a goodbye
  steps:
  - intent: greet
  - action: utter_goodbye
"""


@pytest.fixture
def make_project(write_project):
    def make(rules: str) -> Project:
        root = write_project({"config.yml": CONFIG, "data/rules.yml": rules})
        return Project.discover(root, config=root / "config.yml")

    return make


def test_contradicting_rules_stop_training_before_the_nlu_trains(tmp_path, make_project):
    project = make_project(CONTRADICTING_RULES)
    steps: list[str] = []
    with pytest.raises(InvalidTrainingData, match="greet with a goodbye"):
        train(project, tmp_path / "models", progress=lambda name, index, count: steps.append(name))
    assert not any("DIET" in step or "Tokenizer" in step for step in steps), steps
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_train_refuses_a_response_the_domain_does_not_define(tmp_path, make_project):
    project = make_project(CONTRADICTING_RULES.replace("utter_goodbye", "utter_goodby")
                           .replace("- intent: greet\n  - action: utter_goodby", "- intent: goodbye\n"
                                    "  - action: utter_goodby"))
    with pytest.raises(InvalidTrainingData) as caught:
        train(project, tmp_path / "models")
    message = str(caught.value)
    assert "data/rules.yml:10: response 'utter_goodby' is used in rule 'greet with a goodbye' but not defined " \
           "under 'responses:' in the domain" in message
    assert "no model was written" in message
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_validate_reports_contradicting_rules(tmp_path, monkeypatch, make_project):
    make_project(CONTRADICTING_RULES)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["data", "validate"])
    assert result.exit_code == 1
    assert "data/rules.yml:" in result.output and "greet with a goodbye" in result.output
