"""The evaluation's pictures, drawn with matplotlib's object API (no pyplot state, safe in a server thread).

Labels are ordered by how often they are involved in errors, so the interesting rows come first; large
label sets get a bigger canvas and, beside the full matrix, a close-up of the labels with most errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Above this many labels, counts are no longer printed in the cells and a close-up is drawn as well.
ANNOTATE_UP_TO = 40
CLOSE_UP_LABELS = 30


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def labels_by_errors(gold: Sequence[str], predicted: Sequence[str]) -> list[str]:
    """All labels, those in most errors (as truth or as wrong guess) first, then alphabetically."""
    involved: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        if g != p:
            involved[g] += 1
            involved[p] += 1
    return sorted(set(gold) | set(predicted), key=lambda label: (-involved[label], label))


def plot_confusion_matrix(gold: Sequence[str], predicted: Sequence[str], path: Path, title: str) -> list[Path]:
    """Writes the confusion matrix to `path` (and a close-up `<stem>_top.png` for many labels)."""
    labels = labels_by_errors(gold, predicted)
    written = [_draw_matrix(gold, predicted, labels, path, title)]
    if len(labels) > ANNOTATE_UP_TO:
        top = labels[:CLOSE_UP_LABELS]
        close_up = path.with_name(f"{path.stem}_top{path.suffix}")
        written.append(_draw_matrix(gold, predicted, top, close_up,
                                    f"{title}: the {len(top)} labels in most errors (of {len(labels)})"))
    return written


def _draw_matrix(gold: Sequence[str], predicted: Sequence[str], labels: list[str], path: Path, title: str) -> Path:
    from sklearn.metrics import confusion_matrix

    # Rows outside `labels` (in a close-up) are left out by confusion_matrix itself.
    matrix = confusion_matrix(gold, predicted, labels=labels)
    # Colour by the share of each true label's messages, so small classes' errors are as visible as large ones'.
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(6.0, 0.26 * len(labels) + 3.0)
    figure = _figure(size + 1.5, size)
    axes = figure.add_subplot()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    font = 9 if len(labels) <= ANNOTATE_UP_TO else 7
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=font)
    axes.set_yticks(range(len(labels)), labels, fontsize=font)
    axes.set_xlabel("predicted label")
    axes.set_ylabel("true label")
    axes.set_title(title)
    if len(labels) <= ANNOTATE_UP_TO:
        for row, column in zip(*np.nonzero(matrix), strict=True):
            colour = "white" if shares[row, column] > 0.6 else ("firebrick" if row != column else "black")
            axes.text(column, row, str(matrix[row, column]), ha="center", va="center", fontsize=font, color=colour)
    else:  # too small to read numbers: outline the errors instead
        for row, column in zip(*np.nonzero(matrix), strict=True):
            if row != column:
                axes.add_patch(_cell_outline(column, row))
    figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="share of the true label's messages")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def _cell_outline(x: int, y: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="firebrick", linewidth=0.8)


def plot_confidence_histogram(correct: Sequence[float], wrong: Sequence[float], path: Path, title: str) -> Path:
    """How confident the model was when right and when wrong (ten bins of 0.1)."""
    bins = np.linspace(0.0, 1.0, 11)
    right_counts, _ = np.histogram(np.clip(correct, 0, 1), bins=bins)
    wrong_counts, _ = np.histogram(np.clip(wrong, 0, 1), bins=bins)
    figure = _figure(8, 5)
    axes = figure.add_subplot()
    centres = (bins[:-1] + bins[1:]) / 2
    axes.bar(centres - 0.022, right_counts, width=0.044, color="seagreen", label=f"correct ({len(correct)})")
    axes.bar(centres + 0.022, wrong_counts, width=0.044, color="firebrick", label=f"wrong ({len(wrong)})")
    axes.set_xticks(bins)
    axes.set_xlabel("confidence")
    axes.set_ylabel("messages")
    axes.set_yscale("symlog", linthresh=1)  # a few errors stay visible beside hundreds of hits
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def plot_config_comparison(curves: dict[str, dict[str, list[float]]], path: Path, metric: str) -> Path:
    """One line per config: `metric` (mean and spread over runs) against the number of training examples.

    `curves[name]` holds "examples" (x values), "mean" and "std" (y values), one entry a percentage.
    """
    figure = _figure(8, 5)
    axes = figure.add_subplot()
    for name, curve in curves.items():
        axes.errorbar(curve["examples"], curve["mean"], yerr=curve["std"], marker="o", capsize=3, label=name)
    axes.set_xlabel("intent examples in training data")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} of each config on the same test split")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def plot_model_comparison(differences: dict[str, float], path: Path, names: tuple[str, str]) -> Path:
    """Per-intent F1 difference (second model minus first), largest changes at the top."""
    ordered = sorted(differences.items(), key=lambda item: (abs(item[1]), item[0]))
    figure = _figure(8, max(4.0, 0.24 * len(ordered) + 1.5))
    axes = figure.add_subplot()
    values = [value for _, value in ordered]
    axes.barh(range(len(ordered)), values, color=["seagreen" if v > 0 else "firebrick" for v in values])
    axes.set_yticks(range(len(ordered)), [label for label, _ in ordered], fontsize=8)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(f"F1 of {names[1]} minus F1 of {names[0]}")
    axes.set_title("per-intent change")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
