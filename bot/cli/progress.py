"""Progress bars for commands that run longer than a few seconds (rich, on stderr, gone when done)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

# report(description, completed, total)
Report = Callable[[str, int, int], None]


@contextmanager
def progress_bar(console: Console, description: str) -> Iterator[Report]:
    """A bar with a spinner and the elapsed time; the yielded function moves it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def report(text: str, completed: int, total: int) -> None:
            progress.update(task, description=text, completed=completed, total=total)

        yield report
