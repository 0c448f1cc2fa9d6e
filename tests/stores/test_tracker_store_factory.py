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
