"""What every event broker does: take a conversation's events, in order, and say when they are safe.

A broker publishes Rasa's event JSON (the event's dict plus `sender_id`) and returns only once the
broker confirmed it; anything else raises `BrokerUnavailable`, and the outbox keeps the event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from bot.shared.errors import BotError

__all__ = ["BrokerMessage", "BrokerUnavailable", "EventBroker", "message_for"]


class BrokerUnavailable(BotError):
    """The broker could not take or confirm a message (down, unreachable, refused).

    `published` counts the messages of the failed `publish` call that were confirmed before it failed.
    """

    def __init__(self, message: str, *, published: int = 0, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.published = published


@dataclass(frozen=True)
class BrokerMessage:
    """One event as it goes out: Rasa's JSON body, the conversation it belongs to and an id for de-duplication."""

    sender_id: str
    body: bytes
    message_id: str  # "<sender_id>:<seq>": the same event always gets the same id


def message_for(sender_id: str, seq: int, event: dict[str, Any]) -> BrokerMessage:
    """The event as Rasa's brokers publish it: its dict with `sender_id` added."""
    data = {**event, "sender_id": sender_id}
    return BrokerMessage(sender_id, json.dumps(data, ensure_ascii=False).encode(), f"{sender_id}:{seq}")


class EventBroker(Protocol):
    """A connection to RabbitMQ, Kafka, ...; `publish` returns once the broker has the messages."""

    async def connect(self) -> None:
        """Opens the connection (and declares what the broker needs); raises BrokerUnavailable."""
        ...

    async def publish(self, messages: list[BrokerMessage]) -> None:
        """Publishes in the given order, each confirmed before the next; stops at the first failure
        and raises BrokerUnavailable (how many were confirmed is in its `published` attribute)."""
        ...

    async def close(self) -> None:
        """Closes the connection."""
        ...
