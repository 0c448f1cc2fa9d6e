"""Publishes stored events to the event broker: once each, in order per conversation, none lost.

The outbox is the tracker store itself (`bot.stores.publication`): an event is owed to the broker
from the moment it is stored until the broker confirms it. While the broker is down, events wait
there, through restarts too, and go out in order when it is back. One process publishes at a time
(a PostgreSQL advisory lock, or a lock file beside the SQLite database); the others stand by and
take over when it stops, so several `bot run` processes never publish an event twice or out of order.
A process that dies after the broker confirmed an event but before recording it sends that event
again on restart: each message carries `message_id` "<sender_id>:<seq>" for consumers to de-duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.brokers.broker import BrokerUnavailable, EventBroker, message_for
from bot.shared.tasks import cancel_and_wait
from bot.stores.publication import (
    PendingConversation,
    StoredEvent,
    begin_publishing,
    mark_published,
    pending_conversations,
    read_events,
)

__all__ = ["OutboxPublisher"]

logger = logging.getLogger(__name__)

_PUBLISHER_LOCK_ID = zlib.crc32(b"bot event publisher")


class OutboxPublisher:
    """Background task of `bot run` that drains the outbox into the broker (see the module docstring)."""

    def __init__(self, store: Any, broker: EventBroker, *, conversations_per_round: int = 64,
                 events_per_conversation: int = 200, poll_interval: float = 0.5, max_backoff: float = 30.0) -> None:
        self.store = store
        self.broker = broker
        self.conversations_per_round = conversations_per_round
        self.events_per_conversation = events_per_conversation
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._leader = _Leadership(store)
        self._outage: str | None = None  # what went wrong, while the broker is down

    async def on_events(self, sender_id: str, events: Sequence[Any], tracker: Any) -> None:
        """The processor's listener hook: new events are stored, so there is something to publish."""
        self._wake.set()

    async def start(self) -> None:
        """Starts publishing in the background; says at once if the broker is unreachable."""
        if await self.store.run_in_transaction(begin_publishing):
            logger.info("event broker: publishing begins; events stored before now go out with 'bot export'")
        try:
            await self.broker.connect()
        except BrokerUnavailable as error:
            self._note_outage(error)
        self._task = asyncio.create_task(self._run(), name="event-publisher")

    async def stop(self) -> None:
        """Stops after the round in flight (what it published is recorded) and closes the broker."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        await self._leader.release()
        await self.broker.close()

    async def publish_pending(self) -> int:
        """One round: the oldest waiting conversations, each in order; returns how many events went out.

        Raises BrokerUnavailable after recording what the broker confirmed before it failed.
        """
        pending = await self.store.run_in_transaction(pending_conversations, self.conversations_per_round, write=False)
        if not pending:
            return 0
        batches = await self.store.run_in_transaction(_read_batches, pending, self.events_per_conversation,
                                                      write=False)
        # Conversations go out side by side; the events of one conversation one after the other.
        results = await asyncio.gather(*(self._publish(batch) for _, _, batch in batches))
        progress = []
        for (sender_id, up_to, batch), (count, error) in zip(batches, results, strict=True):
            if error is None:
                progress.append((sender_id, up_to))  # the whole range, also seqs without an event
            elif count:
                progress.append((sender_id, batch[count - 1].seq))
        if progress:
            await self.store.run_in_transaction(mark_published, progress)
        failure = next((error for _, error in results if error is not None), None)
        if failure is not None:
            raise failure
        return sum(count for count, _ in results)

    async def _publish(self, batch: list[StoredEvent]) -> tuple[int, BrokerUnavailable | None]:
        if not batch:
            return 0, None
        try:
            await self.broker.publish([message_for(e.sender_id, e.seq, e.data) for e in batch])
        except BrokerUnavailable as error:
            return error.published, error
        return len(batch), None

    async def _run(self) -> None:
        backoff = self.poll_interval
        while True:
            try:
                if not await self._leader.acquire():
                    await self._sleep(self.poll_interval * 4)  # another process publishes; stand by
                    continue
                published = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except BrokerUnavailable as error:
                self._note_outage(error)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            except Exception:  # the tracker store failing: keep trying, the events are safe there
                logger.exception("event broker: reading the outbox failed; retrying")
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = self.poll_interval
            if published:
                if self._outage is not None:
                    logger.warning("event broker is reachable again; the events that waited are being published")
                    self._outage = None
                continue  # there may be more
            await self._sleep(self.poll_interval)

    def _note_outage(self, error: BrokerUnavailable) -> None:
        if self._outage is None:
            logger.warning("event broker unavailable (%s): events wait in the tracker store and are published, "
                           "in order, when it is back", error.message)
        self._outage = error.message

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()


def _read_batches(conn: Any, pending: list[PendingConversation], limit: int
                  ) -> list[tuple[str, int, list[StoredEvent]]]:
    """Each conversation's next events: (sender id, the seq the batch reaches, its events). A range
    may hold fewer events than seqs: replacing a conversation's events (the API) skips a number."""
    batches = []
    for p in pending:
        up_to = min(p.last_seq, p.published_seq + limit)
        batches.append((p.sender_id, up_to, read_events(conn, p.sender_id, p.published_seq, up_to)))
    return batches


class _Leadership:
    """Whether this process is the one that publishes: PostgreSQL advisory lock or an SQLite lock file."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._connection: Any = None  # PostgreSQL: the session that holds the advisory lock
        self._file: int | None = None  # SQLite: the descriptor holding the flock

    async def acquire(self) -> bool:
        if self.store.dialect == "postgresql":
            return await self._acquire_postgres()
        return self._acquire_file()

    async def _acquire_postgres(self) -> bool:
        import asyncpg

        if self._connection is not None and not self._connection.is_closed():
            return True
        self._connection = None
        dsn = self.store.url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", _PUBLISHER_LOCK_ID):
            self._connection = connection
            return True
        await connection.close()
        return False

    def _acquire_file(self) -> bool:
        import fcntl

        if self._file is not None:
            return True
        database = self.store.url.database
        if not database or database == ":memory:":
            return True  # a private database: no other process can publish from it
        descriptor = os.open(Path(f"{database}.publisher.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._file = descriptor
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()  # ends the session, which releases its advisory lock
        descriptor, self._file = self._file, None
        if descriptor is not None:
            os.close(descriptor)  # closing releases the flock
