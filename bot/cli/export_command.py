"""`bot export`: publish stored conversations to the event broker, as `rasa export`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.shared.errors import BotError

__all__ = ["export", "register"]


def export(
    endpoints: Annotated[Path, typer.Option(help="Endpoints file with the tracker_store and the event_broker.")]
    = Path("endpoints.yml"),
    minimum_timestamp: Annotated[float | None, typer.Option(
        help="Only events at or after this Unix timestamp.")] = None,
    maximum_timestamp: Annotated[float | None, typer.Option(
        help="Only events before this Unix timestamp.")] = None,
    conversation_ids: Annotated[str | None, typer.Option(
        help="Only these conversations (comma-separated sender ids).")] = None,
    project_dir: Annotated[Path, typer.Option(help="Project folder (where the SQLite tracker store lives).")]
    = Path("."),
) -> None:
    """Send the tracker store's events to the event broker of endpoints.yml."""
    from bot.cli.main import _fail

    if minimum_timestamp is not None and maximum_timestamp is not None and minimum_timestamp >= maximum_timestamp:
        raise typer.BadParameter("must be greater than --minimum-timestamp", param_hint="--maximum-timestamp")
    ids = [i.strip() for i in conversation_ids.split(",") if i.strip()] if conversation_ids else None
    try:
        events, conversations, missing = asyncio.run(
            _export(endpoints, project_dir, ids, minimum_timestamp, maximum_timestamp))
    except BotError as error:
        _fail(error)
        return
    if missing:
        typer.echo(f"Not in the tracker store: {', '.join(missing)}", err=True)
    typer.echo(f"Exported {events} event(s) of {conversations} conversation(s) to the event broker.")


async def _export(endpoints_path: Path, project_dir: Path, ids: list[str] | None, minimum: float | None,
                  maximum: float | None) -> tuple[int, int, list[str]]:
    from bot.brokers import create_event_broker
    from bot.brokers.export import export_events
    from bot.shared.endpoints import load_endpoints
    from bot.shared.errors import InvalidEndpoints
    from bot.stores import create_tracker_store

    endpoints = load_endpoints(endpoints_path)
    broker = create_event_broker(endpoints.event_broker)
    if broker is None:
        raise InvalidEndpoints("there is no event_broker to export to", location=str(endpoints_path),
                               hint="add 'event_broker:' with 'type: pika' (RabbitMQ) or 'type: kafka'")
    store = create_tracker_store(endpoints.tracker_store, project_dir)
    try:
        known = set(await store.conversation_ids())
        missing = [i for i in ids if i not in known] if ids is not None else []
        if ids is not None and len(missing) == len(ids):
            raise BotError(f"none of the conversations {', '.join(ids)} is in the tracker store",
                           hint="check --conversation-ids and the tracker_store in endpoints.yml")
        await broker.connect()
        result = await export_events(store, broker, conversation_ids=ids, minimum_timestamp=minimum,
                                     maximum_timestamp=maximum)
    finally:
        await broker.close()
        await store.close()
    if result.events == 0:
        raise BotError("no stored events match the filters", hint="widen --minimum-timestamp/--maximum-timestamp")
    return result.events, len(result.conversations), missing


def register(app: typer.Typer) -> None:
    """Adds `bot export` to the CLI."""
    app.command("export")(export)
