"""News of a conversation across `bot run` processes, so a customer connected to one process sees at
once what another process stored (an agent's reply, a message from the customer's other device).

Only "conversation X has news" travels (Redis pub/sub, on the Redis the lock store already uses);
each process then lets its own connections of X catch up from the tracker store, which stays the
source of truth. A lost notice costs latency, never a message: the next catch-up shows it.
A passing frame that is never stored (an agent's "typing…") may ride along with the notice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["RedisFanout"]

logger = logging.getLogger(__name__)

_RETRY_SECONDS = 2.0


class RedisFanout:
    """Publishes and receives conversation news on one Redis channel; ignores its own notices."""

    def __init__(self, redis: Any, channel: str,
                 on_news: Callable[[str, dict[str, Any] | None], Awaitable[Any]]) -> None:
        self.redis = redis
        self.channel = channel
        self.on_news = on_news
        self.origin = uuid.uuid4().hex[:12]  # this process
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        """Subscribes in the background; returns once the first subscription is in place (or failed)."""
        self._task = asyncio.create_task(self._listen(), name=f"fanout:{self.channel}")
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        except TimeoutError:
            logger.warning("%s: Redis did not confirm the subscription; live news from other processes "
                           "may be late until it does", self.channel)

    async def publish(self, conversation_id: str, frame: dict[str, Any] | None = None) -> None:
        """Tells the other processes that `conversation_id` has news, or a passing `frame` for its
        connections (a failure is logged, not raised)."""
        message = f"{self.origin} {conversation_id}" + (f" {json.dumps(frame)}" if frame is not None else "")
        try:
            await self.redis.publish(self.channel, message)
        except Exception as error:  # Redis down: other processes' customers catch up on reconnect
            logger.warning("%s: could not publish news of %s: %s", self.channel, conversation_id, error)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None and message.get("type") == "message":
                        await self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # connection lost: subscribe again after a pause
                logger.warning("%s: subscription lost (%s); retrying in %.0f s", self.channel, error,
                               _RETRY_SECONDS)
                self._subscribed.set()  # nobody waits for a subscription that cannot be made now
                await asyncio.sleep(_RETRY_SECONDS)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    async def _deliver(self, data: Any) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        origin, _, rest = text.partition(" ")
        conversation_id, _, frame_text = rest.partition(" ")  # conversation ids have no spaces
        if origin == self.origin or not conversation_id:
            return
        try:
            frame = json.loads(frame_text) if frame_text else None
            await self.on_news(conversation_id, frame if isinstance(frame, dict) else None)
        except Exception:
            logger.exception("%s: delivering news of %s failed", self.channel, conversation_id)
