"""Shared fixtures for the handover tests: a tracker store with the handover tables, SQLite or PostgreSQL.

The PostgreSQL fixtures (postgres_url, postgres_schema) live in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.stores.sql_tracker_store import SQLTrackerStore
from handover.migrations import upgrade_handover_to_head
from handover.passwords import PasswordHasher


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def handover_store(request, tmp_path) -> AsyncIterator[SQLTrackerStore]:
    """A tracker store whose database has the handover tables at their newest revision."""
    if request.param == "sqlite":
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                schema=request.getfixturevalue("postgres_schema"))
    await store.run_in_transaction(upgrade_handover_to_head)
    yield store
    await store.close()


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """Real Argon2id with small parameters (1 pass, 8 MiB): the same code path, a fraction of the time."""
    return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()
