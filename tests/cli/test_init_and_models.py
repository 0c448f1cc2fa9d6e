"""`bot init` in both languages: the starter trains and passes its own tests; `bot models list` shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env=os.environ.copy())


@pytest.mark.parametrize("language", ["en", "de"])
def test_starter_trains_and_passes_its_own_tests(tmp_path, language, request):
    if language == "en":  # made by the same `bot init` once per session and shared with other CLI tests
        project = request.getfixturevalue("starter_copy")
    else:
        created = bot("init", "assistant", "--language", language, cwd=tmp_path)
        assert created.returncode == 0, created.stderr
        project = tmp_path / "assistant"
    assert (project / "config.yml").read_text().count(f"language: {language}") == 1
    assert len(list((project / "models").glob("*.tar.gz"))) == 1  # trained as part of init
    tested = bot("test", "--fail-on-prediction-errors", "--out", "results", cwd=project)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "Stories: 6/6 correct" in tested.stdout
    report = json.loads((project / "results" / "intent_report.json").read_text())
    assert report["accuracy"] > 0.9
    listed = bot("models", "list", cwd=project)
    assert listed.returncode == 0, listed.stderr
    assert "nlu, core" in listed.stdout and "stories 6/6" in listed.stdout and "intent acc" in listed.stdout


def test_init_never_overwrites_a_project(tmp_path):
    (tmp_path / "domain.yml").write_text("# mine\n")
    result = bot("init", ".", "--no-train", cwd=tmp_path)
    assert result.returncode == 1 and "domain.yml" in result.stderr and "nothing was written" in result.stderr
    assert (tmp_path / "domain.yml").read_text() == "# mine\n" and not (tmp_path / "config.yml").exists()
    wrong = bot("init", "x", "--language", "fr", cwd=tmp_path)
    assert wrong.returncode == 1 and "--language en or de" in wrong.stderr


def test_models_list_without_models(tmp_path):
    result = bot("models", "list", cwd=tmp_path)
    assert result.returncode == 0 and "No model archives" in result.stdout
