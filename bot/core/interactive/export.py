"""Saving an interactive session into the project: the conversation as a story, the confirmed messages
as NLU examples. Both go into files of their own (data/interactive/), never into the designer's files;
examples the project already has are not written again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.shared.core.story_writer import story_block, story_steps
from bot.shared.nlu.message import Message
from bot.shared.nlu.training_data import TrainingData

STORIES_FILE = Path("data") / "interactive" / "stories.yml"
NLU_FILE = Path("data") / "interactive" / "nlu.yml"


@dataclass
class SavedSession:
    stories_file: Path | None
    nlu_file: Path | None
    new_examples: int
    steps: int


def save_session(project_dir: Path, events: Sequence[dict[str, Any]], examples: Sequence[Message],
                 existing: TrainingData) -> SavedSession:
    """Appends the story to data/interactive/stories.yml and the new examples to data/interactive/nlu.yml."""
    steps = story_steps(events)
    stories_path = nlu_path = None
    if any(line.startswith("  - intent:") for line in steps):
        stories_path = project_dir / STORIES_FILE
        stories_path.parent.mkdir(parents=True, exist_ok=True)
        header = "" if stories_path.exists() else (
            '# Written by `bot interactive`: conversations confirmed step by step. Edit or move them freely.\n'
            'version: "3.1"\nstories:\n')
        name = f"interactive {time.strftime('%Y-%m-%d %H:%M:%S')}"
        with stories_path.open("a", encoding="utf-8") as file:
            file.write(header + story_block(name, events))
    new = _new_examples(examples, existing)
    if new:
        from bot.shared.nlu.readers import read_nlu_yaml
        from bot.shared.nlu.writers import to_nlu_yaml

        nlu_path = project_dir / NLU_FILE
        nlu_path.parent.mkdir(parents=True, exist_ok=True)
        previous = read_nlu_yaml(nlu_path) if nlu_path.exists() else TrainingData()
        merged = TrainingData(previous.training_examples + new)
        text = to_nlu_yaml(merged)
        nlu_path.write_text("# Written by `bot interactive`: messages confirmed while chatting.\n" + text,
                            encoding="utf-8")
    return SavedSession(stories_path, nlu_path, len(new), len(steps))


def _new_examples(examples: Sequence[Message], existing: TrainingData) -> list[Message]:
    """Examples whose text and intent the project does not have yet (each once)."""
    seen = {(m.text.strip().lower(), m.get("intent")) for m in existing.training_examples}
    new = []
    for message in examples:
        key = (message.text.strip().lower(), message.get("intent"))
        if key not in seen and message.get("intent"):
            seen.add(key)
            new.append(message)
    return new
