"""The event outbox in the tracker store's database: which events the broker has not confirmed yet.

A conversation's `published_seq` says how far its events went out. The append that stores events
raises `last_seq` in the same transaction, so "stored" and "owed to the broker" can never
disagree, and the conversation's lock (its row) orders them. The functions here run inside
`SQLTrackerStore.run_in_transaction`; `bot.brokers.outbox` drives them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.stores.sql_tracker_store import conversations, events

__all__ = ["PendingConversation", "StoredEvent", "begin_publishing", "mark_published", "pending_conversations",
           "read_events", "select_events"]

_broker_state = sa.Table(
    "event_broker_state", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("publishing_since", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class PendingConversation:
    """A conversation with events the broker has not confirmed: those numbered above `published_seq`."""

    sender_id: str
    published_seq: int
    last_seq: int


@dataclass(frozen=True)
class StoredEvent:
    """One stored event with its conversation and number (the pair identifies it for consumers)."""

    sender_id: str
    seq: int
    data: dict[str, Any]


def begin_publishing(conn: Connection) -> bool:
    """On the first start of any event broker, marks everything already stored as published.

    Events from before a broker existed are history: `bot export` sends those on request.
    Returns whether this call began publishing (False when it had begun before).
    """
    if conn.scalar(sa.select(_broker_state.c.publishing_since).where(_broker_state.c.id == 1)) is not None:
        return False
    conn.execute(sa.insert(_broker_state).values(id=1, publishing_since=time.time()))
    conn.execute(sa.update(conversations).values(published_seq=conversations.c.last_seq)
                 .where(conversations.c.last_seq > conversations.c.published_seq))
    return True


def pending_conversations(conn: Connection, limit: int) -> list[PendingConversation]:
    """Conversations with unpublished events, those waiting longest first (served by a partial index)."""
    query = (sa.select(conversations.c.sender_id, conversations.c.published_seq, conversations.c.last_seq)
             .where(conversations.c.last_seq > conversations.c.published_seq)
             .order_by(conversations.c.last_event_at).limit(limit))
    return [PendingConversation(sender, int(published), int(last)) for sender, published, last in conn.execute(query)]


def read_events(conn: Connection, sender_id: str, after_seq: int, up_to_seq: int) -> list[StoredEvent]:
    """The conversation's events numbered after_seq < seq <= up_to_seq, in order."""
    query = (sa.select(events.c.seq, events.c.data)
             .where(events.c.sender_id == sender_id, events.c.seq > after_seq, events.c.seq <= up_to_seq)
             .order_by(events.c.seq))
    return [StoredEvent(sender_id, int(seq), json.loads(data)) for seq, data in conn.execute(query)]


def mark_published(conn: Connection, progress: Iterable[tuple[str, int]]) -> None:
    """Records that each conversation's events up to the given seq were confirmed (never moves back)."""
    for sender_id, seq in progress:
        conn.execute(sa.update(conversations).values(published_seq=seq)
                     .where(conversations.c.sender_id == sender_id, conversations.c.published_seq < seq))


def select_events(conn: Connection, *, after_id: int, limit: int, conversation_ids: Sequence[str] | None = None,
                  minimum_timestamp: float | None = None, maximum_timestamp: float | None = None
                  ) -> list[tuple[int, StoredEvent]]:
    """A page of stored events for `bot export`, in storage order (so in order per conversation).

    Filters as `rasa export`: timestamp >= minimum and < maximum, only the given conversations.
    Returns (row id, event) pairs; the last row id is the next page's `after_id`.
    """
    query = sa.select(events.c.id, events.c.sender_id, events.c.seq, events.c.data).where(events.c.id > after_id)
    if conversation_ids is not None:
        query = query.where(events.c.sender_id.in_(list(conversation_ids)))
    if minimum_timestamp is not None:
        query = query.where(events.c.timestamp >= minimum_timestamp)
    if maximum_timestamp is not None:
        query = query.where(events.c.timestamp < maximum_timestamp)
    rows = conn.execute(query.order_by(events.c.id).limit(limit))
    return [(int(row_id), StoredEvent(sender, int(seq), json.loads(data))) for row_id, sender, seq, data in rows]
