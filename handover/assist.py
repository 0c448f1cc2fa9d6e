"""`AgentAssist`: suggestions computed when a customer message arrives, pushed to the agent, answered on GET.

When a customer writes in a conversation a person owns (queued, offered or assigned), the plugin
hands the tracker over at once; the suggestions are computed in a worker thread with the served
model, stored, and pushed on the live feed as a `suggestions` item to whoever sees the
conversation. `GET .../suggestions` answers from what was stored for the customer's latest message
(computing it when nothing was, e.g. for the message that started the handover). Agents report
what they did with a suggestion (used, dismissed); that is stored for the learning loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection

from bot.core.tracker import DialogueStateTracker
from handover import store
from handover.service import HandoverService
from handover.suggestion_store import find_suggestion, load_suggestions, record_feedback, save_suggestions
from handover.suggestions import customer_message, suggest

__all__ = ["AgentAssist"]

logger = logging.getLogger(__name__)


class AgentAssist:
    """Suggestions for agents from the served model, and the record of what agents did with them."""

    def __init__(self, service: HandoverService, processor: Callable[[], Any]) -> None:
        self.service = service
        self.processor = processor  # read at each use: `PUT /model` replaces the served model
        self._tasks: set[asyncio.Task[None]] = set()

    def on_customer_message(self, tracker: DialogueStateTracker, row: Mapping[str, Any] | None) -> None:
        """Starts computing suggestions for the message just stored (the caller holds the conversation lock)."""
        task = asyncio.get_running_loop().create_task(self._push(tracker.copy(), dict(row or {})))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def compute(self, tracker: DialogueStateTracker) -> dict[str, Any]:
        """The suggestions for the tracker's latest customer message, computed now in a worker thread."""
        processor = self.processor()
        result = await asyncio.get_running_loop().run_in_executor(
            None, lambda: suggest(tracker, processor.domain, processor.policies))
        return result.as_dict()

    async def for_tracker(self, tracker: DialogueStateTracker) -> dict[str, Any]:
        """What was stored for the latest customer message, else computed (and stored) now."""
        result = await self.stored_for(tracker)
        if result is not None:
            return result
        result = await self.compute(tracker)
        await self.service.tracker_store.run_in_transaction(
            lambda conn: save_suggestions(conn, result, self.service.clock()))
        return result

    async def stored_for(self, tracker: DialogueStateTracker) -> dict[str, Any] | None:
        """The stored suggestions for the latest customer message; None when there are none."""
        latest = customer_message(tracker)
        if latest is None:
            return {"conversation_id": tracker.sender_id, "for_message": None, "suggestions": []}
        message = latest[1]
        stored = await self.service.tracker_store.run_in_transaction(
            load_suggestions, tracker.sender_id, message["timestamp"], write=False)
        if stored is None:
            return None
        return {"conversation_id": tracker.sender_id, "for_message": message, "suggestions": stored}

    async def feedback(self, agent: str, sender_id: str, suggestion_id: str, action: str) -> bool:
        """Records that `agent` used or dismissed the suggestion; False when no such suggestion was offered."""
        def work(conn: Connection) -> bool:
            suggestion = find_suggestion(conn, sender_id, suggestion_id)
            if suggestion is None:
                return False
            record_feedback(conn, suggestion, agent, action, self.service.clock())
            return True

        return bool(await self.service.tracker_store.run_in_transaction(work))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _push(self, tracker: DialogueStateTracker, row: dict[str, Any]) -> None:
        try:
            result = await self.compute(tracker)
        except Exception:  # the agent still has the message; only the help is missing
            logger.exception("suggestions for %s failed", tracker.sender_id)
            return

        def work(conn: Connection, now: float) -> list[dict[str, Any]]:
            save_suggestions(conn, result, now)
            current = store.load_row(conn, tracker.sender_id) or row
            target = current.get("agent") if current.get("state") == "assigned" else current.get("offered_to")
            return [store.insert_feed(conn, "suggestions", now, result, sender_id=tracker.sender_id, agent=target,
                                      team=current.get("team"))]

        await self.service.record(work)

