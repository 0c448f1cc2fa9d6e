"""Fan-out of feed items to the consoles connected to this process, and across processes.

The database's feed table is the source of truth (every item has an id); a broadcaster only wakes
the WebSocket connections up. In one process (embedded) it is a set of asyncio queues; with
several `bot run` processes it is Redis pub/sub, which every process subscribes to once and
fans out to its own connections. The items of one change go out as one Redis message, and the
process that wrote them hands them to its own connections at once rather than waiting for its own
message to come back from Redis. A console that misses something catches up from the feed table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

__all__ = ["Broadcaster", "InProcessBroadcaster", "RedisBroadcaster", "create_broadcaster"]

logger = logging.getLogger(__name__)

CHANNEL = "handover:feed"
QUEUE_SIZE = 1000  # a console that falls this far behind is cut off and catches up from the database


class Subscription:
    """One listener's queue; iterate it for feed items. `overflowed` tells it to catch up from the database."""

    def __init__(self, owner: InProcessBroadcaster) -> None:
        self._owner = owner
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def offer(self, item: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self._owner.unsubscribe(self)


class Broadcaster(Protocol):
    """Publishes feed items to every subscriber in every process."""

    async def start(self) -> None: ...

    async def publish(self, item: dict[str, Any]) -> None: ...

    async def publish_many(self, items: list[dict[str, Any]]) -> None: ...

    def subscribe(self) -> Subscription: ...

    async def close(self) -> None: ...


class InProcessBroadcaster:
    """Subscribers are queues in this process; what one publishes, all receive."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    async def start(self) -> None:
        return None

    async def publish(self, item: dict[str, Any]) -> None:
        await self.publish_many([item])

    async def publish_many(self, items: list[dict[str, Any]]) -> None:
        """The items of one change, in id order."""
        self.deliver_many(items)

    def deliver_locally(self, item: dict[str, Any]) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(item)

    def deliver_many(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.deliver_locally(item)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisBroadcaster(InProcessBroadcaster):
    """Publishes through Redis; one pub/sub reader a process hands what arrives to the local subscribers."""

    def __init__(self, client: Any, channel: str = CHANNEL, *, owns_client: bool = False) -> None:
        """`client`: a redis.asyncio client (the lock store's, so the deployment names Redis once)."""
        super().__init__()
        self.channel = channel
        self._client = client
        self._owns_client = owns_client
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._origin = uuid.uuid4().hex  # marks this process's messages, which it has delivered already

    @classmethod
    def from_url(cls, url: str, channel: str = CHANNEL) -> RedisBroadcaster:
        import redis.asyncio as redis

        return cls(redis.Redis.from_url(url), channel, owns_client=True)

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="handover-feed-reader")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def publish_many(self, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        self.deliver_many(items)  # this process's consoles need no round trip through Redis
        try:
            await self._client.publish(self.channel, json.dumps({"origin": self._origin, "items": items},
                                                                default=str))
        except Exception:  # consoles catch up from the database; a lost wake-up only delays them
            logger.warning("could not publish handover feed items to Redis; other processes' consoles will "
                           "catch up", exc_info=True)

    async def _read(self) -> None:
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._received(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("the handover feed subscription to Redis failed; retrying", exc_info=True)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _received(self, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            if data.get("origin") != self._origin:  # our own were handed out when published
                self.deliver_many(data["items"])
        elif isinstance(data, dict):  # one bare item, as a process of an earlier version publishes it
            self.deliver_locally(data)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._owns_client:
            await self._client.aclose()
        await super().close()


def create_broadcaster(lock_store: Any) -> InProcessBroadcaster:
    """Redis pub/sub when the processes share a Redis lock store (several processes), else in-process."""
    client = getattr(lock_store, "redis", None)
    if client is None:
        return InProcessBroadcaster()
    return RedisBroadcaster(client, f"{getattr(lock_store, 'key_prefix', '')}{CHANNEL}")


async def iterate(subscription: Subscription) -> AsyncIterator[dict[str, Any]]:
    while True:
        yield await subscription.get()
