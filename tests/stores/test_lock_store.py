"""Lock stores: exclusive, first come first served, expiring; Redis across real OS processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.shared.errors import BotError, InvalidEndpoints
from bot.stores import InMemoryLockStore, LockError, LockStore, create_lock_store
from bot.stores.redis_lock_store import RedisLockStore

WORKER = Path(__file__).with_name("_worker.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}:"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def lock_store(request, prefix):
    if request.param == "memory":
        store: LockStore = InMemoryLockStore()
    else:
        store = RedisLockStore.from_url(request.getfixturevalue("redis_url"), key_prefix=prefix)
    yield store
    await store.close()


async def test_waiters_are_served_in_arrival_order_one_at_a_time(lock_store: LockStore) -> None:
    assert isinstance(lock_store, LockStore)
    inside = 0
    served: list[tuple[int, int]] = []

    async def visit(number: int) -> None:
        nonlocal inside
        async with lock_store.lock("conv", wait_timeout=10) as held:
            inside += 1
            assert inside == 1
            served.append((held.ticket, number))
            await asyncio.sleep(0.005)
            inside -= 1

    tasks = []
    for number in range(8):
        tasks.append(asyncio.create_task(visit(number)))
        await asyncio.sleep(0.002)  # arrive in this order
    await asyncio.gather(*tasks)
    if isinstance(lock_store, InMemoryLockStore):
        # Tickets are drawn synchronously, so service order is arrival order. (An idle
        # conversation's queue is dropped, so ticket numbers may start again at 1.)
        assert [number for _, number in served] == list(range(8))
    else:
        tickets = [ticket for ticket, _ in served]
        assert tickets == sorted(tickets) and len(set(tickets)) == 8  # in ticket order


async def test_other_conversations_do_not_wait(lock_store: LockStore) -> None:
    async with lock_store.lock("a"):
        async with lock_store.lock("b", wait_timeout=0.5) as held:
            assert held.conversation_id == "b"


async def test_wait_timeout_raises_and_does_not_block_the_line(lock_store: LockStore) -> None:
    async with lock_store.lock("conv", lock_lifetime=30):
        started = time.monotonic()
        with pytest.raises(LockError, match="stayed locked") as raised:
            async with lock_store.lock("conv", wait_timeout=0.2):
                pytest.fail("got a held lock")
        assert isinstance(raised.value, BotError)
        assert 0.15 < time.monotonic() - started < 5  # loose: CI machines are shared
    # The timed-out ticket left the line: the next caller gets in at once.
    async with lock_store.lock("conv", wait_timeout=1):
        pass


async def _in_line(store: LockStore, conversation: str) -> int:
    """How many hold or wait for the conversation's lock, read from the store itself."""
    if isinstance(store, RedisLockStore):
        return int(await store.redis.zcard(store._keys(conversation)[2]))
    queue = store._queues.get(conversation)
    return 0 if queue is None else len(queue.waiting) + (queue.holder is not None)


async def test_cancelled_waiter_leaves_the_line(lock_store: LockStore) -> None:
    async with lock_store.lock("conv"):
        # A long wait: on a starved machine the waiter must still be waiting, not timed out, when cancelled.
        waiter = asyncio.create_task(_hold(lock_store, "conv", 0, wait_timeout=300))
        for _ in range(3000):  # until it really queued behind us (a busy machine may take seconds)
            if await _in_line(lock_store, "conv") == 2:
                break
            await asyncio.sleep(0.01)
        assert await _in_line(lock_store, "conv") == 2 and not waiter.done()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await _in_line(lock_store, "conv") == 1  # only us: the cancelled waiter left
    async with lock_store.lock("conv", wait_timeout=1):
        pass


@pytest.mark.redis
async def test_a_waiter_cancelled_while_taking_its_ticket_leaves_the_line(redis_url, prefix) -> None:
    """The flaky case under load: the cancel lands while Redis queues the ticket, before its answer."""
    store = RedisLockStore.from_url(redis_url, key_prefix=prefix)
    queued = asyncio.Event()
    real_enter = store._enter

    async def slow_answer(**kwargs):
        answer = await real_enter(**kwargs)  # the ticket is in line now
        queued.set()
        await asyncio.sleep(2)  # the answer is "still on its way" when the cancel arrives
        return answer

    try:
        async with store.lock("conv"):
            store._enter = slow_answer
            waiter = asyncio.create_task(_hold(store, "conv", 0, wait_timeout=300))
            await asyncio.wait_for(queued.wait(), 60)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            store._enter = real_enter
            assert await _in_line(store, "conv") == 1
        async with store.lock("conv", wait_timeout=1):
            pass
    finally:
        await store.close()


async def test_a_lock_held_past_its_lifetime_is_given_to_the_next(lock_store: LockStore) -> None:
    holder = asyncio.create_task(_hold(lock_store, "conv", 20.0, lifetime=0.3))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    async with lock_store.lock("conv", wait_timeout=10):
        waited = time.monotonic() - started
    assert 0.1 < waited < 8  # far below the holder's 20 s: its lifetime ended the hold
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder


async def _hold(store: LockStore, conversation: str, seconds: float, lifetime: float = 60,
                wait_timeout: float = 10) -> None:
    async with store.lock(conversation, lock_lifetime=lifetime, wait_timeout=wait_timeout):
        await asyncio.sleep(seconds)


def _spawn(job: str, args: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), job, json.dumps(args)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.redis
async def test_two_processes_hammering_one_conversation(redis_url: str, prefix: str, tmp_path) -> None:
    args = {"url": redis_url, "prefix": prefix, "conversation": "hot", "count": 60,
            "barrier": str(tmp_path / "barrier"), "parties": 2}
    workers = [_spawn("hammer", args) for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    probe = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        assert await probe.get(f"{prefix}probe:violations") is None
        order = [entry.split(":") for entry in await probe.lrange(f"{prefix}probe:order", 0, -1)]
        tickets = [int(ticket) for ticket, _ in order]
        pids = [pid for _, pid in order]
        assert len(tickets) == 120
        assert tickets == sorted(tickets) and len(set(tickets)) == 120  # served in ticket order
        assert len(set(pids)) == 2
        switches = sum(1 for a, b in zip(pids, pids[1:], strict=False) if a != b)
        assert switches > 5, "the two processes did not interleave"
        await probe.delete(*await probe.keys(f"{prefix}*"))
    finally:
        await probe.aclose()


@pytest.mark.redis
async def test_crashed_holder_blocks_only_until_its_lifetime(redis_url: str, prefix: str) -> None:
    crashed = _spawn("hold_and_die", {"url": redis_url, "prefix": prefix, "conversation": "c", "lifetime": 0.8})
    out, err = crashed.communicate(timeout=30)
    assert "locked" in out, err
    store = RedisLockStore.from_url(redis_url, key_prefix=prefix)
    started = time.monotonic()
    async with store.lock("c", wait_timeout=5) as held:
        waited = time.monotonic() - started
    assert waited < 4.5 and held.ticket == 2  # lifetime 0.8 s; loose for shared CI
    await store.close()


@pytest.mark.redis
async def test_dead_waiter_is_skipped(redis_url: str, prefix: str) -> None:
    store = RedisLockStore.from_url(redis_url, key_prefix=prefix)
    async with store.lock("c") as first:
        waiter = _spawn("wait_and_die", {"url": redis_url, "prefix": prefix, "conversation": "c", "heartbeat": 0.5})
        assert waiter.stdout is not None and "waiting" in waiter.stdout.readline()
        waiter.kill()
        waiter.communicate(timeout=10)
    started = time.monotonic()
    async with store.lock("c", wait_timeout=5) as third:
        waited = time.monotonic() - started
    assert first.ticket == 1 and third.ticket == 3
    assert waited < 4.5  # the dead waiter's heartbeat is 0.5 s; without skipping it this times out
    await store.close()


def test_create_lock_store_from_endpoints() -> None:
    assert isinstance(create_lock_store(None), InMemoryLockStore)
    assert isinstance(create_lock_store({"type": "in_memory"}), InMemoryLockStore)
    store = create_lock_store({"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 1, "key_prefix": "myapp"})
    assert isinstance(store, RedisLockStore) and store.key_prefix == "myapp:lock:"
    assert store.redis.connection_pool.connection_kwargs["db"] == 1
    with pytest.raises(InvalidEndpoints, match="unknown lock store 'zookeeper'") as raised:
        create_lock_store({"type": "zookeeper"}, location="endpoints.yml:7")
    assert str(raised.value).startswith("endpoints.yml:7")
    with pytest.raises(InvalidEndpoints, match="key_prefix"):
        create_lock_store({"type": "redis", "key_prefix": "a b"})


async def test_unreachable_redis_is_a_clear_error() -> None:
    store = RedisLockStore.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(BotError, match="cannot reach Redis"):
        async with store.lock("x", wait_timeout=1):
            pass
    await store.close()
