"""Real PostgreSQL and Redis for the store tests: they fail (CI) or skip (laptop) when a server is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.stores.sql_tracker_store import SQLTrackerStore


@pytest.fixture
def sqlite_store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
async def postgres_store(postgres_url: str, postgres_schema: str) -> AsyncIterator[SQLTrackerStore]:
    store = SQLTrackerStore(postgres_url, schema=postgres_schema)
    yield store
    await store.close()
