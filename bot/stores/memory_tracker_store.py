"""Tracker store in a dict: for tests and throw-away shells (everything is lost on exit)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bot.shared.errors import ConcurrentAppend
from bot.stores.tracker_store import serialise_event


class InMemoryTrackerStore:
    """Keeps each conversation's events (as JSON-equal copies) and where its latest session starts.

    Event number i of a conversation has seq `base + i + 1`; `base` grows when the events are replaced,
    so seq numbers are never handed out twice (as in the SQL store).
    """

    def __init__(self) -> None:
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._session_start: dict[str, int] = {}
        self._last_event_at: dict[str, float] = {}
        self._base: dict[str, int] = {}

    def _last_seq(self, sender_id: str) -> int:
        return self._base.get(sender_id, 0) + len(self._events.get(sender_id, []))

    async def append_events(self, sender_id: str, events: Sequence[Mapping[str, Any]],
                            expected_seq: int | None = None) -> int:
        """Appends copies of the events, so later changes by the caller do not rewrite history."""
        if expected_seq is not None and self._last_seq(sender_id) != expected_seq:
            raise ConcurrentAppend(sender_id, expected_seq, self._last_seq(sender_id))
        if not events:
            return self._last_seq(sender_id)
        # Stored as their JSON round trip, like the SQL store: later changes by the caller do not leak in.
        copies = [json.loads(serialise_event(sender_id, item)[1]) for item in events]
        stored = self._events.setdefault(sender_id, [])
        for data in copies:
            if data["event"] == "session_started":
                self._session_start[sender_id] = len(stored)
            stored.append(data)
        self._last_event_at[sender_id] = time.time()
        return self._last_seq(sender_id)

    async def replace_events(self, sender_id: str, events: Sequence[Mapping[str, Any]]) -> int:
        """Makes `events` the whole conversation; every event is checked before anything changes."""
        copies = [json.loads(serialise_event(sender_id, item)[1]) for item in events]
        old_last = self._last_seq(sender_id)
        self._base[sender_id] = old_last + 1 if sender_id in self._events else 0  # skip one seq: see the protocol
        self._events[sender_id] = []
        self._session_start.pop(sender_id, None)
        self._last_event_at[sender_id] = time.time()
        return await self.append_events(sender_id, copies)

    async def get_events(self, sender_id: str, *, since_last_session_start: bool = True) -> list[dict[str, Any]]:
        """Copies of the events, from the latest session start unless told otherwise."""
        stored = self._events.get(sender_id, [])
        start = self._session_start.get(sender_id, 0) if since_last_session_start else 0
        return copy.deepcopy(stored[start:])

    async def read_since(self, sender_id: str, after_seq: int | None) -> tuple[list[dict[str, Any]], int]:
        stored = self._events.get(sender_id, [])
        if after_seq is None:
            start = self._session_start.get(sender_id, 0)
        else:
            start = max(0, after_seq - self._base.get(sender_id, 0))
        return copy.deepcopy(stored[start:]), self._last_seq(sender_id)

    async def conversation_ids(self) -> list[str]:
        """Sender ids, most recently active first."""
        return sorted(self._events, key=lambda sender: self._last_event_at.get(sender, 0.0), reverse=True)

    async def count_conversations(self) -> int:
        """How many conversations are stored."""
        return len(self._events)

    async def close(self) -> None:
        """Nothing to release."""
