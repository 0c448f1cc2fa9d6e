"""The last evaluation figures of a model archive, kept beside it (`<name>.evaluation.json`).

`bot test` records them; `bot models list` shows them. The archive itself is never rewritten, so
its checksum stays what training produced.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from bot.model.archive import ARCHIVE_SUFFIX

logger = logging.getLogger(__name__)


def evaluation_path(archive: Path) -> Path:
    """models/20261202-101013-324.tar.gz -> models/20261202-101013-324.evaluation.json."""
    name = archive.name.removesuffix(ARCHIVE_SUFFIX)
    return archive.with_name(f"{name}.evaluation.json")


def read_evaluation(archive: Path) -> dict[str, Any]:
    """{"nlu": {...figures, "tested_at", "test_data"}, "stories": {...}} or {} when never tested."""
    path = evaluation_path(archive)
    try:
        content = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return content if isinstance(content, dict) else {}


def record_evaluation(archive: Path, kind: str, figures: dict[str, Any], test_data: str) -> None:
    """Stores the figures of one kind of test ("nlu" or "stories"); a read-only models/ only logs."""
    content = read_evaluation(archive)
    content[kind] = {**figures, "tested_at": time.strftime("%Y-%m-%d %H:%M:%S"), "test_data": test_data}
    path = evaluation_path(archive)
    try:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(content, indent=2, default=str))
        temporary.replace(path)
    except OSError as error:
        logger.warning("could not record the evaluation beside %s: %s", archive, error)
