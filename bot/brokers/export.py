"""`bot export`: sends stored events to the event broker, as `rasa export` does.

Events go out page by page in storage order, so each conversation's events arrive in order, with
the same body and message id the live publisher gives them (a consumer can de-duplicate the two).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.brokers.broker import EventBroker, message_for
from bot.stores.publication import select_events

__all__ = ["ExportResult", "export_events"]


@dataclass
class ExportResult:
    """How many events of how many conversations went to the broker."""

    events: int = 0
    conversations: set[str] = field(default_factory=set)


async def export_events(store: Any, broker: EventBroker, *, conversation_ids: Sequence[str] | None = None,
                        minimum_timestamp: float | None = None, maximum_timestamp: float | None = None,
                        page_size: int = 1000) -> ExportResult:
    """Publishes the matching events (timestamp >= minimum, < maximum; only `conversation_ids` if given)."""
    result = ExportResult()
    after_id = 0
    while True:
        page = await store.run_in_transaction(functools.partial(
            select_events, after_id=after_id, limit=page_size, conversation_ids=conversation_ids,
            minimum_timestamp=minimum_timestamp, maximum_timestamp=maximum_timestamp), write=False)
        if not page:
            return result
        await broker.publish([message_for(event.sender_id, event.seq, event.data) for _, event in page])
        result.events += len(page)
        result.conversations.update(event.sender_id for _, event in page)
        after_id = page[-1][0]
