"""The `bot` command as a user runs it: train, parse, shell, test, data validate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def bot(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained_bot(form_bot, tmp_path_factory):
    """A copy of the form bot, trained once per session (`bot init`, `bot train --nlu` and `bot train
    --finetune` write archives through the command in tests/cli)."""
    project, _ = form_bot
    return Path(shutil.copytree(project, tmp_path_factory.mktemp("cli") / "form-01"))


def test_train_skips_when_nothing_changed(trained_bot):
    archives = list((trained_bot / "models").glob("*.tar.gz"))
    assert len(archives) == 1
    again = bot("train", cwd=trained_bot)  # another process, a copied folder: the same fingerprint
    assert again.returncode == 0 and "Nothing changed" in again.stderr
    assert len(list((trained_bot / "models").glob("*.tar.gz"))) == 1


def test_parse_prints_rasa_parse_json(trained_bot):
    result = bot("parse", "hello there", cwd=trained_bot)
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["intent"]["name"] == "greet"
    assert parsed["intent_ranking"][0]["name"] == "greet"
    assert {"text", "intent", "entities", "intent_ranking"} <= set(parsed)


def test_parse_and_test_let_slash_intent_messages_bypass_nlu(trained_bot):
    result = bot("parse", '/mood_unhappy{"city": "Berlin"}', cwd=trained_bot)
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["intent"] == {"name": "mood_unhappy", "confidence": 1.0}
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [("city", "Berlin")]
    stories = trained_bot / "test_slash.yml"
    stories.write_text('version: "3.1"\nstories:\n- story: typed intents\n  steps:\n'
                       '  - user: /greet\n  - action: utter_greet\n'
                       '  - user: /mood_unhappy\n  - action: utter_cheer_up\n  - action: utter_did_that_help\n')
    tested = bot("test", "--stories", str(stories), "--out", "results-slash", cwd=trained_bot)
    assert tested.returncode == 0, tested.stderr
    assert "Stories: 1/1" in tested.stdout and "Intents in test stories: 100.0% correct" in tested.stdout


def test_shell_holds_a_conversation(trained_bot):
    result = bot("shell", "--explain", cwd=trained_bot, stdin="hello\nI am sad\n")
    assert result.returncode == 0, result.stderr
    assert "Hey! How are you?" in result.stdout
    assert "Here is something to cheer you up" in result.stdout
    assert "utter_greet by" in result.stderr  # --explain names the deciding policy


def test_test_command_reports_like_rasa(trained_bot):
    # As `rasa test`: in tests/ only files named test_* hold test stories; other YAML there is left alone.
    fixtures = trained_bot / "tests" / "fixtures"
    fixtures.mkdir(parents=True, exist_ok=True)
    (fixtures / "stories.yml").write_text('version: "3.1"\nstories:\n- story: not a test\n  steps:\n'
                                          '  - intent: greet\n  - action: utter_goodbye\n')
    result = bot("test", cwd=trained_bot)
    assert result.returncode == 0, result.stderr
    assert "Stories: 7/7" in result.stdout and "Actions: 35/35" in result.stdout
    report = json.loads((trained_bot / "results" / "story_report.json").read_text())
    assert report["conversation_accuracy"]["correct"] == 7
    # `bot test` runs the NLU test too (on data/ by default, as Rasa does)
    assert (trained_bot / "results" / "intent_report.json").is_file() and "intent accuracy" in result.stdout
    shutil.rmtree(fixtures)
    empty = bot("test", "--stories", "data", cwd=trained_bot)  # stories, but none named test_*
    assert empty.returncode == 1 and "no test stories" in empty.stderr


def test_validate_names_file_and_line(trained_bot):
    stories = trained_bot / "data" / "stories.yml"
    stories.write_text(stories.read_text() + "\n- story: broken\n  steps:\n  - intent: greet\n  - action: utter_nope\n")
    result = bot("data", "validate", cwd=trained_bot)
    assert result.returncode == 1
    assert "utter_nope" in result.stdout and "data/stories.yml:" in result.stdout


def test_user_errors_are_printed_without_traceback(tmp_path):
    (tmp_path / "config.yml").write_text("language: en\npipeline:\n- name: DIETClasifier\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n')
    result = bot("train", "--nlu", cwd=tmp_path)
    assert result.returncode == 1
    assert "did you mean 'DIETClassifier'" in result.stderr
    assert "Traceback" not in result.stderr
