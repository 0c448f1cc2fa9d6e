"""The lock lifetime is configurable (endpoints.yml or TICKET_LOCK_LIFETIME) and long waits are logged."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from bot.shared.errors import InvalidEndpoints
from bot.stores.lock_store import DEFAULT_LOCK_LIFETIME, create_lock_store


@pytest.fixture(params=["in_memory", pytest.param("redis", marks=pytest.mark.redis)])
def store_config(request) -> dict:
    if request.param == "in_memory":
        return {"type": "in_memory"}
    return {"type": "redis", "url": request.getfixturevalue("redis_url"), "key_prefix": f"t{uuid.uuid4().hex[:8]}"}


async def test_a_dead_holder_blocks_only_for_the_configured_lifetime_and_the_wait_is_logged(store_config, caplog):
    store = create_lock_store({**store_config, "lock_lifetime": 0.5, "lock_wait_warning": 0.2})
    assert store.lock_lifetime == 0.5
    entered = asyncio.Event()

    async def dies_holding_the_lock() -> None:  # as a process killed with -9: it never releases
        async with store.lock("anna"):
            entered.set()
            await asyncio.sleep(3600)

    holder = asyncio.create_task(dies_holding_the_lock())
    await asyncio.wait_for(entered.wait(), 60)
    with caplog.at_level(logging.WARNING):
        async with store.lock("anna", wait_timeout=60):
            pass
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    waits = [r.getMessage() for r in caplog.records if "waited" in r.getMessage()]
    assert len(waits) == 1 and "'anna'" in waits[0] and "lock lifetime 0.5 s" in waits[0]
    await store.close()


def test_the_lifetime_comes_from_endpoints_then_rasas_variable(monkeypatch) -> None:
    monkeypatch.delenv("TICKET_LOCK_LIFETIME", raising=False)
    assert create_lock_store({"type": "in_memory"}).lock_lifetime == DEFAULT_LOCK_LIFETIME
    monkeypatch.setenv("TICKET_LOCK_LIFETIME", "12")
    assert create_lock_store({"type": "in_memory"}).lock_lifetime == 12.0
    assert create_lock_store({"type": "in_memory", "lock_lifetime": 7}).lock_lifetime == 7.0


@pytest.mark.parametrize("value", ["soon", 0, -3, "inf"])
def test_a_wrong_lifetime_is_a_clear_error(value) -> None:
    with pytest.raises(InvalidEndpoints, match="lock_lifetime must be a positive number"):
        create_lock_store({"type": "in_memory", "lock_lifetime": value})
