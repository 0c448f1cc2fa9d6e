"""How the CLI prints: rich for colour, but user text is never read as markup or emoji codes.

rich turns `[bold]` into markup and `:100:` into an emoji by default, so "domain.yml:100:" printed
as 💯 and "[card](item)" lost its brackets. Every console here has both off, and user text goes in
as `Text`, so file:line, YAML snippets and hints print exactly as written.
"""

from __future__ import annotations

import warnings

from rich.console import Console
from rich.text import Text

__all__ = ["make_console", "print_error", "print_labelled", "show_warnings_plainly"]


def make_console(*, stderr: bool = False) -> Console:
    """A console that prints text as given: no emoji codes, no automatic highlighting."""
    return Console(stderr=stderr, emoji=False, highlight=False, soft_wrap=True)


def print_labelled(console: Console, label: str, style: str, text: str) -> None:
    """`label` in `style`, then `text` exactly as written (line breaks and indentation kept)."""
    console.print(Text.assemble((label, style), " ", text))


def print_error(console: Console, error: object) -> None:
    """"Error: ..." with the message, location and indented hint untouched."""
    print_labelled(console, "Error:", "bold red", str(error))


def show_warnings_plainly(console: Console) -> None:
    """Python warnings (domain warnings and the like) as "Warning: message", without the internal
    source file and line Python's default format adds."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        print_labelled(console, "Warning:", "yellow", str(message))

    warnings.showwarning = show
