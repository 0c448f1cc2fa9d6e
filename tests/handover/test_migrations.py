"""The handover tables: created by their own migrations beside the tracker's, in SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.stores.sql_tracker_store import SQLTrackerStore
from handover import tables
from handover.migrations import HEAD_REVISION, MIGRATIONS_DIR, current_revision, upgrade_handover_to_head


def test_head_revision_is_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_migrations_create_every_table_of_the_current_shape(dialect, request, tmp_path) -> None:
    if dialect == "sqlite":
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                schema=request.getfixturevalue("postgres_schema"))
    try:
        await store.run_in_transaction(upgrade_handover_to_head)
        await store.run_in_transaction(upgrade_handover_to_head)  # a second start changes nothing

        def columns(conn: sa.Connection) -> dict[str, set[str]]:
            inspector = sa.inspect(conn)
            return {name: {c["name"] for c in inspector.get_columns(name)} for name in tables.metadata.tables}

        found = await store.run_in_transaction(columns, write=False)
        for name, table in tables.metadata.tables.items():
            assert found[name] == {c.name for c in table.columns}, name
        assert await store.run_in_transaction(current_revision, write=False) == HEAD_REVISION
        # the tracker's own tables are untouched and still work beside them
        assert await store.append_events("x", [{"event": "slot", "name": "a", "value": 1}]) == 1
    finally:
        await store.close()


@pytest.mark.postgres
async def test_processes_starting_together_create_the_tables_once(request) -> None:
    import asyncio

    url, schema = request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")
    stores = [SQLTrackerStore(url, schema=schema) for _ in range(4)]  # four `bot run` processes at once
    try:
        await asyncio.gather(*(store.run_in_transaction(upgrade_handover_to_head) for store in stores))
        assert await stores[0].run_in_transaction(current_revision, write=False) == HEAD_REVISION
    finally:
        for store in stores:
            await store.close()
