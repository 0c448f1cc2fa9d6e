"""Tracker store in SQL through SQLAlchemy's async engine: SQLite (aiosqlite) or PostgreSQL (asyncpg).

Every event is one row of `events`, numbered per conversation by `seq`. The conversation's row
in `conversations` keeps the highest seq handed out (`last_seq`) and the seq of its latest
`session_started` event, so loading a conversation reads an index range from there on and
costs the same on message 10 and on message 10,000.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.shared.errors import MissingDependency
from bot.stores.migrations import upgrade_to_head
from bot.stores.tracker_store import serialise_event

logger = logging.getLogger(__name__)

_metadata = sa.MetaData()
conversations = sa.Table(
    "conversations",
    _metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_event_at", sa.Float, nullable=False),
    sa.Column("session_start_seq", sa.Integer, nullable=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)
events = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type_name", sa.String(64), nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("intent_name", sa.String(255), nullable=True),
    sa.Column("action_name", sa.String(255), nullable=True),
    sa.Column("data", sa.Text, nullable=False),
)

# Connection option read by the SQLite "begin" hook: appends take the write lock up front.
_SQLITE_BEGIN = "bot_sqlite_begin"
# Any fixed number: the PostgreSQL advisory lock that serialises concurrent migrations.
_MIGRATION_LOCK_ID = 7_271_845_301


class SQLTrackerStore:
    """Append-only event log per conversation in an SQL database (see the module docstring)."""

    def __init__(
        self,
        url: str | URL,
        *,
        login_db: str | None = None,
        schema: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        """`url` is an async SQLAlchemy URL; `login_db` (PostgreSQL) is used to create the database
        if it is missing, as Rasa does; `schema` (PostgreSQL) keeps the tables in that schema."""
        self.url = make_url(url) if isinstance(url, str) else url
        self.login_db = login_db
        self.schema = schema
        self._engine_options = dict(engine_options or {})
        self._engine: AsyncEngine | None = None
        self._opening = asyncio.Lock()

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.url.get_backend_name()

    # -- opening -------------------------------------------------------------------------

    async def _ready(self) -> AsyncEngine:
        if self._engine is not None:
            return self._engine
        async with self._opening:
            if self._engine is None:
                try:
                    self._engine = await self._open()
                except (OSError, DBAPIError) as error:
                    raise MissingDependency(
                        f"Cannot open the tracker store database {self.url.render_as_string()}: {error}",
                        hint="Check that the database server runs and endpoints.yml's tracker_store is right.",
                    ) from error
        return self._engine

    async def _open(self) -> AsyncEngine:
        options: dict[str, Any] = dict(self._engine_options)
        if self.dialect == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Waiting writers (other processes) retry for up to 30 s instead of failing at once.
            options.setdefault("connect_args", {"timeout": 30})
        else:
            if self.login_db:
                await self._create_database_if_missing()
            if self.schema:
                await self._create_schema_if_missing()
                options.setdefault("connect_args", {"server_settings": {"search_path": self.schema}})
        engine = create_async_engine(self.url, **options)
        if self.dialect == "sqlite":
            _install_sqlite_hooks(engine)
        await self._migrate(engine)
        return engine

    async def _create_database_if_missing(self) -> None:
        admin = create_async_engine(self.url.set(database=self.login_db), isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_ID)))
                found = await conn.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": self.url.database}
                )
                if not found:
                    quoted = conn.dialect.identifier_preparer.quote(self.url.database)
                    await conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                    logger.info("Created the tracker store database %s.", self.url.database)
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_ID)))
        finally:
            await admin.dispose()

    async def _create_schema_if_missing(self) -> None:
        admin = create_async_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                quoted = conn.dialect.identifier_preparer.quote(self.schema)
                # CREATE SCHEMA IF NOT EXISTS races when several processes start at once (PostgreSQL
                # raises a unique violation); the advisory lock lets one create it, the rest see it.
                await conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_ID)))
                try:
                    await conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
                finally:
                    await conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_ID)))
        finally:
            await admin.dispose()

    async def _migrate(self, engine: AsyncEngine) -> None:
        async with _WriteTransaction(engine) as conn:
            if self.dialect == "postgresql":
                # Several processes may start at once; only one may create the tables.
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
            await conn.run_sync(upgrade_to_head)

    # -- the TrackerStore protocol -------------------------------------------------------

    async def append_events(self, sender_id: str, new_events: Sequence[Mapping[str, Any]]) -> None:
        """Appends events in one transaction; seq numbers are allocated under the conversation's row lock."""
        if not new_events:
            return
        rows = [_row_for(sender_id, item) for item in new_events]
        last_session = max((i for i, row in enumerate(rows) if row["type_name"] == "session_started"), default=None)
        now = time.time()
        engine = await self._ready()
        async with _WriteTransaction(engine) as conn:
            await conn.execute(
                self._insert_ignore(conversations).values(
                    sender_id=sender_id, created=now, last_event_at=now, session_start_seq=None, last_seq=0
                )
            )
            values: dict[str, Any] = {
                "last_seq": conversations.c.last_seq + len(rows),
                "last_event_at": max(now, *(row["timestamp"] for row in rows)),
            }
            if last_session is not None:
                # The right-hand side sees the old last_seq, so this is the new event's seq.
                values["session_start_seq"] = conversations.c.last_seq + last_session + 1
            # UPDATE takes the row lock (PostgreSQL) / runs under BEGIN IMMEDIATE (SQLite):
            # a concurrent appender waits here, then sees our last_seq.
            new_last = await conn.scalar(
                sa.update(conversations)
                .where(conversations.c.sender_id == sender_id)
                .values(**values)
                .returning(conversations.c.last_seq)
            )
            first = new_last - len(rows) + 1
            for offset, row in enumerate(rows):
                row["seq"] = first + offset
            await conn.execute(sa.insert(events), rows)

    async def get_events(self, sender_id: str, *, since_last_session_start: bool = True) -> list[dict[str, Any]]:
        """The conversation's event dicts in order; from its latest session start unless told otherwise."""
        engine = await self._ready()
        query = sa.select(events.c.data).where(events.c.sender_id == sender_id).order_by(events.c.seq)
        if since_last_session_start:
            start = (
                sa.select(sa.func.coalesce(conversations.c.session_start_seq, 0))
                .where(conversations.c.sender_id == sender_id)
                .scalar_subquery()
            )
            query = query.where(events.c.seq >= sa.func.coalesce(start, 0))
        async with engine.connect() as conn:
            result = await conn.execute(query)
            return [json.loads(data) for (data,) in result]

    async def conversation_ids(self) -> list[str]:
        """Sender ids, most recently active first."""
        engine = await self._ready()
        async with engine.connect() as conn:
            result = await conn.execute(
                sa.select(conversations.c.sender_id).order_by(conversations.c.last_event_at.desc())
            )
            return [sender for (sender,) in result]

    async def count_conversations(self) -> int:
        """How many conversations are stored."""
        engine = await self._ready()
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(conversations)) or 0)

    async def close(self) -> None:
        """Disposes of the connection pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def _insert_ignore(self, table: sa.Table) -> Any:
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing(index_elements=["sender_id"])


class _WriteTransaction:
    """`async with` a connection in a transaction that writes (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._transaction: Any = None

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._engine.connect()
        await self._conn.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        self._transaction = self._conn.begin()
        await self._transaction.__aenter__()
        return self._conn

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self._transaction.__aexit__(*exc_info)
        finally:
            assert self._conn is not None
            await self._conn.close()


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    """Lets SQLAlchemy, not the sqlite3 module, issue BEGIN, so writers can say IMMEDIATE."""

    @sa_event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers keep reading while one process appends.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa_event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _row_for(sender_id: str, item: Any) -> dict[str, Any]:
    data, text = serialise_event(sender_id, item)
    type_name = data["event"]
    intent_name = action_name = None
    if type_name == "user":
        intent_name = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
    elif type_name == "action":
        action_name = data.get("name")
    return {
        "sender_id": sender_id,
        "type_name": type_name,
        "timestamp": float(data["timestamp"]),
        "intent_name": intent_name,
        "action_name": action_name,
        "data": text,
    }
