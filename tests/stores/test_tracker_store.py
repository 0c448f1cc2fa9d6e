"""Tracker stores: append-only logs read from the latest session start, in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from bot.shared.errors import BotError
from bot.stores import InMemoryTrackerStore, TrackerStore
from bot.stores.migrations import HEAD_REVISION
from bot.stores.sql_tracker_store import SQLTrackerStore

WORKER = Path(__file__).with_name("_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request, tmp_path):
    if request.param == "memory":
        made: TrackerStore = InMemoryTrackerStore()
    elif request.param == "sqlite":
        made = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        made = SQLTrackerStore(
            request.getfixturevalue("postgres_url"), schema=request.getfixturevalue("postgres_schema")
        )
    yield made
    await made.close()


def session_start() -> list[dict]:
    return [ActionExecuted("action_session_start").as_dict(), SessionStarted().as_dict()]


async def test_append_and_read_back_in_order(store: TrackerStore) -> None:
    assert isinstance(store, TrackerStore)
    assert await store.get_events("nobody") == []
    first = [*session_start(), UserUttered("hi", {"intent": {"name": "greet"}}).as_dict()]
    await store.append_events("alice", first)
    await store.append_events("alice", [ActionExecuted("utter_greet").as_dict(), SlotSet("x", {"a": [1]})])
    events = await store.get_events("alice")
    # From the session_started event on, like Rasa (the action_session_start before it is history).
    assert [e["event"] for e in events] == ["session_started", "user", "action", "slot"]
    assert events[1]["parse_data"]["intent"]["name"] == "greet"
    assert events[3] == {"event": "slot", "timestamp": events[3]["timestamp"], "name": "x", "value": {"a": [1]}}
    assert len(await store.get_events("alice", since_last_session_start=False)) == 5


async def test_reads_start_at_the_latest_session(store: TrackerStore) -> None:
    await store.append_events("bob", [*session_start(), SlotSet("n", 1).as_dict()])
    await store.append_events("bob", [SlotSet("n", 2).as_dict(), *session_start(), SlotSet("n", 3).as_dict()])
    assert [e.get("value") for e in await store.get_events("bob")] == [None, 3]
    await store.append_events("bob", [*session_start()])
    assert [e["event"] for e in await store.get_events("bob")] == ["session_started"]
    everything = await store.get_events("bob", since_last_session_start=False)
    assert [e.get("value") for e in everything if e["event"] == "slot"] == [1, 2, 3]
    # a conversation without any session start is read whole
    await store.append_events("carol", [SlotSet("n", 1).as_dict(), SlotSet("n", 2).as_dict()])
    assert len(await store.get_events("carol")) == 2


async def test_read_since_numbers_events_and_reads_only_newer_ones(store: TrackerStore) -> None:
    assert await store.read_since("nobody", None) == ([], 0)
    assert await store.read_since("nobody", 3) == ([], 0)
    assert await store.append_events("erin", [SlotSet("n", 0).as_dict(), *session_start()]) == 3
    assert await store.append_events("erin", [SlotSet("n", 1).as_dict(), SlotSet("n", 2).as_dict()]) == 5
    events, last = await store.read_since("erin", None)  # from the session start, like get_events
    assert ([e["event"] for e in events], last) == (["session_started", "slot", "slot"], 5)
    events, last = await store.read_since("erin", 3)
    assert ([e["value"] for e in events], last) == ([1, 2], 5)
    assert await store.read_since("erin", 5) == ([], 5)  # nothing new: still one answer with the number
    assert await store.append_events("erin", []) == 5


async def test_append_only_callers_cannot_rewrite_history(store: TrackerStore) -> None:
    event = SlotSet("k", "v").as_dict()
    await store.append_events("dave", [event])
    event["value"] = "changed"
    read = await store.get_events("dave")
    read[0]["value"] = "changed too"
    assert (await store.get_events("dave"))[0]["value"] == "v"


async def test_append_with_expected_seq_refuses_when_another_writer_came_first(store: TrackerStore) -> None:
    from bot.shared.errors import ConcurrentAppend

    assert await store.append_events("gina", [SlotSet("n", 1).as_dict()], expected_seq=0) == 1
    assert await store.append_events("gina", [SlotSet("n", 2).as_dict()], expected_seq=1) == 2
    with pytest.raises(ConcurrentAppend) as refused:
        await store.append_events("gina", [SlotSet("n", 99).as_dict()], expected_seq=1)
    assert (refused.value.expected_seq, refused.value.actual_seq) == (1, 2)
    with pytest.raises(ConcurrentAppend):
        await store.append_events("gina", [], expected_seq=5)
    events, last = await store.read_since("gina", 0)
    assert last == 2 and [e["value"] for e in events] == [1, 2]  # the refused append wrote nothing


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_other_tables_commit_together_with_appended_events(dialect, request, tmp_path) -> None:
    from bot.shared.errors import ConcurrentAppend
    from bot.stores.sql_tracker_store import append_in_transaction

    if dialect == "sqlite":
        sql_store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        sql_store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                    schema=request.getfixturevalue("postgres_schema"))
    side = sa.table("side_effects", sa.column("note", sa.String))
    try:
        await sql_store.run_in_transaction(lambda conn: conn.execute(sa.text("CREATE TABLE side_effects (note TEXT)")))

        def write(conn: sa.Connection, note: str, expected: int | None) -> int:
            conn.execute(sa.insert(side).values(note=note))
            return append_in_transaction(conn, "hana", [SlotSet("note", note).as_dict()], expected)

        assert await sql_store.run_in_transaction(write, "first", 0) == 1
        with pytest.raises(ConcurrentAppend):
            await sql_store.run_in_transaction(write, "stale", 0)
        assert await sql_store.run_in_transaction(write, "second", None) == 2
        notes = await sql_store.run_in_transaction(
            lambda conn: [row[0] for row in conn.execute(sa.select(side.c.note))], write=False)
        assert notes == ["first", "second"]  # the refused append rolled its side table row back too
        assert [e["value"] for e in (await sql_store.read_since("hana", 0))[0]] == ["first", "second"]
    finally:
        await sql_store.close()


async def test_conversation_ids_and_count(store: TrackerStore) -> None:
    assert await store.count_conversations() == 0
    for sender in ("a", "b", "c"):
        await store.append_events(sender, [SlotSet("x", sender).as_dict()])
    await store.append_events("a", [SlotSet("x", 2).as_dict()])
    assert sorted(await store.conversation_ids()) == ["a", "b", "c"]
    assert await store.count_conversations() == 3


async def test_bad_events_are_refused(store: TrackerStore) -> None:
    with pytest.raises(BotError, match='"event" key'):
        await store.append_events("e", [{"name": "x"}])
    with pytest.raises(BotError):
        await store.append_events("e", [{"event": "slot", "name": "x", "value": object()}])


async def test_accepts_event_objects(store: TrackerStore) -> None:
    await store.append_events("f", [SlotSet("x", 1), SessionStarted()])  # type: ignore[list-item]
    assert [e["event"] for e in await store.get_events("f")] == ["session_started"]


async def _long_conversation(store: SQLTrackerStore) -> None:
    batch = [SlotSet("n", i).as_dict() for i in range(9_990)]
    await store.append_events("long", [*session_start(), *batch])
    await store.append_events("long", [*session_start(), *(SlotSet("n", i).as_dict() for i in range(6))])


async def _query(store: SQLTrackerStore, statement: str, params: object = None) -> list[tuple]:
    """Raw SQL through the store's own connection (its SQLite thread, or PostgreSQL's async engine)."""
    return await store._run(lambda conn: [tuple(row) for row in conn.exec_driver_sql(statement, params or ())])


def _capture_sql(store: SQLTrackerStore) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    engine = store.engine
    sa.event.listen(
        engine if isinstance(engine, sa.Engine) else engine.sync_engine,  # type: ignore[union-attr]
        "before_cursor_execute",
        lambda conn, cursor, statement, params, context, many: seen.append((statement, params)),
    )
    return seen


async def test_ten_thousand_events_sqlite_reads_only_the_last_session(tmp_path) -> None:
    store = SQLTrackerStore(f"sqlite:///{tmp_path / 'long.db'}")
    await _long_conversation(store)
    seen = _capture_sql(store)
    events = await store.get_events("long")
    assert [e.get("value") for e in events] == [None, 0, 1, 2, 3, 4, 5]
    assert len(await store.get_events("long", since_last_session_start=False)) == 10_000
    # The query is an index range from the stored session start, not a scan of 10,000 rows.
    statement, params = next((sql, p) for sql, p in seen if sql.lstrip().upper().startswith("SELECT"))
    plan = await _query(store, "EXPLAIN QUERY PLAN " + statement, params)
    details = " | ".join(str(row[-1]) for row in plan)
    assert "SCAN events" not in details, details
    assert "USING INDEX sqlite_autoindex_events_1 (sender_id=? AND seq>?)" in details, details
    await store.close()


@pytest.mark.postgres
async def test_ten_thousand_events_postgres(postgres_store: SQLTrackerStore) -> None:
    await _long_conversation(postgres_store)
    events = await postgres_store.get_events("long")
    assert [e.get("value") for e in events] == [None, 0, 1, 2, 3, 4, 5]
    assert len(await postgres_store.get_events("long", since_last_session_start=False)) == 10_000
    assert await _query(postgres_store, "SELECT session_start_seq, last_seq FROM conversations") == [(9_994, 10_000)]


def _run_appenders(url: str, schema: str | None, count: int, barrier: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "append",
             json.dumps({"url": url, "schema": schema, "sender": "shared", "tag": tag, "count": count,
                         "barrier": str(barrier), "parties": 2})],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        for tag in ("p1", "p2")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err


async def _check_appenders(store: SQLTrackerStore, count: int) -> None:
    events = await store.get_events("shared", since_last_session_start=False)
    assert len(events) == 2 * count
    for tag in ("p1", "p2"):
        assert [e["value"] for e in events if e["name"] == tag] == list(range(count))
    seqs = [s for (s,) in await _query(store, "SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, 2 * count + 1))
    # Both really ran at once: their events interleave.
    names = [e["name"] for e in events]
    assert names != sorted(names)


async def test_two_processes_append_to_one_conversation_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _run_appenders(url, None, 150, tmp_path / "barrier")
    store = SQLTrackerStore(url)
    await _check_appenders(store, 150)
    await store.close()


@pytest.mark.postgres
async def test_two_processes_append_to_one_conversation_postgres(postgres_url, postgres_schema, tmp_path) -> None:
    store = SQLTrackerStore(postgres_url, schema=postgres_schema)
    await store.count_conversations()  # create the schema before the workers race
    _run_appenders(postgres_url, postgres_schema, 150, tmp_path / "barrier")
    await _check_appenders(store, 150)
    await store.close()


async def test_migrations_run_once_and_record_their_version(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    for _ in range(2):
        store = SQLTrackerStore(url)
        await store.append_events("x", [SlotSet("a", 1).as_dict()])
        versions = await _query(store, "SELECT version_num FROM bot_tracker_store_version")
        await store.close()
        assert versions == [(HEAD_REVISION,)]
    store = SQLTrackerStore(url)
    assert len(await store.get_events("x")) == 2
    await store.close()


async def test_unreachable_database_is_a_clear_error() -> None:
    store = SQLTrackerStore("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    with pytest.raises(BotError, match="Cannot open the tracker store database"):
        await store.count_conversations()


def test_head_revision_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.stores.migrations import HEAD_REVISION, MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_switching_sqlite_to_wal_is_retried_while_another_process_holds_the_new_file() -> None:
    """SQLite can refuse `PRAGMA journal_mode=WAL` at once ("database is locked", without waiting on
    its busy timeout) while another process opens the same new file; opening must retry, not fail."""
    import sqlite3

    from bot.stores.sql_tracker_store import _set_wal

    class Cursor:
        def __init__(self, failures: int, message: str = "database is locked") -> None:
            self.failures, self.message, self.calls = failures, message, 0

        def execute(self, statement: str) -> None:
            self.calls += 1
            if self.calls <= self.failures:
                raise sqlite3.OperationalError(self.message)

    busy = Cursor(failures=3)
    _set_wal(busy)
    assert busy.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _set_wal(Cursor(failures=5), attempts=3)  # gives up in the end
    other = Cursor(failures=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _set_wal(other)  # only a lock is worth waiting for
    assert other.calls == 1


async def test_replace_makes_the_events_the_whole_conversation_numbered_past_a_gap(store: TrackerStore) -> None:
    assert await store.append_events("ivan", [SlotSet("n", 1).as_dict(), *session_start(),
                                              SlotSet("n", 2).as_dict()]) == 4
    replacement = [SlotSet("n", 10).as_dict(), *session_start(), SlotSet("n", 11).as_dict()]
    assert await store.replace_events("ivan", replacement) == 9  # 4, one number skipped, then 6..9
    everything = await store.get_events("ivan", since_last_session_start=False)
    assert [e.get("value") for e in everything if e["event"] == "slot"] == [10, 11]
    assert [e["event"] for e in await store.get_events("ivan")] == ["session_started", "slot"]
    # a reader that had the old events up to 4 sees a gap, not "5 newer events", and reads again
    newer, last = await store.read_since("ivan", 4)
    assert last == 9 and last != 4 + len(newer)
    assert await store.append_events("ivan", [SlotSet("n", 12).as_dict()], expected_seq=9) == 10
    assert sorted(await store.conversation_ids()) == ["ivan"]


async def test_replace_with_a_bad_event_changes_nothing(store: TrackerStore) -> None:
    await store.append_events("jana", [SlotSet("n", 1).as_dict()])
    for bad in ({"no": "event key"}, {"event": "slot", "name": "n", "value": {1, 2}}):  # a set is not JSON
        with pytest.raises(BotError):
            await store.replace_events("jana", [SlotSet("n", 2).as_dict(), bad])
    events, last = await store.read_since("jana", 0)
    assert ([e["value"] for e in events], last) == ([1], 1)


async def test_replace_creates_or_empties_a_conversation(store: TrackerStore) -> None:
    assert await store.replace_events("kim", [SlotSet("n", 1).as_dict()]) == 1
    assert [e["value"] for e in await store.get_events("kim")] == [1]
    last = await store.replace_events("kim", [])
    assert await store.read_since("kim", 0) == ([], last) and last == 2
    assert await store.count_conversations() == 1
    assert await store.append_events("kim", [SlotSet("n", 3).as_dict()]) == 3
    assert [e["value"] for e in await store.get_events("kim")] == [3]
