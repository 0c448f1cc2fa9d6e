"""Loading a trained archive for parsing (and, once dialogue lands, for conversations)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.model.archive import ModelMetadata, find_latest_model, read_metadata, unpack_model
from bot.nlu.pipeline import NLUPipeline
from bot.shared.errors import InvalidModel


@dataclass
class LoadedModel:
    """An unpacked archive with its parts loaded."""

    path: Path
    metadata: ModelMetadata
    nlu: NLUPipeline | None
    directory: Path | None = None  # where the archive is unpacked, for the other parts


def load_model(model: str | Path = "models", *, require_nlu: bool = True, full: bool = False) -> LoadedModel:
    """Loads the archive at `model`, or the newest archive when `model` is a directory (with `full`, the
    newest that has a dialogue part, passing NLU-only "nlu-*" archives by)."""
    archive = find_latest_model(model, full=full)
    directory = unpack_model(archive)
    metadata = read_metadata(directory)
    nlu = NLUPipeline.load(directory / "nlu") if "nlu" in metadata.parts else None
    if nlu is None and require_nlu:
        raise InvalidModel(f"model '{archive}' has no NLU part", hint="retrain with 'bot train'")
    return LoadedModel(archive, metadata, nlu, directory)
