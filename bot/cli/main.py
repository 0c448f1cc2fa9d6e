"""`bot`: init, train, parse, shell, interactive, visualize, run, test, data, models."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from bot.cli.output import make_console, print_error, show_warnings_plainly
from bot.shared.errors import BotError


class _BotTyper(typer.Typer):
    """Typer that reads options with several values as Rasa writes them (`--config a.yml b.yml`)."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        if not args and "args" not in kwargs:
            from bot.cli._argv import spread_multi_values

            kwargs["args"] = spread_multi_values(sys.argv[1:])
        return super().__call__(*args, **kwargs)


app = _BotTyper(help="A Rasa-compatible bot framework with human handover.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
console = make_console(stderr=True)
_state = {"debug": False}


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also informational logs.")] = False,
) -> None:
    _state["debug"] = debug
    if not debug:
        show_warnings_plainly(console)
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("urllib3", "httpx", "filelock", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(error: BotError) -> None:
    if _state["debug"]:
        raise error
    print_error(console, error)
    raise typer.Exit(1)


@app.command()
def train(
    config: Annotated[Path, typer.Option(help="Config file.")] = Path("config.yml"),
    domain: Annotated[Path | None, typer.Option(help="Domain file or directory.")] = None,
    data: Annotated[list[Path] | None, typer.Option(help="Training data files or folders.")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the model archive.")] = Path("models"),
    nlu: Annotated[bool, typer.Option("--nlu", help="Train only the NLU part.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Retrain even when nothing changed.")] = False,
    fixed_model_name: Annotated[str | None, typer.Option(help="Archive name instead of a timestamp.")] = None,
    finetune: Annotated[str | None, typer.Option(
        "--finetune", metavar="[MODEL]",
        help="Continue from a previous model (an archive; alone: the newest in --out) instead of training "
             "afresh. Only examples, stories and epochs may have changed.")] = None,
    epoch_fraction: Annotated[float, typer.Option(
        help="With --finetune: train this fraction of each network's configured epochs.")] = 1.0,
) -> None:
    """Train a model from the project's data, config and domain."""
    train_project(config, domain, data, out, nlu_only=nlu, force=force, fixed_model_name=fixed_model_name,
                  finetune=finetune, epoch_fraction=epoch_fraction)


def train_project(config: Path, domain: Path | None = None, data: list[Path] | None = None,
                  out: Path | None = None, *, nlu_only: bool = False, force: bool = False,
                  fixed_model_name: str | None = None, finetune: str | None = None,
                  epoch_fraction: float = 1.0) -> Path | None:
    """Trains with a progress bar and prints where the model is; `out` defaults to the project's models/."""
    from bot.cli.progress import progress_bar
    from bot.model.training import train as train_model
    from bot.nn.progress import epoch_listener
    from bot.shared.project import Project

    try:
        project = Project.discover(config.parent, config=config, domain=domain, data=data)
        with progress_bar(console, "loading training data") as report:
            step = {"index": 0, "count": 0}

            def on_step(name: str, index: int, count: int) -> None:
                step.update(index=index, count=count)
                report(f"training {name}", index, count)

            def on_epoch(name: str, epoch: int, epochs: int, loss: float) -> None:
                report(f"training {name}: epoch {epoch}/{epochs}, loss {loss:.3f}", step["index"], step["count"])

            with epoch_listener(on_epoch):
                result = train_model(project, out if out is not None else config.parent / "models",
                                     nlu_only=nlu_only, force=force, fixed_name=fixed_model_name, progress=on_step,
                                     finetune=finetune, epoch_fraction=epoch_fraction)
    except BotError as error:
        _fail(error)
        return None
    if result.reused:
        console.print(Text.assemble("Nothing changed. The newest model is up to date: ",
                                    (str(result.model_path), "bold")))
    else:
        how = "Fine-tuned" if finetune is not None else "Trained"
        console.print(Text.assemble(f"{how} {', '.join(result.trained_parts) or 'nothing new'} in "
                                    f"{result.seconds:.1f}s. Model: ", (str(result.model_path), "bold")))
    typer.echo(str(result.model_path))
    return result.model_path


@app.command()
def parse(
    text: Annotated[str, typer.Argument(help="The message to parse.")],
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives.")] = Path("models"),
) -> None:
    """Parse one message and print Rasa's parse JSON."""
    from bot.model.loading import load_model

    try:
        loaded = load_model(model)
    except BotError as error:
        _fail(error)
        return
    typer.echo(json.dumps(_parse(loaded.nlu, text), ensure_ascii=False, indent=2))


def _parse(nlu, text: str) -> dict:
    """NLU's parse, or for '/intent{"entity": "value"}' the intent and entities as given (as live)."""
    from bot.core.messages import parse_intent_message

    return parse_intent_message(text) or nlu.parse(text)


@app.command()
def shell(
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives.")] = Path("models"),
    nlu: Annotated[bool, typer.Option("--nlu", help="Only parse messages (no dialogue).")] = False,
    endpoints: Annotated[Path, typer.Option(help="Endpoints file (stores, action server).")] = Path("endpoints.yml"),
    sender: Annotated[str | None, typer.Option(help="Conversation id (default: a new one per session).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="After each turn, show the intent and which "
                                          "policy chose each action, with its confidence.")] = False,
) -> None:
    """Chat with the assistant in the terminal. With --nlu, every message is parsed and the result printed."""
    from bot.model.archive import find_latest_model, read_archive_metadata
    from bot.model.loading import load_model

    try:
        archive = find_latest_model(model, full=not nlu)
        console.print(Text.assemble("Model: ", (str(archive), "bold")))
        metadata = read_archive_metadata(archive)
        if nlu or (metadata is not None and "core" not in metadata.parts):
            if not nlu:
                console.print("This model has no dialogue part (trained with --nlu); showing NLU parses.")
            loaded = load_model(archive)
            console.print("Type a message (Ctrl-D or /stop to quit).")
            for line in _input_lines():
                if line.strip() in ("/stop", "/exit", "/quit"):
                    break
                typer.echo(json.dumps(_parse(loaded.nlu, line), ensure_ascii=False, indent=2))
            return
        import asyncio
        import uuid

        asyncio.run(_chat(archive, endpoints, sender or f"shell-{uuid.uuid4().hex[:12]}", explain))
    except BotError as error:
        _fail(error)


async def _chat(archive: Path, endpoints_path: Path, sender: str, explain: bool = False) -> None:
    from bot.core.agent import Agent
    from bot.shared.endpoints import load_endpoints

    endpoints = load_endpoints(endpoints_path if endpoints_path.exists() else None)
    agent = Agent.load(archive, endpoints=endpoints, project_dir=Path("."))
    console.print("Chat with the assistant (Ctrl-D or /stop to quit; /restart starts over).")
    try:
        for line in _input_lines():
            if line.strip() in ("/stop", "/exit", "/quit"):
                break
            if not line.strip():
                continue
            for reply in await agent.handle_text(line, sender, input_channel="cmdline"):
                _print_reply(reply)
            if explain:
                _explain_turn(await agent.processor.fetch_tracker(sender))
    finally:
        await agent.close()


def _explain_turn(tracker) -> None:
    """The last turn as the designer wants to see it: understood intent, then each action and who chose it."""
    from bot.shared.core.events import ActionExecuted, SlotSet, UserUttered

    turn = []
    for event in reversed(tracker.events):
        turn.append(event)
        if isinstance(event, UserUttered):
            break
    for event in reversed(turn):
        if isinstance(event, UserUttered):
            intent = event.intent
            entities = ", ".join(f"{e.get('entity')}={e.get('value')!r}" for e in event.entities)
            console.print(Text(f"  intent {intent.get('name')} ({intent.get('confidence', 0):.2f})"
                               f"{'; entities ' + entities if entities else ''}", style="dim"))
        elif isinstance(event, SlotSet):
            console.print(Text(f"  slot {event.key} = {event.value!r}", style="dim"))
        elif isinstance(event, ActionExecuted):
            confidence = f"{event.confidence:.2f}" if event.confidence is not None else "-"
            console.print(Text(f"  action {event.action_name} by {event.policy} ({confidence})", style="dim"))


def _print_reply(reply: dict) -> None:
    if reply.get("text"):
        typer.echo(f"\u2022 {reply['text']}")
    for index, button in enumerate(reply.get("buttons") or [], start=1):
        typer.echo(f"    {index}: {button.get('title')} ({button.get('payload')})")
    if reply.get("image"):
        typer.echo(f"    [image] {reply['image']}")
    if reply.get("custom"):
        typer.echo(f"    [custom] {json.dumps(reply['custom'], ensure_ascii=False)}")


def _register_commands() -> None:
    from bot.cli.customer_data_command import register as register_customer_data
    from bot.cli.data_commands import data_app
    from bot.cli.data_nlu import convert_app, split_app
    from bot.cli.export_command import register as register_export
    from bot.cli.init_command import init
    from bot.cli.interactive_command import interactive
    from bot.cli.models_command import models_app
    from bot.cli.run import register as register_run
    from bot.cli.test_command import test_app
    from bot.cli.visualize_command import visualize

    data_app.add_typer(split_app, name="split")
    data_app.add_typer(convert_app, name="convert")
    register_customer_data(data_app)
    app.add_typer(data_app, name="data")
    app.add_typer(models_app, name="models")
    app.command("init")(init)
    app.command("interactive")(interactive)
    app.command("visualize")(visualize)
    app.add_typer(test_app, name="test")
    register_run(app)
    register_export(app)
    try:  # the human side plugs in; the framework runs without it
        from handover.cli import register as register_handover
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("handover"):
            raise
    else:
        register_handover(app)


_register_commands()


def _input_lines():
    while True:
        try:
            line = input("Your input -> ") if sys.stdin.isatty() else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            return
        if not sys.stdin.isatty() and line == "":
            return
        yield line.rstrip("\n")


if __name__ == "__main__":
    app()
