"""A project's own NLU component and policy, named by dotted path in config.yml as Rasa projects do,
load from the project folder for training and again for parsing and prediction."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig

COMPONENT = '''
from bot.nlu.component import Component, ComponentConfig


class ShoutConfig(ComponentConfig):
    marker: str = "!"


class ShoutDetector(Component):
    """Adds an entity 'shouting' when a message ends with the marker."""

    Config = ShoutConfig

    def process(self, messages):
        for message in messages:
            if message.text.endswith(self.config.marker):
                entities = list(message.get("entities") or [])
                entities.append({"entity": "shouting", "value": "yes", "start": 0, "end": len(message.text),
                                 "extractor": "ShoutDetector"})
                message.set("entities", entities)
'''
POLICY = '''
from bot.core.policies.policy import Policy, confidence_scores_for


class GreetBack(Policy):
    """After a greeting, greets back; otherwise waits."""

    def predict(self, tracker, domain):
        latest = tracker.latest_action_name
        action = "utter_greet" if latest == "action_listen" else "action_listen"
        return self.prediction(confidence_scores_for(action, 1.0, domain))
'''
CONFIG = """
language: en
pipeline:
- name: WhitespaceTokenizer
- name: addons.shouting.ShoutDetector
  marker: "!!"
- name: KeywordIntentClassifier
policies:
- name: addons.policies.GreetBack
"""


@pytest.fixture
def project(write_project, monkeypatch):
    root = write_project({"config.yml": CONFIG, "addons/__init__.py": "", "addons/shouting.py": COMPONENT,
                          "addons/policies.py": POLICY,
                          "data/stories.yml": 'version: "3.1"\nstories:\n- story: hi\n  steps:\n'
                                              '  - intent: greet\n  - action: utter_greet\n'})
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))  # what running `bot` in the project folder gives
    return root


def test_dotted_custom_component_and_policy_train_parse_and_answer(project):
    runner = CliRunner()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    parsed = json.loads(runner.invoke(app, ["parse", "hello!!"]).stdout)
    assert parsed["intent"]["name"] == "greet"
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("shouting", "yes")]
    chat = runner.invoke(app, ["shell", "--explain"], input="hello\n")
    assert chat.exit_code == 0, chat.output
    assert "hi" in chat.stdout and "utter_greet by addons.policies.GreetBack" in chat.output


def test_a_dotted_name_that_is_not_a_component_says_so(project):
    with pytest.raises(InvalidConfig, match="'addons.policies.GreetBack' is not a component of this framework"):
        component_class("addons.policies.GreetBack")
    with pytest.raises(InvalidConfig, match="cannot import the custom component 'addons.missing.Thing'"):
        component_class("addons.missing.Thing")
