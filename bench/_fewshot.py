"""Few-shot training sets drawn from a benchmark's full training set, the same for us and for Rasa.

A draw keeps `shots` examples of every intent, picked by numpy's generator seeded with the draw
number from the intent's examples in file order, so `--shots 5 --draw 1` is the same set on any
machine. Entity annotations are dropped (the texts stay): the few-shot figures are intent accuracy,
as in the published few-shot results, and neither system then spends its time on tagging.
The test set stays the official one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_fewshot_split"]


def write_fewshot_split(train_file: Path, shots: int, draw: int, out_dir: Path) -> Path:
    """Writes `shots` examples per intent of `train_file` (draw `draw`) as Rasa NLU YAML; returns the file."""
    from bot.shared.nlu.readers import read_nlu_yaml  # after _nlu_eval put the repository on sys.path

    if shots < 1:
        raise SystemExit(f"--shots must be at least 1, not {shots}")
    by_intent: dict[str, list[str]] = {}
    for message in read_nlu_yaml(train_file).training_examples:
        intent = message.get("intent")
        if intent and message.text:
            by_intent.setdefault(str(intent), []).append(message.text)
    rng = np.random.default_rng(draw)
    lines = [f"# {shots} examples per intent of {train_file.parent.name}/{train_file.name}, draw {draw}",
             'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        picked = sorted(rng.choice(len(texts), size=min(shots, len(texts)), replace=False))
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {texts[i]}" for i in picked]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{train_file.parent.name}-{shots}shot-draw{draw}.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
