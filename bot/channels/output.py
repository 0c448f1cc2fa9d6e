"""The output seam: how anything outside a request (the human side) pushes messages to a customer.

A channel that can reach a customer without being asked (an open WebSocket, a socket.io session,
a platform's send API) implements `OutputChannel` and registers itself in the server's
`OutputChannels` when its blueprint is mounted. The handover engine then delivers an agent's
message or a queue notice with

    outputs.get(channel_name).send(sender_id, [message])

on the channel of the customer's latest message. Messages are dicts in the REST channel's reply
shape (`recipient_id`, `text`, `buttons`, `image`, `custom`, `attachment`, optionally
`metadata` such as `{"agent": {"id": ..., "name": ...}}`), the same shape `handle_message`
returns, so one renderer a channel serves both the bot's and a person's messages.

`send` returns True when the messages reached the customer now, False when nobody is connected:
the caller keeps them in the tracker, and the channel's catch-up shows them on the next connect.

Channels with catch-up (the web chat) show the customer what the tracker store holds: store a
message before sending it, and mark a bot message that must never reach the customer (a bot turn
overtaken by a takeover) with `metadata: {"delivered": false}`, so catch-up leaves it out too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["OutputChannel", "OutputChannels"]


@runtime_checkable
class OutputChannel(Protocol):
    """A channel that can push messages to a customer outside of a request/response turn."""

    name: str

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        """Delivers `messages` to `recipient_id` now; True if delivered, False if nobody is connected."""
        ...


class OutputChannels:
    """The output channels of one server, keyed by channel name (the `input_channel` of user messages)."""

    def __init__(self) -> None:
        self._channels: dict[str, OutputChannel] = {}

    def register(self, output: OutputChannel) -> None:
        """Adds `output` under its name; a second channel under the same name is a programming error."""
        if not isinstance(output, OutputChannel):
            raise TypeError(f"{output!r} is not an OutputChannel (needs a 'name' and an async 'send')")
        existing = self._channels.get(output.name)
        if existing is not None and existing is not output:
            raise ValueError(f"an output channel named '{output.name}' is already registered")
        self._channels[output.name] = output

    def get(self, name: str | None) -> OutputChannel | None:
        """The channel registered under `name`, or None (no such channel, or it cannot push)."""
        if name is None:
            return None
        return self._channels.get(name)

    def names(self) -> list[str]:
        """The registered channel names, sorted."""
        return sorted(self._channels)

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def __iter__(self) -> Iterator[OutputChannel]:
        return iter(list(self._channels.values()))

    def __len__(self) -> int:
        return len(self._channels)
