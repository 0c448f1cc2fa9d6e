"""`bot models list`: the archives in models/ with fingerprint, training date and last evaluation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

models_app = typer.Typer(help="Trained model archives.", no_args_is_help=True)


@models_app.command("list")
def list_models(
    models: Annotated[Path, typer.Option(help="Folder of model archives.")] = Path("models"),
) -> None:
    """Every archive, newest first: when it was trained, its parts and fingerprints, its last test figures."""
    from bot.model.archive import ARCHIVE_SUFFIX, read_archive_metadata
    from bot.model.evaluations import read_evaluation

    console = Console()
    archives = sorted(models.glob("*" + ARCHIVE_SUFFIX), key=lambda p: p.stat().st_mtime, reverse=True) \
        if models.is_dir() else []
    if not archives:
        console.print(f"No model archives in {models}/. Train one with 'bot train'.", highlight=False)
        return
    table = Table(title=f"{len(archives)} model(s) in {models}/ (newest first; the first is what bot run loads)")
    for column in ("archive", "trained", "parts", "fingerprint nlu / core", "size", "last evaluation"):
        table.add_column(column)
    for archive in archives:
        metadata = read_archive_metadata(archive)
        if metadata is None:
            table.add_row(archive.name, "-", "[red]unreadable[/red]", "-", _size(archive), "-")
            continue
        fingerprints = " / ".join(metadata.fingerprint.get(part, "-")[:8] for part in ("nlu", "core"))
        trained = time.strftime("%Y-%m-%d %H:%M", time.localtime(metadata.created)) if metadata.created else "-"
        table.add_row(archive.name, trained, ", ".join(metadata.parts), fingerprints, _size(archive),
                      _evaluation(read_evaluation(archive)))
    console.print(table)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"


def _evaluation(evaluation: dict) -> str:
    parts = []
    nlu = evaluation.get("nlu") or {}
    if nlu.get("intent"):
        parts.append(f"intent acc {nlu['intent']['accuracy']:.3f}, F1 {nlu['intent']['macro_f1']:.3f}")
    for name, scores in (nlu.get("entities") or {}).items():
        if scores.get("span_f1") is not None:
            parts.append(f"{name} entity F1 {scores['span_f1']:.3f}")
    stories = evaluation.get("stories") or {}
    if "passed" in stories:
        parts.append(f"stories {stories['passed']}/{stories['total']}")
    when = max((e.get("tested_at", "") for e in (nlu, stories) if e), default="")
    return ("; ".join(parts) + f" ({when})") if parts else "-"
