"""`bot data export-customer`, `bot data erase-customer` and `bot data apply-retention` (GDPR)."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.shared.errors import BotError

__all__ = ["register"]

T = TypeVar("T")
_ENDPOINTS = typer.Option(help="Endpoints file (tracker_store, lock_store).")
_PROJECT = typer.Option(help="Project folder (where the SQLite tracker store lives).")


def export_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's conversation (sender) id.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON here (default: stdout).")]
    = None,
    endpoints: Annotated[Path, _ENDPOINTS] = Path("endpoints.yml"),
    project_dir: Annotated[Path, _PROJECT] = Path("."),
) -> None:
    """Everything stored about a customer (events, handover records) as JSON; recorded in the audit log."""
    data = _run(endpoints, project_dir, lambda tools: tools.export(customer_id, actor=_actor()))
    if data is None:
        _fail(BotError(f"nothing is stored about customer '{customer_id}'",
                       hint="check the id (the conversation's sender id) and endpoints.yml's tracker_store"))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Wrote the data of customer '{customer_id}' to {output}.", err=True)


def erase_customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's conversation (sender) id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    endpoints: Annotated[Path, _ENDPOINTS] = Path("endpoints.yml"),
    project_dir: Annotated[Path, _PROJECT] = Path("."),
) -> None:
    """Erase everything stored about a customer (tracker store, handover tables, lock keys, outbox)."""
    if not yes:
        typer.confirm(f"Erase all data of customer '{customer_id}'? This cannot be undone", abort=True)
    erasure = _run(endpoints, project_dir, lambda tools: tools.erase(customer_id, actor=_actor()))
    counts = ", ".join(f"{count} {kind}" for kind, count in erasure.as_dict().items())
    typer.echo(f"Erased customer '{customer_id}': {counts}.")


def apply_retention(
    days: Annotated[float | None, typer.Option(
        min=0.0, help="Erase conversations idle longer than this (default: tracker_store retention_days).")] = None,
    endpoints: Annotated[Path, _ENDPOINTS] = Path("endpoints.yml"),
    project_dir: Annotated[Path, _PROJECT] = Path("."),
) -> None:
    """Erase the conversations whose last event is older than the retention period (as `bot run` does hourly)."""
    from bot.shared.endpoints import load_endpoints
    from bot.stores.customer_data import retention_settings

    if days is None:
        try:
            days = retention_settings(load_endpoints(endpoints).tracker_store)[0]
        except BotError as error:
            _fail(error)
        if days is None:
            _fail(BotError("no retention period is set", location=str(endpoints),
                           hint="add 'retention_days: 30' under tracker_store, or pass --days"))
    if not days or days <= 0:
        raise typer.BadParameter("must be more than 0", param_hint="--days")
    erasure = _run(endpoints, project_dir, lambda tools: tools.apply_retention(days, actor=_actor()))
    typer.echo(f"Erased {erasure.conversations} conversation(s) idle for more than {days:g} day(s) "
               f"({erasure.events} events).")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _run(endpoints_path: Path, project_dir: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        from bot.shared.endpoints import load_endpoints
        from bot.stores import create_lock_store, create_tracker_store
        from bot.stores.customer_data import CustomerData

        endpoints = load_endpoints(endpoints_path)
        tracker_store = create_tracker_store(endpoints.tracker_store, project_dir)
        lock_store = create_lock_store(endpoints.lock_store)
        try:
            return await work(CustomerData(tracker_store, lock_store))
        finally:
            await tracker_store.close()
            await lock_store.close()

    try:
        return asyncio.run(main())
    except BotError as error:
        _fail(error)
        raise AssertionError("unreachable") from None


def _fail(error: BotError) -> None:
    from bot.cli.main import _fail as fail

    fail(error)


def register(data_app: typer.Typer) -> None:
    """Adds the GDPR commands under `bot data`."""
    data_app.command("export-customer")(export_customer)
    data_app.command("erase-customer")(erase_customer)
    data_app.command("apply-retention")(apply_retention)
