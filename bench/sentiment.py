"""Precision and recall of the negative-sentiment trigger on labelled customer-service messages.

    python bench/sentiment.py                 # both languages, default threshold
    python bench/sentiment.py --sweep         # the same over several thresholds

Reads bench/data/sentiment_{de,en}_{round1,round2,unseen}.tsv (label "angry" or "neutral", then
the text; messages written for this project). The lexicon was built with round 1 in view and
extended after measuring round 2, so only the "unseen" files (written after the last change to the
lexicon, never used to tune it) give a fair figure. Prints precision, recall and F1 of "angry". When the vaderSentiment package is installed it prints
VADER's figures on the English files too, for comparison (it is not a dependency).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handover.sentiment import DEFAULT_THRESHOLD, sentiment_score  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def _rows(path: Path) -> list[tuple[bool, str]]:
    with path.open(encoding="utf-8") as handle:
        return [(row["label"] == "angry", row["text"]) for row in csv.DictReader(handle, delimiter="\t")]


def _figures(gold: list[bool], predicted: list[bool]) -> str:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"n={len(gold):3d} angry={sum(gold):3d}  precision {precision:.2f}  recall {recall:.2f}  F1 {f1:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="print the figures for several thresholds")
    parser.add_argument("--errors", action="store_true", help="list the misclassified messages")
    args = parser.parse_args()
    thresholds = [-1.5, -2.0, -2.5, -3.0, -3.5] if args.sweep else [DEFAULT_THRESHOLD]
    files = sorted(DATA.glob("sentiment_*.tsv"))
    for path in files:
        rows = _rows(path)
        language = path.stem.split("_")[1]  # sentiment_<language>_<set>.tsv
        scores = [sentiment_score(text, language) for _, text in rows]
        for threshold in thresholds:
            predicted = [score <= threshold for score in scores]
            print(f"{path.name:30s} lexicon, threshold {threshold:5.1f}: "
                  f"{_figures([g for g, _ in rows], predicted)}")
            if args.errors:
                for (gold, text), pred, score in zip(rows, predicted, scores, strict=True):
                    if gold != pred:
                        print(f"    {'missed' if gold else 'false alarm'} {score:5.1f}  {text}")
        if language == "en":
            _vader(path.name, rows)


def _vader(name: str, rows: list[tuple[bool, str]]) -> None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        print(f"{name:30s} VADER: not installed, skipped (pip install vadersentiment to compare)")
        return
    analyzer = SentimentIntensityAnalyzer()
    predicted = [analyzer.polarity_scores(text)["compound"] <= -0.4 for _, text in rows]
    print(f"{name:30s} VADER compound <= -0.4:   {_figures([g for g, _ in rows], predicted)}")


if __name__ == "__main__":
    main()
