"""The report files and plots written for a test run, including a large label set."""

from __future__ import annotations

import json
import random

from bot.nlu.evaluation import ExampleResult, write_reports
from bot.nlu.evaluation.comparison import compare_models


def _results(labels: int, seed: int = 0, wrong_every: int = 4) -> list[ExampleResult]:
    generator = random.Random(seed)
    results = []
    for index in range(labels * 5):
        gold = f"intent_{index % labels:02d}"
        predicted = gold if index % wrong_every else f"intent_{generator.randrange(labels):02d}"
        results.append(ExampleResult(f"text {index}", gold, predicted, generator.random(),
                                     gold_entities=[{"entity": "city", "start": 0, "end": 4}],
                                     predicted_entities=[{"entity": "city", "start": 0, "end": 4,
                                                          "extractor": "DIETClassifier"}]))
    return results


def test_reports_are_written_like_rasa(tmp_path):
    report = write_reports(_results(6), tmp_path, ["DIETClassifier"])
    names = {path.name for path in report.files}
    assert {"intent_report.json", "intent_errors.json", "intent_confusion_matrix.png", "intent_histogram.png",
            "DIETClassifier_report.json", "DIETClassifier_errors.json", "DIETClassifier_confusion_matrix.png",
            "nlu_summary.json"} <= names
    errors = json.loads((tmp_path / "intent_errors.json").read_text())
    assert errors and set(errors[0]) == {"text", "intent", "intent_prediction"}
    assert all(e["intent"] != e["intent_prediction"]["name"] for e in errors)
    intent_report = json.loads((tmp_path / "intent_report.json").read_text())
    assert "confused_with" in intent_report["intent_00"]
    assert (tmp_path / "intent_confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_a_large_label_set_gets_a_bigger_canvas_and_a_close_up(tmp_path):
    from matplotlib.image import imread

    report = write_reports(_results(80), tmp_path, [], plots=True)
    names = {path.name for path in report.files}
    assert "intent_confusion_matrix_top.png" in names
    height, width = imread(tmp_path / "intent_confusion_matrix.png").shape[:2]
    # 0.26 inch a label at 100 dpi: about 26 pixels a row, enough for a 7-point label
    assert height >= 80 * 20 and width >= 80 * 20


def test_model_comparison_names_the_better_model(tmp_path):
    worse = _results(5, wrong_every=2)
    better = [ExampleResult(r.text, r.gold_intent, r.gold_intent, 0.9) for r in worse]
    comparison = compare_models(worse, better, ("A.tar.gz", "B.tar.gz"), tmp_path)
    assert comparison.better == "B.tar.gz"
    assert compare_models(better, better, ("A", "B")).better is None
    saved = json.loads((tmp_path / "model_comparison.json").read_text())
    assert saved["better"] == "B.tar.gz" and saved["per_intent"]["intent_00"]["second"] == 1.0
    assert (tmp_path / "model_comparison.png").exists()
