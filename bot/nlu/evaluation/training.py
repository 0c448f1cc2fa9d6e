"""Training a pipeline for an evaluation run: trained, persisted and loaded back, as `bot run` would use it."""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.shared.nlu.training_data import TrainingData

# progress(description, completed, total), called as work advances.
Progress = Callable[[str, int, int], None]


@dataclass
class TrainedPipeline:
    """A loaded pipeline with what training and loading it cost."""

    pipeline: Any  # NLUPipeline
    train_seconds: float
    load_seconds: float
    component_seconds: dict[str, float] = field(default_factory=dict)

    def parse(self, text: str) -> dict[str, Any]:
        return self.pipeline.parse(text)


def train_pipeline(config: dict[str, Any], data: TrainingData, language: str | None = None) -> TrainedPipeline:
    """Trains a fresh pipeline from a config dict on `data`, persists it and loads it back."""
    from bot.nlu.pipeline import NLUPipeline

    pipeline = NLUPipeline.from_config(copy.deepcopy(config), language=language)
    started = time.perf_counter()
    pipeline.train(data)
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as directory:
        pipeline.persist(Path(directory))
        started = time.perf_counter()
        loaded = NLUPipeline.load(Path(directory))
        load_seconds = time.perf_counter() - started
    return TrainedPipeline(loaded, train_seconds, load_seconds,
                           {name: round(seconds, 2) for name, seconds in pipeline.train_seconds.items()})
