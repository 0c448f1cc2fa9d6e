"""Migration 0003: the partial index that `GET /webchat/invitations` reads through, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from bot.channels.invitation_stats import invitation_events, invitations_query
from bot.stores.migrations import MIGRATIONS_DIR, VERSION_TABLE, current_revision
from bot.stores.sql_tracker_store import SQLTrackerStore
from bot.stores.sql_tracker_store import events as events_table

INDEX = "ix_events_invitations"


def _indexes(conn: Any) -> set[str]:
    return {index["name"] for index in sa.inspect(conn).get_indexes("events")}


def _plan(conn: Any) -> str:
    """How the database would run the counts' query (PostgreSQL told to avoid a scan where it can:
    on a table this small a scan is cheapest, and the question is whether the index fits at all)."""
    statement = str(invitations_query(events_table, 0.0, 2e9).compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        return "\n".join(conn.scalars(sa.text("EXPLAIN " + statement)))
    # A fresh text each time: sqlite3's statement cache would answer with a plan made before a migration.
    fresh = f" -- {uuid.uuid4().hex}"
    return "\n".join(str(row[-1]) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + statement + fresh)))


def _migrate(conn: Any, revision: str, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    config.attributes["version_table"] = VERSION_TABLE
    (command.downgrade if down else command.upgrade)(config, revision)


def _invitation(action: str, timestamp: float) -> dict[str, Any]:
    return {"event": "invitation", "timestamp": timestamp, "action": action, "rule": "cart",
            "page": "https://shop.example/cart?x=1"}


async def test_the_counts_read_invitation_events_through_their_own_index(sql_store: SQLTrackerStore) -> None:
    store = sql_store
    await store.append_events("anna", [{"event": "user", "text": "hi", "timestamp": 100.0},
                                       _invitation("shown", 101.0), _invitation("accepted", 102.0)])
    await store.append_events("ben", [_invitation("shown", 200.0), {"event": "bot", "text": "x", "timestamp": 201}])
    assert await store.run_in_transaction(current_revision, write=False) == "0003"
    assert INDEX in await store.run_in_transaction(_indexes, write=False)
    plan = await store.run_in_transaction(_plan)
    assert INDEX in plan, plan
    found = await invitation_events(store, 100.5, 200.0)
    assert [(e["action"], e["timestamp"]) for e in found] == [("shown", 101.0), ("accepted", 102.0)]

    # A database from before the index gets it when a store opens it, its invitations kept.
    await store.run_in_transaction(lambda conn: _migrate(conn, "0002", down=True))
    assert INDEX not in await store.run_in_transaction(_indexes, write=False)
    assert INDEX not in await store.run_in_transaction(_plan)
    await store.run_in_transaction(lambda conn: _migrate(conn, "head"))
    assert await store.run_in_transaction(current_revision, write=False) == "0003"
    assert INDEX in await store.run_in_transaction(_plan)
    assert len(await invitation_events(store, 0.0, 1e10)) == 3
