"""Live connections of one push channel: which open connections belong to which conversation.

The web chat (WebSocket, long polling) and the socket.io channel keep one `LiveConnections` each.
A connection registers a `deliver` coroutine for its conversation; `send` hands messages to every
connection of that conversation (a customer may have the shop open in two tabs or on two devices)
and so implements `OutputChannel` for the human side.

Connections are per process: with several `bot run` workers, a message for a customer connected
to another worker is not delivered live here (`send` returns False) and reaches them by catch-up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["Deliver", "LiveConnections"]

logger = logging.getLogger(__name__)

# Pushes messages over one open connection; raising means the connection is gone.
Deliver = Callable[[list[dict[str, Any]]], Awaitable[None]]


class LiveConnections:
    """Open connections by conversation id; an `OutputChannel` under the channel's `name`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_sender: dict[str, dict[int, Deliver]] = {}
        self._next_handle = 0

    def connect(self, sender_id: str, deliver: Deliver) -> int:
        """Registers one open connection of `sender_id`; the handle is what `disconnect` takes."""
        self._next_handle += 1
        self._by_sender.setdefault(sender_id, {})[self._next_handle] = deliver
        return self._next_handle

    def disconnect(self, sender_id: str, handle: int) -> None:
        """Forgets one connection (idempotent)."""
        connections = self._by_sender.get(sender_id)
        if connections is None:
            return
        connections.pop(handle, None)
        if not connections:
            del self._by_sender[sender_id]

    def connected(self, sender_id: str) -> int:
        """How many connections `sender_id` has open in this process."""
        return len(self._by_sender.get(sender_id, {}))

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        """Pushes `messages` over every open connection of `recipient_id`; True if one took them."""
        delivered = False
        for handle, deliver in list(self._by_sender.get(recipient_id, {}).items()):
            try:
                await deliver(messages)
                delivered = True
            except Exception:  # a connection that broke under us: forget it, the others still count
                logger.debug("%s: dropping a broken connection of %s", self.name, recipient_id, exc_info=True)
                self.disconnect(recipient_id, handle)
        return delivered
