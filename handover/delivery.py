"""The outbox: agent replies and bot notices that leave through a channel's push output.

Rows are written in the same transaction as the message's event. Delivery checks, at send time,
that the conversation's owner version is still the one the message was written under, so nothing
stale reaches a customer after a takeover; a failed send is retried with backoff. Channels that
cannot push (Rasa's REST channel) keep the message in the tracker, where their clients read it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import tables
from handover.service import HandoverService

__all__ = ["Outbox"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (1, 2, 5, 10, 30, 60, 120, 300)


class Outbox:
    """Sends pending outbox rows through the channel outputs of this process."""

    def __init__(self, service: HandoverService, outputs: Any = None, *, poll_seconds: float = 2.0) -> None:
        self.service = service
        self.outputs = outputs  # bot.channels.output.OutputChannels, or anything with .get(name)
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="handover-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
            self._task = None

    async def deliver(self, ids: Sequence[int] = ()) -> None:
        """Tries to send the given rows now (all due rows when none are given)."""
        if not ids:
            rows = await self.service.tracker_store.run_in_transaction(_due, self.service.clock(), write=False)
            ids = [row["id"] for row in rows]
        for row_id in ids:
            await self._send(row_id)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.deliver()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("handover outbox pass failed")

    async def _send(self, row_id: int) -> None:
        now = self.service.clock()
        row = await self.service.tracker_store.run_in_transaction(_claim_current, row_id, now)
        if row is None:
            return
        output = self.outputs.get(row["channel"]) if self.outputs is not None and row["channel"] else None
        if output is None:
            await self._mark(row, "stored", now)  # no push on this channel: the tracker is where it is read
            return
        try:
            delivered = await output.send(row["sender_id"], [json.loads(row["message"])])
        except Exception:
            logger.warning("sending outbox message %s through %s failed", row["id"], row["channel"], exc_info=True)
            delivered = False
        if delivered:
            await self._mark(row, "sent", now)
        elif row["attempts"] + 1 >= MAX_ATTEMPTS:
            await self._mark(row, "failed", now)
        else:
            delay = BACKOFF_SECONDS[min(row["attempts"], len(BACKOFF_SECONDS) - 1)]
            await self.service.tracker_store.run_in_transaction(_retry_later, row["id"], now + delay)

    async def _mark(self, row: dict[str, Any], state: str, now: float) -> None:
        await self.service.tracker_store.run_in_transaction(_mark, row["id"], state, now)


CLAIM_SECONDS = 60.0


def _claimable(now: float) -> Any:
    table = tables.outbox
    return sa.or_(table.c.state == "pending", sa.and_(table.c.state == "sending", table.c.next_attempt_at <= now))


def _claim_current(conn: Connection, row_id: int, now: float) -> dict[str, Any] | None:
    """Claims the row to send it (so two processes never both do), if it is due and still current.

    One transaction: the claim (it lapses after a minute) and the check that the conversation's
    owner version is still the one the message was written under; a stale row is dropped instead.
    """
    table = tables.outbox
    claimed = conn.execute(sa.update(table).where(table.c.id == row_id, _claimable(now))
                           .values(state="sending", next_attempt_at=now + CLAIM_SECONDS)
                           .returning(*table.c)).mappings().first()
    if claimed is None:
        return None
    conversations = tables.conversations
    version = conn.scalar(sa.select(conversations.c.version).where(
        conversations.c.sender_id == claimed["sender_id"])) or 0  # no row: the bot's, version 0
    if version != claimed["owner_version"]:
        _mark(conn, row_id, "dropped", now)  # the owner changed since: never deliver stale messages
        return None
    return dict(claimed)


def _due(conn: Connection, now: float) -> list[dict[str, Any]]:
    table = tables.outbox
    query = sa.select(table.c.id).where(_claimable(now), table.c.next_attempt_at <= now)
    return [dict(row) for row in conn.execute(query.order_by(table.c.id).limit(500)).mappings()]


def _mark(conn: Connection, row_id: int, state: str, now: float) -> None:
    conn.execute(sa.update(tables.outbox).where(tables.outbox.c.id == row_id)
                 .values(state=state, sent_at=now if state == "sent" else None))


def _retry_later(conn: Connection, row_id: int, when: float) -> None:
    conn.execute(sa.update(tables.outbox).where(tables.outbox.c.id == row_id)
                 .values(state="pending", attempts=tables.outbox.c.attempts + 1, next_attempt_at=when))
