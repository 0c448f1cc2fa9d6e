"""`bot data split nlu` and `bot data convert nlu` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.shared.nlu.readers import load_nlu_files, read_nlu_yaml

REPO = Path(__file__).resolve().parents[2]
FORMBOT = REPO.parent / "shared" / "rasa-bots" / "rasa-examples-formbot"


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=os.environ.copy())


def test_split_writes_stratified_parts_that_keep_synonyms(tmp_path):
    result = bot("data", "split", "nlu", "--nlu", str(FORMBOT / "data" / "nlu.yml"), "--out", "split", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    original = read_nlu_yaml(FORMBOT / "data" / "nlu.yml")
    train = read_nlu_yaml(tmp_path / "split" / "training_data.yml")
    test = read_nlu_yaml(tmp_path / "split" / "test_data.yml")
    assert len(train.training_examples) + len(test.training_examples) == len(original.training_examples)
    assert set(test.intents) == set(original.intents)
    assert train.entity_synonyms == test.entity_synonyms == original.entity_synonyms
    ratio = len(test.training_examples) / len(original.training_examples)
    assert 0.15 < ratio < 0.25


def test_convert_to_json_and_markdown_and_back(tmp_path):
    source = FORMBOT / "data" / "nlu.yml"
    assert bot("data", "convert", "nlu", "--data", str(source), "--out", "nlu.json", "-f", "json",
               cwd=tmp_path).returncode == 0
    content = json.loads((tmp_path / "nlu.json").read_text())
    assert content["rasa_nlu_data"]["common_examples"][0]["text"]
    assert bot("data", "convert", "nlu", "--data", "nlu.json", "--out", "md", "-f", "md", cwd=tmp_path).returncode == 0
    assert (tmp_path / "md" / "nlu.md").read_text().startswith("## intent:")
    back = bot("data", "convert", "nlu", "--data", "md/nlu.md", "--out", "back.yml", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    again = load_nlu_files([tmp_path / "back.yml"])
    original = load_nlu_files([source])
    assert sorted(m.text for m in again.training_examples) == sorted(m.text for m in original.training_examples)
    assert again.entity_synonyms == original.entity_synonyms


def test_convert_names_a_broken_file_and_a_bad_format(tmp_path):
    (tmp_path / "bad.md").write_text("## intent:greet\n- hi\nnot an item\n")
    result = bot("data", "convert", "nlu", "--data", "bad.md", "--out", "x.yml", cwd=tmp_path)
    assert result.returncode == 1 and "bad.md:3" in result.stderr and "Traceback" not in result.stderr
    wrong = bot("data", "convert", "nlu", "--data", "bad.md", "--out", "x", "-f", "xml", cwd=tmp_path)
    assert wrong.returncode == 1 and "unknown format 'xml'" in wrong.stderr
