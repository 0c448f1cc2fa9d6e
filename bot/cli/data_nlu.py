"""`bot data split nlu` and `bot data convert nlu`: held-out test data, and Rasa's other formats."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

split_app = typer.Typer(help="Split training data into training and test parts.", no_args_is_help=True)
convert_app = typer.Typer(help="Convert training data between Rasa's formats.", no_args_is_help=True)
console = Console()

# --format value -> file suffix
SUFFIXES = {"yaml": ".yml", "json": ".json", "md": ".md"}


@split_app.command("nlu")
def split_nlu(
    nlu: Annotated[list[Path], typer.Option("--nlu", help="NLU data: files or folders.")] = [Path("data")],  # noqa: B006
    training_fraction: Annotated[float, typer.Option(help="Share of each intent's examples for training.")] = 0.8,
    random_seed: Annotated[int, typer.Option(help="Seed of the shuffle, for the same split again.")] = 42,
    out: Annotated[Path, typer.Option(help="Folder for training_data.yml and test_data.yml.")] = Path(
        "train_test_split"),
) -> None:
    """Split NLU data per intent (stratified); both parts keep every synonym, regex and lookup table."""
    from bot.cli.main import _fail
    from bot.cli.test_nlu import load_test_data
    from bot.shared.errors import BotError
    from bot.shared.nlu.split import train_test_split
    from bot.shared.nlu.writers import to_nlu_yaml

    try:
        data = load_test_data(nlu)
        train, test = train_test_split(data, training_fraction, random_seed)
    except BotError as error:
        _fail(error)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "training_data.yml").write_text(to_nlu_yaml(train), encoding="utf-8")
    (out / "test_data.yml").write_text(to_nlu_yaml(test), encoding="utf-8")
    kept = [name for name, count in sorted(train.number_of_examples_per_intent().items())
            if name not in test.number_of_examples_per_intent() and count == 1]
    console.print(f"{len(train.intent_examples)} training and {len(test.intent_examples)} test examples "
                  f"in {out}/training_data.yml and {out}/test_data.yml")
    if kept:
        console.print(f"note: {len(kept)} intent(s) with a single example stay in training only: "
                      + ", ".join(kept[:10]), highlight=False)
    console.print(f"Test with: bot test nlu --nlu {out}/test_data.yml (after training on {out}/training_data.yml)",
                  highlight=False)


@convert_app.command("nlu")
def convert_nlu(
    data: Annotated[list[Path], typer.Option(help="Files or folders to convert (.yml, .json, .md).")],
    out: Annotated[Path, typer.Option(help="Output file (one input file) or folder.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Output format: yaml, json or md.")] = "yaml",
) -> None:
    """Convert NLU data between Rasa's YAML, its JSON format and Rasa 1.x/2.x Markdown."""
    from bot.cli.main import _fail
    from bot.shared.errors import BotError

    try:
        if format not in SUFFIXES:
            raise BotError(f"unknown format '{format}'", hint="pass --format yaml, json or md")
        written = convert_files(data, out, format)
    except BotError as error:
        _fail(error)
        return
    for source, target in written:
        console.print(f"{source} -> {target}", highlight=False)


def convert_files(paths: list[Path], out: Path, format: str) -> list[tuple[Path, Path]]:
    """Converts each NLU file among `paths`; a single file may go to a file, several go into a folder."""
    from bot.shared.errors import BotError

    inputs: list[Path] = []
    for path in paths:
        if not path.exists():
            raise BotError(f"'{path}' does not exist", hint="pass --data with an NLU file or folder")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        inputs.extend(p for p in candidates if p.suffix.lower() in (".yml", ".yaml", ".json", ".md"))
    if not inputs:
        raise BotError(f"no .yml, .json or .md files in {', '.join(map(str, paths))}",
                       hint="pass --data with NLU training data")
    to_file = len(inputs) == 1 and out.suffix.lower() in (".yml", ".yaml", ".json", ".md")
    written = []
    for source in inputs:
        data = read_any(source)
        if data is None:
            continue
        target = out if to_file else out / (source.stem + SUFFIXES[format])
        if target.resolve() == source.resolve():
            raise BotError(f"converting '{source}' would overwrite it", hint="pass another --out")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(data, format), encoding="utf-8")
        _warn_about_losses(data, format, source)
        written.append((source, target))
    return written


def read_any(path: Path):  # noqa: ANN201 (TrainingData | None)
    """Reads YAML, JSON or Markdown NLU data by file suffix; None for a YAML file without NLU data."""
    from bot.shared.nlu.readers import is_nlu_file, read_nlu_yaml
    from bot.shared.nlu.readers.other_formats import read_rasa_json, read_rasa_markdown

    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_rasa_json(path)
    if suffix == ".md":
        return read_rasa_markdown(path)
    return read_nlu_yaml(path) if is_nlu_file(path) else None


def render(data, format: str) -> str:  # noqa: ANN001
    from bot.shared.nlu.writers import to_nlu_yaml, to_rasa_json, to_rasa_markdown

    return {"yaml": to_nlu_yaml, "json": to_rasa_json, "md": to_rasa_markdown}[format](data)


def _warn_about_losses(data, format: str, source: Path) -> None:  # noqa: ANN001
    lost = []
    if format in ("json", "md") and data.responses:
        lost.append(f"{len(data.responses)} response(s)")
    if format == "md" and any(m.get("metadata") for m in data.training_examples):
        lost.append("example metadata")
    if lost:
        console.print(f"[yellow]warning[/yellow] {source}: the {format} format cannot hold {' and '.join(lost)}; "
                      "they are not in the output", highlight=False)
