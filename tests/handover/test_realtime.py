"""Feed fan-out through Redis between processes: a change's items arrive once each and in order, in the
process that wrote them (without the round trip through Redis) and in every other process."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from handover.realtime import RedisBroadcaster

WAIT = 30.0  # generous: the machine may be busy


async def _drain(subscription, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        ids.append((await asyncio.wait_for(subscription.get(), WAIT))["id"])
    return ids


@pytest.mark.redis
async def test_a_change_reaches_both_processes_once_and_in_order(redis_url: str) -> None:
    channel = f"test-{uuid.uuid4().hex}:handover:feed"
    clients = [aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)]
    writer, other = (RedisBroadcaster(client, channel) for client in clients)
    try:
        await writer.start()
        await other.start()
        here, there = writer.subscribe(), other.subscribe()
        items = [{"id": 7, "kind": "conversation", "data": {}}, {"id": 8, "kind": "offer", "data": {}}]
        await writer.publish_many(items)
        assert [item["id"] for item in [here.queue.get_nowait(), here.queue.get_nowait()]] == [7, 8]
        assert await _drain(there, 2) == [7, 8]
        await writer.publish_many([{"id": 9, "kind": "note", "data": {}}])
        assert await _drain(there, 1) == [9]
        # Redis delivers one channel's messages in order: once the other process's 10 is here, the
        # writer's own two messages came back before it, and were not handed out a second time.
        await other.publish_many([{"id": 10, "kind": "note", "data": {}}])
        assert await _drain(here, 2) == [9, 10]
        assert here.queue.empty() and await _drain(there, 1) == [10]
    finally:
        for broadcaster in (writer, other):
            await broadcaster.close()
        for client in clients:
            await client.aclose()
