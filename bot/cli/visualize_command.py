"""`bot visualize`: draws the project's stories as one graph (graph.html, or a PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def visualize(
    stories: Annotated[list[Path], typer.Option(help="Story files or folders.")] = [Path("data")],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Output file: .html (default) or .png.")] = Path("graph.html"),
    rules: Annotated[bool, typer.Option("--rules", help="Draw the rules too.")] = False,
) -> None:
    """Draw the stories as a graph: each story a path from START to END, the same beginnings merged."""
    from bot.cli.main import _fail
    from bot.core.visualization import build_story_graph, render_html, render_png
    from bot.shared.core.stories_yaml import is_story_file, read_story_files
    from bot.shared.core.story_graph import expand_stories
    from bot.shared.errors import BotError

    console = Console()
    try:
        if out.suffix.lower() not in (".html", ".png"):
            raise BotError(f"cannot write '{out}': the graph is written as .html or .png", hint="pass --out graph.html")
        files: list[Path] = []
        for path in stories:
            if not path.exists():
                raise BotError(f"'{path}' does not exist", hint="pass --stories with story files or folders")
            candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            files.extend(p for p in candidates if is_story_file(p))
        blocks = [b for b in read_story_files(files) if rules or b.kind == "story"]
        if not blocks:
            raise BotError(f"no stories in {', '.join(map(str, stories))}",
                           hint="write stories under data/ (a YAML file with 'stories:'), or pass --stories")
        graph = build_story_graph(expand_stories(blocks))
    except BotError as error:
        _fail(error)
        return
    title = f"Stories of {Path.cwd().name}"
    if out.suffix.lower() == ".png":
        render_png(graph, out, title)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(graph, title), encoding="utf-8")
    console.print(f"Drew {graph.stories} stories ({len(graph.nodes())} steps) into {out}", highlight=False)
