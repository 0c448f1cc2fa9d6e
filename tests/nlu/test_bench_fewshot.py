"""bench/_fewshot: the few-shot training sets that we and Rasa train on are fixed by the draw."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _fewshot import write_fewshot_split  # noqa: E402

from bot.shared.nlu.readers import read_nlu_yaml  # noqa: E402

TRAIN = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
- intent: book
  examples: |
    - a table for [two](guests)
    - book a table
- intent: bye
  examples: |
    - bye
"""


def test_each_intent_keeps_at_most_shots_examples_the_same_for_the_same_draw(tmp_path: Path) -> None:
    source = tmp_path / "bench" / "train.yml"
    source.parent.mkdir()
    source.write_text(TRAIN)
    first = write_fewshot_split(source, 2, 1, tmp_path / "a")
    again = write_fewshot_split(source, 2, 1, tmp_path / "b")
    other = [write_fewshot_split(source, 2, draw, tmp_path / f"d{draw}").read_text() for draw in range(2, 8)]
    assert first.read_text() == again.read_text()
    assert any(text != first.read_text() for text in other)  # another draw picks other examples
    examples = read_nlu_yaml(first).training_examples
    assert Counter(m.get("intent") for m in examples) == {"greet": 2, "book": 2, "bye": 1}
    # entity markup is dropped, the text stays
    assert "a table for two" in {m.text for m in examples} and not any(m.entities for m in examples)
