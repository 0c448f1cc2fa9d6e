"""`bot train --nlu` writes "nlu-*" archives; the commands that need dialogue pick the newest full model."""

from __future__ import annotations

import os
import textwrap
import time

from bot.model.archive import ModelMetadata, find_latest_model, write_archive
from bot.model.training import train
from bot.shared.project import Project


def _archive(tmp_path, name: str, parts: list[str], age: float):
    staging = tmp_path / f"staging-{name}"
    for part in parts:
        (staging / part).mkdir(parents=True)
    path = write_archive(staging, ModelMetadata(fingerprint={p: p for p in parts}, parts=parts, language="en"),
                         tmp_path / "models" / name)
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_newest_full_model_is_chosen_over_a_newer_nlu_only_one(tmp_path):
    full = _archive(tmp_path, "20261201-100000-000.tar.gz", ["nlu", "core"], age=100)
    nlu = _archive(tmp_path, "nlu-20261201-110000-000.tar.gz", ["nlu"], age=10)
    assert find_latest_model(tmp_path / "models", full=True) == full
    assert find_latest_model(tmp_path / "models") == nlu  # bot parse: the newest of all
    full.unlink()
    assert find_latest_model(tmp_path / "models", full=True) == nlu  # nothing else: say so later, not here


def test_nlu_only_training_names_its_archive_like_rasa(tmp_path):
    (tmp_path / "config.yml").write_text("language: en\npipeline:\n- name: WhitespaceTokenizer\n"
                                         "- name: KeywordIntentClassifier\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(textwrap.dedent("""\
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hello
        """))
    result = train(Project.discover(tmp_path), tmp_path / "models", nlu_only=True)
    assert result.model_path.name.startswith("nlu-") and result.model_path.name.endswith(".tar.gz")
