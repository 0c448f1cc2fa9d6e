"""`bot test nlu` and `bot test --compare` end to end on shared Rasa bots' data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOTS = REPO.parent / "shared" / "rasa-bots"

pytestmark = pytest.mark.slow

# Small and quick: one thin transformer layer, a higher learning rate than Rasa's default.
CONFIG = """language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    learning_rate: 0.005
    number_of_transformer_layers: 1
    transformer_size: 64
    embedding_dimension: 32
    random_seed: 1
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
    learning_rate: 0.005
    random_seed: 1
policies:
  - name: RulePolicy
"""


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env=os.environ.copy())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The response selector bot (retrieval intents) with the form bot's NLU data (entities) beside it."""
    root = tmp_path_factory.mktemp("testnlu") / "bot"
    shutil.copytree(BOTS / "rasa-examples-responseselectorbot", root)
    shutil.copy(BOTS / "rasa-examples-formbot" / "data" / "nlu.yml", root / "data" / "formbot_nlu.yml")
    (root / "config.yml").write_text(CONFIG.format(epochs=40))
    (root / "weak.yml").write_text(CONFIG.format(epochs=1))
    return root


def test_cross_validation_writes_every_report_and_both_plots(project):
    result = bot("test", "nlu", "--cross-validation", "--folds", "3", "--out", "cv", cwd=project)
    assert result.returncode == 0, result.stderr
    out = project / "cv"
    for name in ("intent_report.json", "intent_errors.json", "intent_confusion_matrix.png", "intent_histogram.png",
                 "DIETClassifier_report.json", "DIETClassifier_errors.json", "response_selection_report.json",
                 "response_selection_errors.json", "nlu_summary.json"):
        assert (out / name).is_file(), f"{name} missing; stderr: {result.stderr}"
    report = json.loads((out / "intent_report.json").read_text())
    assert report["accuracy"] > 0.6 and "confused_with" in report["greet"]
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    assert "no_entity" not in entities and "cuisine" in entities
    assert any(key.startswith("chitchat/") for key in json.loads((out / "response_selection_report.json").read_text()))
    summary = json.loads((out / "nlu_summary.json").read_text())
    assert summary["examples"] > 300 and "DIETClassifier" in summary["entities"]
    assert "intent macro F1" in result.stdout and "± " in result.stdout  # the printed summary and fold spread


def test_compare_says_which_model_is_better(project):
    for config, name in (("weak.yml", "A"), ("config.yml", "B")):
        trained = bot("train", "--nlu", "--config", config, "--fixed-model-name", name, cwd=project)
        assert trained.returncode == 0, trained.stderr
    result = bot("test", "--compare", "models/A.tar.gz", "models/B.tar.gz", "--nlu", "data", "--out", "cmp",
                 cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "B.tar.gz"
    assert "B.tar.gz is better" in result.stdout
    comparison = json.loads((project / "cmp" / "model_comparison.json").read_text())
    assert comparison["better"] == "B.tar.gz" and comparison["per_intent"]


def test_nlu_test_of_one_model_and_a_clear_error_for_missing_data(project):
    result = bot("test", "nlu", "--model", "models/B.tar.gz", "--nlu", "data/nlu.yml", "--out", "single",
                 cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "single" / "intent_confusion_matrix.png").is_file()
    missing = bot("test", "nlu", "--nlu", "nowhere.yml", cwd=project)
    assert missing.returncode == 1 and "nowhere.yml" in missing.stderr and "Traceback" not in missing.stderr


def test_config_comparison_plots_each_config(project):
    result = bot("test", "nlu", "--config", "weak.yml", "config.yml", "--runs", "1", "--percentages", "0", "50",
                 "--out", "configs", cwd=project)
    assert result.returncode == 0, result.stderr
    scores = json.loads((project / "configs" / "results.json").read_text())
    assert set(scores) == {"weak", "config"} and len(scores["config"][0]) == 2
    assert scores["config"][0][0] > scores["weak"][0][0]
    assert (project / "configs" / "nlu_model_comparison_graph.png").is_file()


SMALL_FORM_BOT = """version: "3.1"
nlu:
- intent: inform_guests
  examples: |
    - 2
    - 4
    - 6
    - 3
    - 5
    - 8
- intent: inform_time
  examples: |
    - 7
    - 9
    - 10
    - 11
    - 12
    - 1
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
    - hello there
    - hi
"""


def test_cross_validation_names_the_intent_pairs_to_tell_apart(tmp_path):
    """Bare numbers are all "__NUMBER__" to the featurizer: two intents of nothing but numbers cannot be
    told apart, and the report says so first, with a message to start from."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(SMALL_FORM_BOT)
    (tmp_path / "config.yml").write_text("language: en\npipeline:\n  - name: WhitespaceTokenizer\n"
                                         "  - name: CountVectorsFeaturizer\n  - name: LogisticRegressionClassifier\n")
    result = bot("test", "nlu", "--cross-validation", "--folds", "3", "--out", "cv", "--no-plot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pairs = json.loads((tmp_path / "cv" / "intent_confusions.json").read_text())
    assert set(pairs[0]["intents"]) == {"inform_guests", "inform_time"} and pairs[0]["count"] >= 6
    assert pairs[0]["examples"][0]["text"].isdigit()
    assert "intent pairs confused most" in result.stdout
    assert "inform_guests / inform_time" in result.stdout or "inform_time / inform_guests" in result.stdout
