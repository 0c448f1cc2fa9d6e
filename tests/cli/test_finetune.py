"""`bot train --finetune [MODEL] --epoch-fraction F`: continue from a previous model, or say what changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NEW_GOODBYES = "    - see you\n    - catch you later\n    - farewell then\n"


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env=os.environ.copy())


def _metadata(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("metadata.json")
        assert member is not None
        return json.loads(member.read())


@pytest.fixture(scope="module")
def trained(trained_starter: Path, tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the starter project, trained once in full; (project, its archive)."""
    project = Path(shutil.copytree(trained_starter, tmp_path_factory.mktemp("finetune") / "assistant"))
    [archive] = (project / "models").glob("*.tar.gz")
    return project, archive


def test_finetune_continues_from_the_newest_model_after_new_examples(trained) -> None:
    project, base = trained
    nlu = project / "data" / "nlu.yml"
    original = nlu.read_text()
    try:
        nlu.write_text(original.replace("    - see you\n", NEW_GOODBYES, 1))
        result = bot("train", "--finetune", "--epoch-fraction", "0.2", cwd=project)
        assert result.returncode == 0, result.stderr
        assert "Fine-tuned nlu in" in result.stderr  # the dialogue did not change: reused
        archive = project / result.stdout.strip().splitlines()[-1]
        extra = _metadata(archive)["extra"]
        assert extra["finetuned_from"] == base.name and extra["epoch_fraction"] == 0.2
        parsed = bot("parse", "catch you later", "--model", str(archive), cwd=project)
        assert parsed.returncode == 0 and json.loads(parsed.stdout)["intent"]["name"] == "goodbye", parsed.stdout
    finally:
        nlu.write_text(original)


def test_finetune_continues_the_dialogue_policy_after_a_story_change(trained) -> None:
    project, base = trained
    stories = project / "data" / "stories.yml"
    original = stories.read_text()
    try:
        stories.write_text(original + "\n- story: happy then bye\n  steps:\n  - intent: greet\n"
                           "  - action: utter_greet\n  - intent: mood_great\n  - action: utter_happy\n"
                           "  - intent: goodbye\n  - action: utter_goodbye\n")
        result = bot("-v", "train", "--finetune", str(base.relative_to(project)), "--epoch-fraction", "0.25",
                     cwd=project)
        assert result.returncode == 0, result.stderr
        assert "Fine-tuned core in" in result.stderr  # the NLU did not change since `base`: reused
        assert "TEDPolicy: fine-tuned on" in result.stderr and "for 10 epochs" in result.stderr, result.stderr
        archive = project / result.stdout.strip().splitlines()[-1]
        assert _metadata(archive)["extra"]["finetuned_from"] == base.name
        tested = bot("test", "core", "--model", str(archive), cwd=project)
        assert tested.returncode == 0, tested.stdout + tested.stderr
    finally:
        stories.write_text(original)


@pytest.mark.parametrize(("change", "words"), [
    (("data/nlu.yml", "\n- intent: ask_weather\n  examples: |\n    - how is the weather\n    - will it rain\n"),
     "new intents: ask_weather"),
    (("config.yml", "learning_rate: 0.003", "learning_rate: 0.01"), "'learning_rate' changed from 0.003 to 0.01"),
])
def test_finetune_refuses_a_changed_model_naming_the_change(trained, change, words) -> None:
    project, base = trained
    path = project / change[0]
    original = path.read_text()
    try:
        path.write_text(original + change[1] if len(change) == 2 else original.replace(change[1], change[2]))
        result = bot("train", "--finetune", str(base.relative_to(project)), cwd=project)
        assert result.returncode == 1
        assert "cannot fine-tune" in result.stderr and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    finally:
        path.write_text(original)


def test_finetune_needs_a_model_and_a_sensible_fraction(tmp_path, trained) -> None:
    project, _ = trained
    result = bot("train", "--finetune", "--out", str(tmp_path / "empty"), cwd=project)
    assert result.returncode == 1 and "no model to fine-tune" in result.stderr, result.stderr
    result = bot("train", "--finetune", "--epoch-fraction", "0", cwd=project)
    assert result.returncode == 1 and "--epoch-fraction" in result.stderr, result.stderr
