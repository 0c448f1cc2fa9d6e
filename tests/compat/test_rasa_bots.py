"""Real Rasa 3.x projects from ../shared/rasa-bots train unchanged and pass their own test stories."""

from __future__ import annotations

import shutil

import pytest

from bot.core.agent import load_dialogue_model
from bot.core.evaluation.story_evaluation import evaluate_stories
from bot.model.training import train
from bot.shared.core.stories_yaml import read_story_files
from bot.shared.core.story_graph import expand_stories
from bot.shared.errors import MissingDependency
from bot.shared.project import Project

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_copy(shared_dir, tmp_path):
    def copy(name: str):
        target = tmp_path / name
        shutil.copytree(shared_dir / "rasa-bots" / name, target)
        return target

    return copy


@pytest.mark.parametrize("name", ["form-01-actions", "rasa-init-moodbot"])
async def test_bot_trains_unchanged_and_passes_its_test_stories(bot_copy, name, request):
    if name == "form-01-actions":  # trained once per session, shared with the CLI tests
        project_dir, result = request.getfixturevalue("form_bot")
    else:
        project_dir = bot_copy(name)
        result = train(Project.discover(project_dir), project_dir / "models")
    assert result.model_path.exists() and set(result.trained_parts) == {"nlu", "core"}

    loaded, domain, policies = load_dialogue_model(project_dir / "models")
    trajectories = expand_stories(read_story_files([project_dir / "tests"]))
    report = await evaluate_stories(trajectories, domain, loaded.nlu, policies)
    assert report.passed_stories == len(report.stories) == 7  # what Rasa 3.6 gets: 7/7, 35/35
    assert report.correct_actions == len(report.action_checks) == 35

    # nothing changed: the second training reuses the archive
    again = train(Project.discover(project_dir), project_dir / "models")
    assert again.reused and again.model_path == result.model_path


def test_a_bot_needing_a_spacy_model_fails_with_what_is_missing(bot_copy):
    project_dir = bot_copy("rasa-examples-moodbot")
    with pytest.raises(MissingDependency) as error:
        train(Project.discover(project_dir), project_dir / "models")
    message = str(error.value)
    assert "en_core_web_md" in message and "WhitespaceTokenizer" in message
