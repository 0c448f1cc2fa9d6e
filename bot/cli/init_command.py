"""`bot init`: a starter project (English or German) that trains and passes its own test stories."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project (created if missing).")] = Path("."),
    language: Annotated[str, typer.Option("--language", "-l", help="Language of the starter: en or de.")] = "en",
    no_train: Annotated[bool, typer.Option("--no-train", help="Only write the files; do not train.")] = False,
) -> None:
    """Create a starter assistant: config, domain, NLU data, stories, rules, test stories, actions."""
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        written = create_project(directory, language)
    except BotError as error:
        _fail(error)
        return
    console.print(f"Created a starter assistant ({language}) in {directory}/ with {len(written)} files.",
                  highlight=False)
    if not no_train:
        from bot.cli.main import train_project

        train_project(directory / "config.yml")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    console.print("Next steps:\n"
                  f"  {where}bot shell          chat with it\n"
                  f"  {where}bot test           run its test stories and NLU test\n"
                  f"  {where}bot interactive    correct it while chatting\n"
                  "  docs/designer.md explains every file.", highlight=False)


def create_project(directory: Path, language: str) -> list[Path]:
    """Copies the starter files; refuses (writing nothing) when any of them exists already."""
    from bot.shared.errors import BotError
    from bot.starter import LANGUAGES, template_dir

    if language not in LANGUAGES:
        raise BotError(f"no starter project in '{language}'", hint=f"pass --language {' or '.join(LANGUAGES)}")
    source = template_dir(language)
    files = [p for p in sorted(source.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    targets = [directory / p.relative_to(source) for p in files]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise BotError(f"{len(existing)} file(s) of the starter exist already: "
                       + ", ".join(str(t) for t in existing[:5]) + (" ..." if len(existing) > 5 else ""),
                       hint="run 'bot init' in an empty folder (bot init NEW_FOLDER); nothing was written")
    for file, target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
    return targets
