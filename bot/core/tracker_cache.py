"""The processor's cache of recent trackers, bounded by conversations and by the events they hold.

A tracker kept between messages saves reading and replaying its session on the next message. A
count of conversations alone did not bound memory: a long conversation with the example's parse
data (intent ranking, entities, response selector) holds ~1-2 KB per event, and 1,000 cached
conversations of 20 messages grew a process by ~150 MB. The oldest trackers go first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["DEFAULT_MAX_CONVERSATIONS", "DEFAULT_MAX_EVENTS", "TrackerCache"]

DEFAULT_MAX_CONVERSATIONS = 1000
DEFAULT_MAX_EVENTS = 30_000  # ~30-60 MB at the example assistant's event sizes


class TrackerCache(OrderedDict[str, tuple[int, Any]]):
    """sender -> (stored seq, tracker), least recently stored first; evicts past either bound."""

    def __init__(self, max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
                 max_events: int = DEFAULT_MAX_EVENTS) -> None:
        super().__init__()
        self.max_conversations = max_conversations
        self.max_events = max_events
        self.events = 0  # events of every cached tracker, as counted when it was stored

    def __setitem__(self, sender_id: str, entry: tuple[int, Any]) -> None:
        if sender_id in self:
            self.events -= _size(self[sender_id])
            self.move_to_end(sender_id)
        super().__setitem__(sender_id, entry)
        self.events += _size(entry)
        while len(self) > 1 and (len(self) > self.max_conversations or self.events > self.max_events):
            self.popitem(last=False)

    def __delitem__(self, sender_id: str) -> None:
        self.events -= _size(self[sender_id])
        super().__delitem__(sender_id)

    def pop(self, sender_id: str, *default: Any) -> Any:  # type: ignore[override]
        if sender_id not in self:
            return default[0] if default else super().pop(sender_id)
        entry = self[sender_id]
        del self[sender_id]
        return entry

    def popitem(self, last: bool = True) -> tuple[str, tuple[int, Any]]:
        sender_id = next(reversed(self)) if last else next(iter(self))
        entry = self.pop(sender_id)
        return sender_id, entry


def _size(entry: tuple[int, Any]) -> int:
    return len(entry[1].events)
