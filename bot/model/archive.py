"""Model archives: `models/<timestamp>.tar.gz` holding the trained parts and a fingerprint of their inputs."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bot
from bot.shared.errors import InvalidModel, ModelNotFound

METADATA_FILE = "metadata.json"
ARCHIVE_SUFFIX = ".tar.gz"
# Raised when the files inside an archive change shape, so that `bot train` retrains models
# written by an older version instead of reusing them (2: weights as .npz instead of torch's .pt).
MODEL_FORMAT = 2


@dataclass
class ModelMetadata:
    """What an archive holds: framework version, input fingerprints per part, timings."""

    fingerprint: dict[str, str] = field(default_factory=dict)  # part name ("nlu", "core") -> hash
    parts: list[str] = field(default_factory=list)  # sub-directories present: "nlu", "core"
    language: str | None = None
    version: str = bot.__version__
    created: float = field(default_factory=time.time)
    train_seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "created": self.created, "fingerprint": self.fingerprint,
            "parts": self.parts, "language": self.language, "train_seconds": self.train_seconds,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        return cls(
            fingerprint=data.get("fingerprint", {}), parts=data.get("parts", []),
            language=data.get("language"), version=data.get("version", "unknown"),
            created=data.get("created", 0.0), train_seconds=data.get("train_seconds", {}),
            extra=data.get("extra", {}),
        )


NLU_ONLY_PREFIX = "nlu-"


def archive_name(fixed_name: str | None = None, *, nlu_only: bool = False) -> str:
    """"20261123-163012-482" style names sort by time, like Rasa's; an NLU-only model is "nlu-..." as
    in Rasa, so the commands that need dialogue can pass it by."""
    if fixed_name:
        return fixed_name if fixed_name.endswith(ARCHIVE_SUFFIX) else fixed_name + ARCHIVE_SUFFIX
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1000) % 1000:03d}"
    return (NLU_ONLY_PREFIX if nlu_only else "") + stamp + ARCHIVE_SUFFIX


def write_archive(staging_dir: Path, metadata: ModelMetadata, output: Path) -> Path:
    """Packs `staging_dir` (with its part sub-directories) plus metadata.json into `output`."""
    (staging_dir / METADATA_FILE).write_text(json.dumps(metadata.as_dict(), indent=2, default=str))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for child in sorted(staging_dir.iterdir()):
            tar.add(child, arcname=child.name)
    partial.replace(output)  # never leave a half-written archive under the final name
    return output


def find_latest_model(path: str | Path, *, full: bool = False) -> Path:
    """`path` itself when it is an archive, else the newest archive in that directory; with `full`,
    the newest that is not NLU-only ("nlu-*"), when there is one."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise ModelNotFound(f"no model at '{path}'", hint="train one with 'bot train' or pass --model PATH")
    latest = (latest_archive(path, full_only=True) if full else None) or latest_archive(path)
    if latest is None:
        raise ModelNotFound(f"no trained model in '{path}'", hint="train one with 'bot train'")
    return latest


def latest_archive(directory: Path, *, full_only: bool = False) -> Path | None:
    """The newest archive in `directory` by modification time (with `full_only`, not "nlu-*"), or None."""
    archives = sorted((p for p in directory.glob("*" + ARCHIVE_SUFFIX)
                       if not (full_only and p.name.startswith(NLU_ONLY_PREFIX))),
                      key=lambda p: p.stat().st_mtime) if directory.is_dir() else []
    return archives[-1] if archives else None


def unpack_model(archive: Path, cache_root: Path | None = None) -> Path:
    """Unpacks once into a cache keyed by the archive's path, size and mtime; returns the directory."""
    if not archive.exists():
        raise ModelNotFound(f"model archive '{archive}' does not exist")
    stat = archive.stat()
    key = hashlib.sha1(f"{archive.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache_root = cache_root or Path(tempfile.gettempdir()) / "bot-models"
    target = cache_root / key
    if (target / METADATA_FILE).exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_ensure(cache_root)))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidModel(f"cannot read model archive '{archive}': {error}",
                           hint="the file is damaged; retrain with 'bot train'") from None
    if not (staging / METADATA_FILE).exists():
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidModel(f"'{archive}' is not a model archive (no {METADATA_FILE})")
    try:
        staging.rename(target)
    except OSError:  # another process unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def read_metadata(model_dir: Path) -> ModelMetadata:
    return ModelMetadata.from_dict(json.loads((model_dir / METADATA_FILE).read_text()))


def read_archive_metadata(archive: Path) -> ModelMetadata | None:
    """Metadata of an archive without unpacking the rest; None when unreadable."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(METADATA_FILE)
            return ModelMetadata.from_dict(json.loads(member.read())) if member else None
    except (tarfile.TarError, OSError, KeyError, EOFError, json.JSONDecodeError):
        return None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
