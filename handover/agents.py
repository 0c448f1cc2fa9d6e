"""Agents: accounts, roles, presence and passwords, in the tracker store's database.

`AgentDirectory` is what `bot agents` and the /handover/ API use. Every method is async and runs
its SQL in one transaction through `SQLTrackerStore.run_in_transaction`; password hashing runs in
a worker thread, outside any transaction, because it takes tens of milliseconds on purpose.
Tokens and sessions (how an agent proves who they are on each request) are in
`handover.credentials`; the directory exposes them too, so callers hold one object.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from handover import credentials, tables
from handover.agent_model import (
    MAX_CAPACITY,
    ROLES,
    STATUSES,
    USERNAME_PATTERN,
    Agent,
    AgentError,
    AgentExists,
    InvalidAgentInput,
    UnknownAgent,
    agent_from_row,
    has_role,
    normalise_username,
)
from handover.config import parse_languages, parse_names
from handover.config_store import live_team_names
from handover.credentials import AgentSession, TokenInfo, sha256_hex
from handover.login_limits import LoginRateLimiter
from handover.passwords import PasswordHasher, password_problem

__all__ = [
    "ROLES", "STATUSES", "Agent", "AgentDirectory", "AgentError", "AgentExists", "AgentSession",
    "InvalidAgentInput", "LoginRateLimiter", "TokenInfo", "UnknownAgent", "has_role", "normalise_username",
]

# Using a token or session writes its "last used" time at most this often (one write a minute, not
# one a request); the idle expiry moves on with the same step, which is nothing against 12 hours.
_TOUCH_EVERY_SECONDS = 60.0


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise InvalidAgentInput(f"'{username}' is not a valid username",
                                hint="use 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidAgentInput(f"unknown role '{role}'", hint=f"use one of: {', '.join(ROLES)}")
    return role


def _check_capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidAgentInput(f"capacity {capacity!r} is out of range",
                                hint=f"give a whole number from 0 (offers none) to {MAX_CAPACITY}")
    return capacity


def _check_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise InvalidAgentInput(problem, hint="choose a longer password (a few unrelated words work well)")
    return password


def _names_or_error(value: Sequence[str] | str | None, what: str) -> list[str]:
    try:
        return parse_languages(value) if what == "languages" else parse_names(value, what)
    except ValueError as error:
        raise InvalidAgentInput(str(error)) from None


class AgentDirectory:
    """Agents, their passwords, tokens and sessions, over the tracker store's database.

    `clock` gives "now" in seconds (tests pass their own); `hasher` the password parameters;
    sessions end after `session_idle_seconds` without use and `session_absolute_seconds` after login.
    """

    def __init__(
        self,
        tracker_store: Any,
        *,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
        session_idle_seconds: float = 12 * 3600,
        session_absolute_seconds: float = 7 * 24 * 3600,
    ) -> None:
        self.tracker_store = tracker_store
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.session_idle_seconds = session_idle_seconds
        self.session_absolute_seconds = session_absolute_seconds
        self._hash_slots: asyncio.Semaphore | None = None

    async def _transaction(self, work: Callable[..., Any], *args: Any, write: bool = True) -> Any:
        return await self.tracker_store.run_in_transaction(work, *args, write=write)

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        # Each Argon2 call takes 64 MiB and a core for a moment; a burst of logins must not take them all.
        if self._hash_slots is None:
            self._hash_slots = asyncio.Semaphore(2)
        async with self._hash_slots:
            return await asyncio.to_thread(function, *args)

    # -- accounts ------------------------------------------------------------------------

    async def create_agent(
        self,
        username: str,
        password: str | None,
        role: str = "agent",
        teams: Sequence[str] | str = (),
        skills: Sequence[str] | str = (),
        languages: Sequence[str] | str = (),
        capacity: int = 3,
        display_name: str | None = None,
    ) -> Agent:
        """Adds an agent (offline). `password` None makes an account that only tokens can use."""
        name = _check_username(username)
        values = {
            "username": name, "display_name": (display_name or "").strip() or None, "role": _check_role(role),
            "teams": _names_or_error(teams, "teams"), "skills": _names_or_error(skills, "skills"),
            "languages": _names_or_error(languages, "languages"), "capacity": _check_capacity(capacity),
        }
        password_hash = None
        if password is not None:
            password_hash = await self._in_thread(self.hasher.hash, _check_password(password))
        try:
            return await self._transaction(_insert_agent, values, password_hash, self.clock())
        except IntegrityError:
            raise AgentExists(f"an agent named '{name}' exists already",
                              hint=f"choose another name, or change '{name}' with `bot agents set`") from None

    async def get_agent(self, username: str) -> Agent:
        """The agent with that username (disabled ones too); UnknownAgent if there is none."""
        return await self._transaction(_get_agent, normalise_username(username), write=False)

    async def find_agent(self, username: str) -> Agent | None:
        """The agent with that username, or None."""
        try:
            return await self.get_agent(username)
        except UnknownAgent:
            return None

    async def list_agents(self, *, include_disabled: bool = True) -> list[Agent]:
        """Every agent, by username."""
        return await self._transaction(_list_agents, include_disabled, write=False)

    async def update_agent(
        self,
        username: str,
        *,
        role: str | None = None,
        teams: Sequence[str] | str | None = None,
        skills: Sequence[str] | str | None = None,
        languages: Sequence[str] | str | None = None,
        capacity: int | None = None,
        display_name: str | None = None,
    ) -> Agent:
        """Changes what is given (None leaves a field as it is) and returns the agent as stored now."""
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = _check_role(role)
        for field, value in (("teams", teams), ("skills", skills), ("languages", languages)):
            if value is not None:
                changes[field] = _names_or_error(value, field)
        if capacity is not None:
            changes["capacity"] = _check_capacity(capacity)
        if display_name is not None:
            changes["display_name"] = display_name.strip() or None
        return await self._transaction(_update_agent, normalise_username(username), changes)

    async def set_password(self, username: str, password: str) -> None:
        """Replaces the agent's password and ends their sessions (tokens stay valid)."""
        password_hash = await self._in_thread(self.hasher.hash, _check_password(password))
        await self._transaction(_set_password, normalise_username(username), password_hash, True)

    async def disable(self, username: str) -> Agent:
        """Stops the agent from logging in or using tokens, ends their sessions, sets them offline."""
        return await self._transaction(_set_disabled, normalise_username(username), True, self.clock())

    async def enable(self, username: str) -> Agent:
        """Lets a disabled agent log in again (their old tokens work again too, unless revoked)."""
        return await self._transaction(_set_disabled, normalise_username(username), False, self.clock())

    async def set_status(self, username: str, status: str) -> Agent:
        """online, away or offline; `status_changed_at` is set when the status changes."""
        if status not in STATUSES:
            raise InvalidAgentInput(f"unknown status '{status}'", hint=f"use one of: {', '.join(STATUSES)}")
        return await self._transaction(_set_status, normalise_username(username), status, self.clock())

    # -- passwords -----------------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> Agent | None:
        """The agent when the password is theirs and they are not disabled, else None.

        An unknown username costs the same hashing time as a wrong password, so the answer's
        timing does not reveal which usernames exist. A hash made with older parameters is
        replaced after a successful check.
        """
        row = await self._transaction(_password_row, normalise_username(username), write=False)
        stored = row["password_hash"] if row is not None else None
        if not await self._in_thread(self.hasher.verify, stored, password):
            return None
        if row is None or row["disabled"]:
            return None
        if self.hasher.needs_rehash(stored):
            new_hash = await self._in_thread(self.hasher.hash, password)
            await self._transaction(_set_password, row["username"], new_hash, False)
        return agent_from_row(row)

    # -- tokens and sessions (statements in handover.credentials) ---------------------------

    async def issue_token(self, username: str, label: str | None = None) -> str:
        """A new API token for the agent; only its SHA-256 is stored, so it is shown this once."""
        return await self._transaction(credentials.issue_token, normalise_username(username),
                                       (label or "").strip() or None, self.clock())

    async def agent_for_token(self, token: str) -> Agent | None:
        """The agent a token belongs to; None for an unknown or revoked token or a disabled agent."""
        if not token or len(token) > 256:
            return None
        token_hash = sha256_hex(token)
        found = await self._transaction(credentials.token_agent, token_hash, write=False)
        if found is None:
            return None
        agent, last_used_at = found
        now = self.clock()
        if last_used_at is None or now - last_used_at >= _TOUCH_EVERY_SECONDS:
            await self._transaction(credentials.touch_token, token_hash, agent.id, now)
        return agent

    async def list_tokens(self, username: str) -> list[TokenInfo]:
        """The agent's tokens (label, dates, revoked), newest first; never the tokens themselves."""
        return await self._transaction(credentials.list_tokens, normalise_username(username), write=False)

    async def revoke_token(self, token: str) -> bool:
        """Revokes one token; False if it was not known or already revoked."""
        return await self._transaction(credentials.revoke_token, sha256_hex(token))

    async def revoke_tokens(self, username: str, label: str | None = None) -> int:
        """Revokes the agent's tokens (only those with `label` when given); returns how many."""
        return await self._transaction(credentials.revoke_tokens, normalise_username(username), label)

    async def create_session(self, agent: Agent) -> tuple[str, str]:
        """A login session: (session id for the cookie, CSRF token for the page). Only the id's hash is stored."""
        session_id, csrf_token = credentials.new_secret(), credentials.new_secret()
        now = self.clock()
        expires_at = now + min(self.session_idle_seconds, self.session_absolute_seconds)
        await self._transaction(credentials.insert_session, sha256_hex(session_id), agent.id, csrf_token, now, expires_at)
        return session_id, csrf_token

    async def session(self, session_id: str) -> AgentSession | None:
        """The live session (agent, csrf_token, created_at, expires_at) or None.

        None when it is unknown, ended, expired (then it is deleted) or its agent is disabled.
        Using a session moves its idle expiry on (at most once a minute, to spare writes), never
        beyond `session_absolute_seconds` after login.
        """
        if not session_id or len(session_id) > 256:
            return None
        session_hash = sha256_hex(session_id)
        found = await self._transaction(credentials.session_row, session_hash, write=False)
        if found is None:
            return None
        now = self.clock()
        if now >= found.expires_at or found.agent.disabled:
            await self._transaction(credentials.delete_session, session_hash)
            return None
        if now - found.last_seen_at >= _TOUCH_EVERY_SECONDS:
            expires_at = min(now + self.session_idle_seconds, found.created_at + self.session_absolute_seconds)
            await self._transaction(credentials.touch_session, session_hash, found.agent.id, now, expires_at)
            found = credentials.AgentSession(found.agent, found.csrf_token, found.created_at, expires_at, now)
        return found

    async def agent_for_session(self, session_id: str) -> Agent | None:
        """The agent of a live session, or None (expired, ended, unknown, agent disabled)."""
        found = await self.session(session_id)
        return found.agent if found is not None else None

    async def end_session(self, session_id: str) -> None:
        """Logs the session out (nothing happens for an unknown one)."""
        await self._transaction(credentials.delete_session, sha256_hex(session_id))

    async def purge_expired_sessions(self) -> int:
        """Deletes expired sessions; returns how many."""
        return await self._transaction(credentials.purge_expired_sessions, self.clock())


# -- the statements (synchronous: they run inside run_in_transaction) ----------------------------

def _known_teams_check(conn: Connection, teams: list[str]) -> None:
    """Teams must exist once any team is defined (handover.yml or the console)."""
    known = live_team_names(conn)
    for team in teams:
        if known and team not in known:
            close = difflib.get_close_matches(team, sorted(known), n=1)
            raise InvalidAgentInput(f"unknown team '{team}'", hint=f"did you mean '{close[0]}'?" if close else
                                    f"use one of: {', '.join(sorted(known))} (teams are defined in handover.yml)")


def _insert_agent(conn: Connection, values: dict[str, Any], password_hash: str | None, now: float) -> Agent:
    _known_teams_check(conn, values["teams"])
    row = {**values, **{key: json.dumps(values[key]) for key in ("teams", "skills", "languages")},
           "password_hash": password_hash, "status": "offline", "status_changed_at": now, "disabled": False,
           "created_at": now}
    conn.execute(sa.insert(tables.agents).values(**row))
    return _get_agent(conn, values["username"])


def _row(conn: Connection, username: str) -> RowMapping:
    row = conn.execute(sa.select(tables.agents).where(tables.agents.c.username == username)).mappings().first()
    if row is None:
        raise UnknownAgent(f"no agent named '{username}'", hint="`bot agents list` shows the agents")
    return row


def _get_agent(conn: Connection, username: str) -> Agent:
    return agent_from_row(_row(conn, username))


def _list_agents(conn: Connection, include_disabled: bool) -> list[Agent]:
    query = sa.select(tables.agents).order_by(tables.agents.c.username)
    if not include_disabled:
        query = query.where(tables.agents.c.disabled == sa.false())
    return [agent_from_row(row) for row in conn.execute(query).mappings()]


def _update_agent(conn: Connection, username: str, changes: dict[str, Any]) -> Agent:
    _row(conn, username)
    if "teams" in changes:
        _known_teams_check(conn, changes["teams"])
    values = {key: json.dumps(value) if key in ("teams", "skills", "languages") else value
              for key, value in changes.items()}
    if values:
        conn.execute(sa.update(tables.agents).where(tables.agents.c.username == username).values(**values))
    return _get_agent(conn, username)


def _password_row(conn: Connection, username: str) -> RowMapping | None:
    return conn.execute(sa.select(tables.agents).where(tables.agents.c.username == username)).mappings().first()


def _set_password(conn: Connection, username: str, password_hash: str, end_sessions: bool) -> None:
    agent_id = _row(conn, username)["id"]
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == agent_id).values(password_hash=password_hash))
    if end_sessions:
        conn.execute(sa.delete(tables.sessions).where(tables.sessions.c.agent_id == agent_id))


def _set_disabled(conn: Connection, username: str, disabled: bool, now: float) -> Agent:
    row = _row(conn, username)
    values: dict[str, Any] = {"disabled": disabled}
    if disabled:
        values.update(status="offline", status_changed_at=now if row["status"] != "offline" else row["status_changed_at"])
        conn.execute(sa.delete(tables.sessions).where(tables.sessions.c.agent_id == row["id"]))
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == row["id"]).values(**values))
    return _get_agent(conn, username)


def _set_status(conn: Connection, username: str, status: str, now: float) -> Agent:
    row = _row(conn, username)
    if row["disabled"] and status != "offline":
        raise InvalidAgentInput(f"agent '{username}' is disabled and cannot go {status}",
                                hint=f"an admin enables the account again with `bot agents enable {username}`")
    values: dict[str, Any] = {"status": status, "last_seen_at": now}
    if row["status"] != status:
        values["status_changed_at"] = now
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == row["id"]).values(**values))
    return _get_agent(conn, username)
