"""Tracker store in SQL through SQLAlchemy: an SQLite file or PostgreSQL (asyncpg).

Every event is one row of `events`, numbered per conversation by `seq`. The conversation's row
in `conversations` keeps the highest seq handed out (`last_seq`) and the seq of its latest
`session_started` event, so loading a conversation reads an index range from there on and
costs the same on message 10 and on message 10,000.

The statements are written once, against a synchronous connection. PostgreSQL runs them on
SQLAlchemy's async engine (`run_sync`), except the append and the read of every message, which
go straight through an asyncpg pool (`postgres_events`: ~0.3 ms instead of ~2 ms), so the
SQLAlchemy append and read below serve SQLite only. SQLite runs them whole in one worker thread
of the store, because an async SQLite driver hops threads for every statement: an append cost
~2.5 ms that way against ~0.2 ms in one hop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from bot.shared.errors import ConcurrentAppend, InvalidEndpoints, MissingDependency
from bot.stores.migrations import upgrade_to_head
from bot.stores.postgres_events import PostgresEventLog
from bot.stores.tracker_store import serialise_event

if TYPE_CHECKING:  # the asyncio extension (~0.2 s to import) is only loaded for PostgreSQL
    from sqlalchemy.ext.asyncio import AsyncEngine

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
    # events above it are waiting for the event broker (the outbox, see bot/brokers/outbox.py)
    sa.Column("published_seq", sa.Integer, nullable=False, server_default="0"),
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
_NO_SEQ_ABOVE = 2**31 - 1  # reads no events, only the conversation's last seq

T = TypeVar("T")


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
        """`url` is an SQLAlchemy URL (an async driver for PostgreSQL; any SQLite driver name);
        `login_db` (PostgreSQL) is used to create the database if it is missing, as Rasa does;
        `schema` (PostgreSQL) keeps the tables in that schema."""
        self.url = make_url(url) if isinstance(url, str) else url
        self.login_db = login_db
        self.schema = schema
        self._engine_options = dict(engine_options or {})
        self._engine: AsyncEngine | Engine | None = None
        self._thread: ThreadPoolExecutor | None = None  # SQLite: the one thread that touches the file
        self._postgres: PostgresEventLog | None = None  # PostgreSQL: appends and reads through asyncpg
        self._opening = asyncio.Lock()

    @classmethod
    def from_endpoint(cls, config: Mapping[str, Any], *, location: str | None = None,
                      base_dir: Path = Path(".")) -> SQLTrackerStore:
        """From endpoints.yml's `tracker_store:` (Rasa's SQL keys); `type: in_memory` is the embedded
        SQLite file under `base_dir`, so nothing is lost on restart."""
        from bot.stores.tracker_store import DEFAULT_SQLITE_PATH, sql_url_from_endpoint, sqlite_url

        if str(config.get("type") or "in_memory").strip().lower() != "sql":
            return cls(sqlite_url(base_dir / DEFAULT_SQLITE_PATH))
        url = sql_url_from_endpoint(config, base_dir, location=location)
        return cls(url, login_db=config.get("login_db"), schema=config.get("schema"),
                   engine_options=pool_options(config, location=location))

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.url.get_backend_name()

    @property
    def engine(self) -> AsyncEngine | Engine | None:
        """The open engine (sync for SQLite, async for PostgreSQL); None before first use."""
        return self._engine

    # -- opening -------------------------------------------------------------------------

    async def _ready(self) -> AsyncEngine | Engine:
        if self._engine is not None:
            return self._engine
        async with self._opening:
            if self._engine is None:
                try:
                    self._engine = await (self._open_sqlite() if self.dialect == "sqlite" else self._open_postgres())
                except (OSError, DBAPIError) as error:
                    raise MissingDependency(
                        f"Cannot open the tracker store database {self.url.render_as_string()}: {error}",
                        hint="Check that the database server runs and endpoints.yml's tracker_store is right.",
                    ) from error
        return self._engine

    async def _open_sqlite(self) -> Engine:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = dict(self._engine_options)
        # Waiting writers (other processes) retry for up to 30 s instead of failing at once;
        # the worker thread is the only user of its connections.
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(self.url.set(drivername="sqlite"), **options)
        _install_sqlite_hooks(engine)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-store")
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._thread, _in_transaction, engine, upgrade_to_head, (), True)
        except BaseException:
            engine.dispose()
            self._thread.shutdown(wait=False)
            self._thread = None
            raise
        return engine

    async def _open_postgres(self) -> AsyncEngine:
        from sqlalchemy.ext.asyncio import create_async_engine

        options: dict[str, Any] = dict(self._engine_options)
        if self.login_db:
            await self._create_database_if_missing()
        if self.schema:
            await self._create_schema_if_missing()
            options.setdefault("connect_args", {"server_settings": {"search_path": self.schema}})
        engine = create_async_engine(self.url, **options)
        async with engine.begin() as conn:
            # Several processes may start at once; only one may create the tables.
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
            await conn.run_sync(upgrade_to_head)
        pool_size = int(options.get("pool_size", DEFAULT_POOL["pool_size"])) + int(
            options.get("max_overflow", DEFAULT_POOL["max_overflow"]))
        self._postgres = await PostgresEventLog.open(self.url, self.schema, max_size=max(pool_size, 1))
        return engine

    async def _create_database_if_missing(self) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(self.url.set(database=self.login_db), isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_ID)))
                found = await conn.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": self.url.database}
                )
                if not found:
                    quoted = conn.dialect.identifier_preparer.quote(str(self.url.database))
                    await conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                    logger.info("Created the tracker store database %s.", self.url.database)
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_ID)))
        finally:
            await admin.dispose()

    async def _create_schema_if_missing(self) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                quoted = conn.dialect.identifier_preparer.quote(str(self.schema))
                # CREATE SCHEMA IF NOT EXISTS races when several processes start at once (PostgreSQL
                # raises a unique violation); the advisory lock lets one create it, the rest see it.
                await conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_ID)))
                try:
                    await conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
                finally:
                    await conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_ID)))
        finally:
            await admin.dispose()

    async def _run(self, work: Callable[..., T], *args: Any, write: bool = False) -> T:
        """Runs `work(connection, *args)` in one transaction (a write one takes the write lock first)."""
        engine = await self._ready()
        if isinstance(engine, Engine):
            assert self._thread is not None
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, _in_transaction, engine, work, args, write)
        if write:
            async with engine.begin() as conn:
                return await conn.run_sync(work, *args)
        async with engine.connect() as conn:
            return await conn.run_sync(work, *args)

    # -- the TrackerStore protocol -------------------------------------------------------

    async def append_events(self, sender_id: str, new_events: Sequence[Mapping[str, Any]],
                            expected_seq: int | None = None) -> int:
        """Appends events in one transaction; seq numbers are allocated under the conversation's row lock.

        With `expected_seq` the append happens only if the conversation's last seq is still that
        number (0 for a new conversation); otherwise nothing is written and `ConcurrentAppend` is raised.
        """
        if not new_events:
            last = (await self.read_since(sender_id, _NO_SEQ_ABOVE))[1]
            if expected_seq is not None and last != expected_seq:
                raise ConcurrentAppend(sender_id, expected_seq, last)
            return last
        rows = [_row_for(sender_id, item) for item in new_events]
        now = time.time()
        last_event_at = max(now, *(row["timestamp"] for row in rows))
        session_offset = _session_offset(rows)
        await self._ready()
        if self._postgres is not None:
            return await self._postgres.append(sender_id, rows, now, last_event_at, session_offset, expected_seq)
        return await self._run(_append_rows, sender_id, rows, now, last_event_at, session_offset, expected_seq,
                               write=True)

    async def replace_events(self, sender_id: str, new_events: Sequence[Mapping[str, Any]]) -> int:
        """Deletes the conversation's events and stores `new_events` in one transaction (see the protocol)."""
        rows = [_row_for(sender_id, item) for item in new_events]  # every event checked before the transaction
        now = time.time()
        return await self._run(_replace_rows, sender_id, rows, now, max([now, *(r["timestamp"] for r in rows)]),
                               _session_offset(rows), write=True)

    async def run_in_transaction(self, work: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Runs `work(connection, *args)`, a synchronous SQLAlchemy function, in one transaction.

        This is how other tables in the same database (the handover's) join the tracker's: inside
        `work`, `append_in_transaction(connection, ...)` appends events, and everything commits
        together or not at all. A write transaction takes SQLite's write lock up front.
        """
        return await self._run(work, *args, write=write)

    async def get_events(self, sender_id: str, *, since_last_session_start: bool = True) -> list[dict[str, Any]]:
        """The conversation's event dicts in order; from its latest session start unless told otherwise."""
        return (await self.read_since(sender_id, None if since_last_session_start else 0))[0]

    async def read_since(self, sender_id: str, after_seq: int | None) -> tuple[list[dict[str, Any]], int]:
        """Events above `after_seq` (None: from the latest session start) and the conversation's last seq."""
        await self._ready()
        if self._postgres is not None:
            return await self._postgres.read_since(sender_id, after_seq)
        return await self._run(_read_since, sender_id, after_seq)

    async def conversation_ids(self) -> list[str]:
        """Sender ids, most recently active first."""
        query = sa.select(conversations.c.sender_id).order_by(conversations.c.last_event_at.desc())
        return await self._run(lambda conn: list(conn.scalars(query)))

    async def count_conversations(self) -> int:
        """How many conversations are stored."""
        query = sa.select(sa.func.count()).select_from(conversations)
        return await self._run(lambda conn: int(conn.scalar(query) or 0))

    async def close(self) -> None:
        """Disposes of the connection pool (and the SQLite worker thread)."""
        engine, self._engine = self._engine, None
        postgres, self._postgres = self._postgres, None
        if postgres is not None:
            await postgres.close()
        if isinstance(engine, Engine):
            if self._thread is not None:
                await asyncio.get_running_loop().run_in_executor(self._thread, engine.dispose)
        elif engine is not None:
            await engine.dispose()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


# PostgreSQL connections per process (SQLAlchemy's defaults): `pool_size` kept open, up to `max_overflow`
# more under load, and `pool_timeout` seconds a transaction waits for one before failing (503).
# The asyncpg pool of appends and reads gets pool_size + max_overflow as its maximum.
DEFAULT_POOL: dict[str, float] = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 30.0}


def pool_options(config: Mapping[str, Any], *, location: str | None = None) -> dict[str, Any]:
    """endpoints.yml's `tracker_store: pool_size / max_overflow / pool_timeout` as engine options."""
    options: dict[str, Any] = {}
    for key, default in DEFAULT_POOL.items():
        value = config.get(key)
        if value is None:
            continue
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        whole = key != "pool_timeout"
        if number is None or number < (1 if key == "pool_size" else 0) or (whole and number != int(number)):
            kind = "a whole number" if whole else "a number of seconds"
            least = "at least 1" if key == "pool_size" else "0 or more"
            raise InvalidEndpoints(f"tracker_store {key} must be {kind}, {least}; got {value!r}.",
                                   location=location, hint=f"e.g. '{key}: {default:g}' (the default)")
        options[key] = int(number) if whole else float(number)
    return options


def _read_statement(from_session_start: bool) -> sa.Select:
    """The conversation's row joined to its newer events, so "nothing new" is one row too."""
    if from_session_start:
        newer = events.c.seq >= sa.func.coalesce(conversations.c.session_start_seq, 0)
    else:
        newer = events.c.seq > sa.bindparam("after_seq")
    return (
        sa.select(conversations.c.last_seq, events.c.data)
        .select_from(conversations.outerjoin(events, (events.c.sender_id == conversations.c.sender_id) & newer))
        .where(conversations.c.sender_id == sa.bindparam("sender_id"))
        .order_by(events.c.seq)
    )


# Built once: constructing a statement costs more than SQLite takes to run it.
_READ_FROM_SESSION_START = _read_statement(True)
_READ_AFTER = _read_statement(False)


@functools.cache
def _upsert_statement(dialect: str, starts_session: bool) -> Any:
    """Creates the conversation's row or adds `added` to its last_seq, returning the new last_seq.

    The right-hand sides see the old row, so the session start's seq is old last_seq + offset.
    Cached: built once per dialect and `starts_session`, like the read statements. (PostgreSQL's
    per-message appends run the same upsert, with the insert of the events, as one statement in
    `postgres_events`; this one serves SQLite and appends inside `run_in_transaction`.)
    """
    insert: Any  # PostgreSQL's or SQLite's Insert: both have on_conflict_do_update
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        insert = postgresql.insert(conversations)
    else:
        insert = sqlite.insert(conversations)
    insert = insert.values(
        sender_id=sa.bindparam("sender_id"), created=sa.bindparam("created"),
        last_event_at=sa.bindparam("last_event_at"), last_seq=sa.bindparam("added"),
        session_start_seq=sa.bindparam("session_offset") if starts_session else None,
    )
    update: dict[str, Any] = {"last_seq": conversations.c.last_seq + sa.bindparam("added"),
                              "last_event_at": sa.bindparam("last_event_at")}
    if starts_session:
        update["session_start_seq"] = conversations.c.last_seq + sa.bindparam("session_offset")
    return insert.on_conflict_do_update(index_elements=["sender_id"], set_=update).returning(conversations.c.last_seq)


def _read_since(conn: Connection, sender_id: str, after_seq: int | None) -> tuple[list[dict[str, Any]], int]:
    if after_seq is None:
        rows = conn.execute(_READ_FROM_SESSION_START, {"sender_id": sender_id}).all()
    else:
        rows = conn.execute(_READ_AFTER, {"sender_id": sender_id, "after_seq": after_seq}).all()
    if not rows:
        return [], 0
    return [json.loads(data) for _, data in rows if data is not None], int(rows[0][0])


def _in_transaction(engine: Engine, work: Callable[..., T], args: tuple[Any, ...], write: bool) -> T:
    with engine.connect() as conn:
        if write:
            conn = conn.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        with conn.begin():
            return work(conn, *args)


def _set_wal(cursor: Any, attempts: int = 200) -> None:
    """PRAGMA journal_mode=WAL, retried: switching the mode can fail at once with "database is locked"
    (SQLite does not wait on its busy timeout there) while another process opens the same new file."""
    import sqlite3

    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Lets SQLAlchemy, not the sqlite3 module, issue BEGIN, so writers can say IMMEDIATE."""

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        # WAL: readers keep reading while one process appends. synchronous=NORMAL is safe with WAL
        # (no corruption; an application crash loses nothing) and drops the fsync of every commit;
        # only a power cut can undo the last commits, which operators who need that use PostgreSQL for.
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _session_offset(rows: list[dict[str, Any]]) -> int | None:
    """1-based position of the last session_started row among the appended rows; None without one."""
    last = max((i for i, row in enumerate(rows) if row["type_name"] == "session_started"), default=None)
    return None if last is None else last + 1


def append_in_transaction(conn: Connection, sender_id: str, new_events: Sequence[Mapping[str, Any]],
                          expected_seq: int | None = None) -> int:
    """Appends events on `conn` (inside `SQLTrackerStore.run_in_transaction`); returns the new last seq.

    Works on SQLite and PostgreSQL alike; raises `ConcurrentAppend` when `expected_seq` is given and
    the conversation moved on, so the caller's transaction rolls back.
    """
    if not new_events:
        last = conn.scalar(sa.select(conversations.c.last_seq).where(conversations.c.sender_id == sender_id)) or 0
        if expected_seq is not None and last != expected_seq:
            raise ConcurrentAppend(sender_id, expected_seq, int(last))
        return int(last)
    rows = [_row_for(sender_id, item) for item in new_events]
    now = time.time()
    return _append_rows(conn, sender_id, rows, now, max(now, *(row["timestamp"] for row in rows)),
                        _session_offset(rows), expected_seq)


def replace_in_transaction(conn: Connection, sender_id: str, new_events: Sequence[Mapping[str, Any]]) -> int:
    """`replace_events` on `conn` (inside `SQLTrackerStore.run_in_transaction`); returns the new last seq.

    The human side replaces a conversation this way, so its own check of the conversation's owner
    and the replacement commit together.
    """
    rows = [_row_for(sender_id, item) for item in new_events]
    now = time.time()
    return _replace_rows(conn, sender_id, rows, now, max([now, *(r["timestamp"] for r in rows)]),
                         _session_offset(rows))


def _append_rows(conn: Connection, sender_id: str, rows: list[dict[str, Any]], created: float,
                 last_event_at: float, session_offset: int | None, expected_seq: int | None = None) -> int:
    """The upsert hands out the seq numbers, then the events are inserted with them.

    The write lock is held (SQLite: BEGIN IMMEDIATE; PostgreSQL: the upsert locks the row), so the
    check of `expected_seq` and the append cannot be separated by another writer.
    """
    if expected_seq is not None:
        query = sa.select(conversations.c.last_seq).where(conversations.c.sender_id == sender_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        last = int(conn.scalar(query) or 0)
        if last != expected_seq:
            raise ConcurrentAppend(sender_id, expected_seq, last)
    new_last = int(conn.scalar(_upsert_statement(conn.dialect.name, session_offset is not None), {
        "sender_id": sender_id, "created": created, "last_event_at": last_event_at,
        "added": len(rows), "session_offset": session_offset,
    }))
    first = new_last - len(rows) + 1
    for offset, row in enumerate(rows):
        row["seq"] = first + offset
    conn.execute(sa.insert(events), rows)
    return new_last


def _replace_rows(conn: Connection, sender_id: str, rows: list[dict[str, Any]], now: float,
                  last_event_at: float, session_offset: int | None) -> int:
    """Under the conversation's row lock: its events deleted, `rows` inserted numbered from old last seq + 2."""
    query = sa.select(conversations.c.last_seq).where(conversations.c.sender_id == sender_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    old_last = conn.scalar(query)
    first = 1 if old_last is None else int(old_last) + 2
    last = first + len(rows) - 1
    values = {"last_seq": last, "last_event_at": last_event_at,
              "session_start_seq": None if session_offset is None else first + session_offset - 1}
    conn.execute(sa.delete(events).where(events.c.sender_id == sender_id))
    if old_last is None:
        conn.execute(sa.insert(conversations).values(sender_id=sender_id, created=now, **values))
    else:
        conn.execute(sa.update(conversations).where(conversations.c.sender_id == sender_id).values(**values))
    for offset, row in enumerate(rows):
        row["seq"] = first + offset
    if rows:
        conn.execute(sa.insert(events), rows)
    return last


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
