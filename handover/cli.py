"""`bot agents`, `bot teams`, `bot handover status|export`: accounts, teams and queues from the terminal.

Every command opens the tracker store endpoints.yml names (the embedded SQLite file by default),
brings the handover tables up to date, writes handover.yml's teams, SLA policies and canned
replies into them, and then does its work. Passwords are read from a prompt (twice, hidden) on a
terminal, or as one line from standard input otherwise; never from the command line, where they
would end up in the shell history and the process list.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bot.shared.errors import BotError

__all__ = ["agents_app", "handover_app", "register", "teams_app"]

T = TypeVar("T")

agents_app = typer.Typer(help="Agent accounts: create, list, change, disable, API tokens.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams from handover.yml (and the console).", no_args_is_help=True)
handover_app = typer.Typer(help="The human handover: queues and agents.", no_args_is_help=True)

Endpoints = Annotated[Path, typer.Option(help="Endpoints file (where the tracker store is).")]
HandoverFile = Annotated[Path, typer.Option("--handover", help="Handover file (teams, hours, SLA, canned replies).")]
_ENDPOINTS = Path("endpoints.yml")
_HANDOVER = Path("handover.yml")


def register(app: typer.Typer) -> None:
    """Adds `agents`, `teams` and `handover` to the `bot` command."""
    app.add_typer(agents_app, name="agents")
    app.add_typer(teams_app, name="teams")
    app.add_typer(handover_app, name="handover")


def _out() -> Console:
    # Made per command: CliRunner swaps sys.stdout, and a console made at import would keep the old one.
    # Piped or captured output gets wide tables instead of cells cut to fit 80 columns.
    return Console(soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 200)


def _run(endpoints: Path, handover_file: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    """Opens the store, migrates, syncs handover.yml, runs `work(directory)`; errors end the command cleanly."""
    from bot.cli.main import _fail

    try:
        return asyncio.run(_with_directory(endpoints, handover_file, work))
    except BotError as error:
        _fail(error)
        raise AssertionError("unreachable") from error  # _fail always exits


async def _with_directory(endpoints: Path, handover_file: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    from bot.shared.endpoints import load_endpoints
    from bot.stores import create_tracker_store
    from handover.agents import AgentDirectory
    from handover.config import load_handover_config
    from handover.config_store import sync_config
    from handover.migrations import upgrade_handover_to_head

    config = load_handover_config(handover_file)
    endpoint_config = load_endpoints(endpoints if endpoints.exists() else None)
    store = create_tracker_store(endpoint_config.tracker_store, Path("."))
    if not hasattr(store, "run_in_transaction"):
        raise BotError(f"the tracker store {type(store).__name__} cannot hold agents",
                       hint="use the SQL tracker store (SQLite or PostgreSQL) in endpoints.yml")
    try:
        await store.run_in_transaction(upgrade_handover_to_head)
        await sync_config(store, config)
        return await work(AgentDirectory(store))
    finally:
        await store.close()


def _is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password(confirm: bool = True) -> str:
    """A new password: hidden prompt with confirmation on a terminal, else one line from stdin."""
    if _is_terminal():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline()
    if not line:
        from bot.cli.main import _fail

        _fail(BotError("no password on standard input",
                       hint="pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | bot agents create NAME ...`, "
                            "or run the command in a terminal to be asked"))
    return line.rstrip("\r\n")


def _split(values: list[str] | None) -> list[str] | None:
    """`--team a --team b` and `--team a,b` alike; None when the option was not given."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _joined(values: Any) -> str:
    return ", ".join(values) or "-"


# -- bot agents ------------------------------------------------------------------------------

@agents_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Username (case-insensitive).")],
    role: Annotated[str, typer.Option(help="agent, supervisor or admin.")] = "agent",
    team: Annotated[list[str] | None, typer.Option(help="A team (repeat, or a,b).")] = None,
    skills: Annotated[str, typer.Option(help="Skills, comma-separated.")] = "",
    languages: Annotated[str, typer.Option(help="Language codes, comma-separated (de,en).")] = "",
    capacity: Annotated[int | None, typer.Option(help="Concurrent conversations (default from handover.yml).")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name customers and colleagues see.")] = None,
    no_password: Annotated[bool, typer.Option("--no-password", help="An account for API tokens only.")] = False,
    endpoints: Endpoints = _ENDPOINTS,
    handover: HandoverFile = _HANDOVER,
) -> None:
    """Create an agent. The password is asked for (or read from stdin), never taken from the command line."""
    from handover.config import load_handover_config

    password = None if no_password else _read_password()

    async def work(directory: Any) -> Any:
        default_capacity = load_handover_config(handover).routing.default_capacity
        return await directory.create_agent(name, password, role=role, teams=_split(team) or [], skills=skills,
                                            languages=languages, display_name=display_name,
                                            capacity=default_capacity if capacity is None else capacity)

    agent = _run(endpoints, handover, work)
    _out().print(f"Created {agent.role} '{agent.username}' (teams: {_joined(agent.teams)}; "
                 f"languages: {_joined(agent.languages)}; capacity {agent.capacity}).")


@agents_app.command("list")
def list_agents(endpoints: Endpoints = _ENDPOINTS, handover: HandoverFile = _HANDOVER) -> None:
    """Every agent with role, teams, skills, languages, status and load (assigned conversations / capacity)."""
    from handover.status import agent_loads

    async def work(directory: Any) -> Any:
        return await directory.list_agents(), await agent_loads(directory.tracker_store)

    agents, loads = _run(endpoints, handover, work)
    if not agents:
        _out().print("No agents yet. Create one with `bot agents create NAME --role agent --team TEAM`.")
        return
    table = Table("username", "name", "role", "teams", "skills", "languages", "status", "load")
    for agent in agents:
        status = "disabled" if agent.disabled else agent.status
        table.add_row(agent.username, agent.display_name, agent.role, _joined(agent.teams), _joined(agent.skills),
                      _joined(agent.languages), status, f"{loads.get(agent.username, 0)}/{agent.capacity}")
    _out().print(table)


@agents_app.command("set")
def set_agent(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[str | None, typer.Option(help="agent, supervisor or admin.")] = None,
    team: Annotated[list[str] | None, typer.Option(help="Teams (repeat, or a,b); replaces the old ones.")] = None,
    skills: Annotated[str | None, typer.Option(help="Skills, comma-separated; replaces the old ones.")] = None,
    languages: Annotated[str | None, typer.Option(help="Language codes; replace the old ones.")] = None,
    capacity: Annotated[int | None, typer.Option(help="Concurrent conversations.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name customers and colleagues see.")] = None,
    endpoints: Endpoints = _ENDPOINTS,
    handover: HandoverFile = _HANDOVER,
) -> None:
    """Change an agent's role, teams, skills, languages, capacity or name (what is not given stays)."""
    if all(value is None for value in (role, team, skills, languages, capacity, display_name)):
        from bot.cli.main import _fail

        _fail(BotError("nothing to change", hint="give --role, --team, --skills, --languages, --capacity "
                                                 "or --display-name"))

    async def work(directory: Any) -> Any:
        return await directory.update_agent(name, role=role, teams=_split(team), skills=skills, languages=languages,
                                            capacity=capacity, display_name=display_name)

    agent = _run(endpoints, handover, work)
    _out().print(f"'{agent.username}': {agent.role}; teams {_joined(agent.teams)}; skills {_joined(agent.skills)}; "
                 f"languages {_joined(agent.languages)}; capacity {agent.capacity}.")


@agents_app.command("password")
def password(name: Annotated[str, typer.Argument(help="Username.")], endpoints: Endpoints = _ENDPOINTS,
             handover: HandoverFile = _HANDOVER) -> None:
    """Set a new password (asked for, or read from stdin); the agent's sessions end."""
    new_password = _read_password()

    async def work(directory: Any) -> None:
        await directory.set_password(name, new_password)

    _run(endpoints, handover, work)
    _out().print(f"New password set for '{name}'; their open sessions have ended.")


@agents_app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="Username.")], endpoints: Endpoints = _ENDPOINTS,
            handover: HandoverFile = _HANDOVER) -> None:
    """Stop an agent from logging in or using tokens; ends their sessions and sets them offline."""
    agent = _run(endpoints, handover, lambda directory: directory.disable(name))
    _out().print(f"Disabled '{agent.username}'. `bot agents enable {agent.username}` undoes it.")


@agents_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="Username.")], endpoints: Endpoints = _ENDPOINTS,
           handover: HandoverFile = _HANDOVER) -> None:
    """Let a disabled agent log in again."""
    agent = _run(endpoints, handover, lambda directory: directory.enable(name))
    _out().print(f"Enabled '{agent.username}'.")


@agents_app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="Username.")],
    label: Annotated[str | None, typer.Option(help="What the token is for (e.g. the helpdesk's name).")] = None,
    endpoints: Endpoints = _ENDPOINTS,
    handover: HandoverFile = _HANDOVER,
) -> None:
    """Print a new API token for the agent (Authorization: Bearer ...). It is shown only this once."""
    new_token = _run(endpoints, handover, lambda directory: directory.issue_token(name, label))
    Console(stderr=True).print("Store this token now; it cannot be shown again. "
                               f"`bot agents revoke {name}` revokes it.", highlight=False)
    typer.echo(new_token)


@agents_app.command("tokens")
def tokens(name: Annotated[str, typer.Argument(help="Username.")], endpoints: Endpoints = _ENDPOINTS,
           handover: HandoverFile = _HANDOVER) -> None:
    """List the agent's API tokens: label, when made, when last used, revoked (never the tokens)."""
    import datetime as dt

    found = _run(endpoints, handover, lambda directory: directory.list_tokens(name))
    if not found:
        _out().print(f"'{name}' has no tokens. `bot agents token {name}` makes one.")
        return

    def when(timestamp: float | None) -> str:
        return "-" if timestamp is None else dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")

    table = Table("label", "created", "last used", "state")
    for info in found:
        table.add_row(info.label or "-", when(info.created_at), when(info.last_used_at),
                      "revoked" if info.revoked else "active")
    _out().print(table)


@agents_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="Username.")],
    label: Annotated[str | None, typer.Option(help="Only the tokens with this label.")] = None,
    endpoints: Endpoints = _ENDPOINTS,
    handover: HandoverFile = _HANDOVER,
) -> None:
    """Revoke the agent's API tokens (all, or those with --label)."""
    count = _run(endpoints, handover, lambda directory: directory.revoke_tokens(name, label))
    _out().print(f"Revoked {count} token{'s' if count != 1 else ''} of '{name}'.")


# -- bot teams, bot handover status -------------------------------------------------------------

@teams_app.command("list")
def list_teams(endpoints: Endpoints = _ENDPOINTS, handover: HandoverFile = _HANDOVER) -> None:
    """Teams with their languages, skills, whether they are open now, SLA policy and agents (online / all)."""
    from handover.config_store import list_teams as stored_teams

    async def work(directory: Any) -> Any:
        return await stored_teams(directory.tracker_store), await directory.list_agents(include_disabled=False)

    teams, agents = _run(endpoints, handover, work)
    if not teams:
        _out().print(f"No teams. Define them in {handover} (see docs/operator.md, \"handover.yml\").")
        return
    table = Table("team", "name", "languages", "skills", "hours", "SLA policy", "agents online")
    for team in teams:
        members = [agent for agent in agents if team.name in agent.teams]
        online = sum(agent.status == "online" for agent in members)
        hours = _open_now(team.business_hours)
        table.add_row(team.name, team.display_name, _joined(team.languages), _joined(team.skills), hours,
                      team.sla_policy or "-", f"{online}/{len(members)}")
    _out().print(table)


@handover_app.command("status")
def status(endpoints: Endpoints = _ENDPOINTS, handover: HandoverFile = _HANDOVER) -> None:
    """Queues per team (waiting, offered, with agents, longest wait) and agents with status and load."""
    from handover.status import agent_loads, queue_summary

    async def work(directory: Any) -> Any:
        store = directory.tracker_store
        return await queue_summary(store, time.time()), await directory.list_agents(), await agent_loads(store)

    queues, agents, loads = _run(endpoints, handover, work)
    out = _out()
    table = Table("team", "waiting", "offered", "with agents", "longest wait", title="Queues")
    for queue in queues:
        table.add_row(queue.team or "(no team)", str(queue.queued), str(queue.offered), str(queue.assigned),
                      _duration(queue.longest_wait_seconds))
    out.print(table if queues else "Queues: nobody waits and no conversation is with an agent.")
    table = Table("agent", "status", "load", "teams", title="Agents")
    for agent in agents:
        if not agent.disabled:
            table.add_row(agent.username, agent.status, f"{loads.get(agent.username, 0)}/{agent.capacity}",
                          _joined(agent.teams))
    out.print(table if table.row_count else "Agents: none. Create one with `bot agents create NAME`.")


@handover_app.command("export")
def export(endpoints: Endpoints = _ENDPOINTS, handover: HandoverFile = _HANDOVER,
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="Write here (e.g. handover.yml) instead of printing.")] = None) -> None:
    """handover.yml with the teams, SLA policies and canned replies the database holds (edits made over the API).

    The file's other sections (routing, triggers) and comments are kept; the three sections are replaced.
    """
    import io

    from ruamel.yaml import YAML

    from handover.config_edits import export_config

    async def work(directory: Any) -> Any:
        return await directory.tracker_store.run_in_transaction(export_config, write=False)

    stored = _run(endpoints, handover, work)
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = (yaml.load(handover.read_text(encoding="utf-8")) if handover.exists() else None) or {}
    if "version" not in document:
        document["version"] = "3.1"
    for section in ("teams", "sla_policies", "canned_replies"):
        document[section] = stored[section]
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    if output is None:
        sys.stdout.write(buffer.getvalue())
        return
    output.write_text(buffer.getvalue(), encoding="utf-8")
    _out().print(f"Wrote {len(stored['teams'])} teams, {len(stored['sla_policies'])} SLA policies and "
                 f"{len(stored['canned_replies'])} canned replies to {output}.")


def _open_now(business_hours: dict[str, Any] | None) -> str:
    """"open (Europe/Berlin)", "closed until Mon 08:00 (Europe/Berlin)" or "always open"."""
    import datetime as dt

    from handover.hours import BusinessHours

    if not business_hours:
        return "always open"
    hours = BusinessHours.from_dict(business_hours)
    now = dt.datetime.now(dt.UTC)
    if hours.is_open(now):
        return f"open ({hours.timezone})"
    opening = hours.next_opening(now)
    when = opening.strftime("%a %Y-%m-%d %H:%M") if opening is not None else "further notice"
    return f"closed until {when} ({hours.timezone})"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(max(seconds, 0))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
