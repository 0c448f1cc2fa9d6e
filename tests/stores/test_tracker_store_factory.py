"""create_tracker_store maps endpoints.yml's `tracker_store:` like Rasa, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.shared.endpoints import load_endpoints_text
from bot.shared.errors import InvalidEndpoints
from bot.stores import create_tracker_store
from bot.stores.sql_tracker_store import SQLTrackerStore


async def test_default_is_an_sqlite_file_created_on_first_use(tmp_path: Path) -> None:
    for config in (None, {"type": "in_memory"}):
        store = create_tracker_store(config, tmp_path)
        assert isinstance(store, SQLTrackerStore)
        assert not (tmp_path / ".bot" / "tracker.db").exists() or config is not None
        await store.append_events("s", [{"event": "session_started"}])
        assert (tmp_path / ".bot" / "tracker.db").exists()
        await store.close()


def test_rasa_sql_keys_become_an_asyncpg_url(tmp_path: Path) -> None:
    store = create_tracker_store(
        {"type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 5433, "db": "bots",
         "username": "rasa", "password": "s3cret", "login_db": "postgres", "query": {"sslmode": "require"}},
        tmp_path,
    )
    assert isinstance(store, SQLTrackerStore)
    assert store.url.render_as_string(hide_password=False) == (
        "postgresql+asyncpg://rasa:s3cret@db.internal:5433/bots?sslmode=require"
    )
    assert store.login_db == "postgres"
    full = create_tracker_store({"type": "sql", "url": "postgresql://u@h/d"}, tmp_path)
    assert full.url.render_as_string() == "postgresql+asyncpg://u@h/d"  # type: ignore[attr-defined]
    relative = create_tracker_store({"type": "sql", "dialect": "sqlite", "db": "data/rasa.db"}, tmp_path)
    assert relative.url.database == str(tmp_path / "data" / "rasa.db")  # type: ignore[attr-defined]


def test_endpoint_config_objects_are_accepted_and_located(tmp_path: Path) -> None:
    endpoints = load_endpoints_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: localhost\n  db: x\n"
        "lock_store:\n  type: redis\n", source="endpoints.yml"
    )
    store = create_tracker_store(endpoints.tracker_store, tmp_path)
    assert store.url.database == "x" and store.url.host == "localhost"  # type: ignore[attr-defined]
    bad = load_endpoints_text("tracker_store:\n  type: mongod\n  url: mongodb://x\n", source="endpoints.yml")
    with pytest.raises(InvalidEndpoints, match="not supported") as raised:
        create_tracker_store(bad.tracker_store, tmp_path)
    assert str(raised.value).startswith("endpoints.yml:1")


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"type": "redis", "url": "localhost"}, "use `type: sql`"),
        ({"type": "mongod"}, "not supported"),
        ({"type": "dynamo"}, "not supported"),
        ({"type": "sql", "dialect": "mysql"}, "dialect 'mysql' is not supported"),
        ({"type": "cassandra"}, "unknown tracker store 'cassandra'"),
    ],
)
def test_unsupported_stores_say_what_to_use(tmp_path: Path, config: dict, needle: str) -> None:
    with pytest.raises(InvalidEndpoints, match=needle) as raised:
        create_tracker_store(config, tmp_path, location="endpoints.yml:4")
    assert str(raised.value).startswith("endpoints.yml:4")


def test_pool_sizes_come_from_endpoints_and_bad_ones_name_the_file(tmp_path: Path) -> None:
    endpoints = load_endpoints_text(
        "tracker_store:\n  type: sql\n  dialect: postgresql\n  url: localhost\n  db: x\n"
        "  pool_size: 8\n  max_overflow: 4\n  pool_timeout: 5\n", source="endpoints.yml")
    store = create_tracker_store(endpoints.tracker_store, tmp_path)
    assert store._engine_options == {"pool_size": 8, "max_overflow": 4, "pool_timeout": 5.0}  # type: ignore[attr-defined]
    for key, value in (("pool_size", "0"), ("max_overflow", "-1"), ("pool_size", "2.5"), ("pool_timeout", "soon")):
        bad = load_endpoints_text(f"tracker_store:\n  type: sql\n  dialect: postgresql\n  {key}: {value}\n",
                                  source="endpoints.yml")
        with pytest.raises(InvalidEndpoints, match=f"tracker_store {key} must be") as raised:
            create_tracker_store(bad.tracker_store, tmp_path)
        assert str(raised.value).startswith("endpoints.yml:1")


@pytest.mark.postgres
async def test_the_configured_pool_is_the_one_postgresql_uses(postgres_url: str, postgres_schema: str) -> None:
    store = SQLTrackerStore(postgres_url, schema=postgres_schema, engine_options={"pool_size": 2, "max_overflow": 1})
    try:
        await store.append_events("s", [{"event": "session_started"}])
        pool = store.engine.sync_engine.pool  # type: ignore[union-attr]
        assert (pool.size(), pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
        assert store._postgres._pool.get_max_size() == 3  # type: ignore[union-attr]
    finally:
        await store.close()
