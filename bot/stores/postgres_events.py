"""The two statements of every message on PostgreSQL, sent straight through asyncpg.

`SQLTrackerStore` keeps SQLAlchemy for opening, migrating and everything else. Appending a turn
and reading a conversation run on every message, and through SQLAlchemy's async layer they cost
~2 ms and ~0.8 ms, most of it in Python; as one prepared statement each on an asyncpg pool they
cost a single round trip (~0.3 ms). The append is one statement (upsert of the conversation's row
and insert of its events in a CTE), so it needs no transaction block and stays atomic.
Both statements mirror the SQLAlchemy ones in `sql_tracker_store`; the store's tests run against
PostgreSQL, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import URL

__all__ = ["PostgresEventLog"]

_APPEND = """
WITH conversation AS (
    INSERT INTO conversations AS c (sender_id, created, last_event_at, last_seq, session_start_seq)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (sender_id) DO UPDATE SET
        last_seq = c.last_seq + $4,
        last_event_at = $3,
        session_start_seq = CASE WHEN $5::integer IS NULL THEN c.session_start_seq ELSE c.last_seq + $5 END
    WHERE $11::integer IS NULL OR c.last_seq = $11::integer
    RETURNING last_seq
)
INSERT INTO events (sender_id, seq, type_name, timestamp, intent_name, action_name, data)
SELECT $1, conversation.last_seq - $4 + e.ord, e.type_name, e.ts, e.intent_name, e.action_name, e.data
FROM conversation,
     unnest($6::varchar[], $7::float8[], $8::varchar[], $9::varchar[], $10::text[])
         WITH ORDINALITY AS e(type_name, ts, intent_name, action_name, data, ord)
RETURNING seq
"""
_READ = """
SELECT c.last_seq, e.data
FROM conversations AS c
LEFT OUTER JOIN events AS e ON e.sender_id = c.sender_id AND {newer}
WHERE c.sender_id = $1
ORDER BY e.seq
"""
_READ_FROM_SESSION_START = _READ.format(newer="e.seq >= COALESCE(c.session_start_seq, 0)")
_READ_AFTER = _READ.format(newer="e.seq > $2")


class PostgresEventLog:
    """An asyncpg pool on the store's database and schema, for appends and reads."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: URL, schema: str | None, max_size: int = 10) -> PostgresEventLog:
        import asyncpg

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        settings = {"search_path": schema} if schema else None
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, server_settings=settings)
        return cls(pool)

    async def append(self, sender_id: str, rows: Sequence[dict[str, Any]], created: float,
                     last_event_at: float, session_offset: int | None, expected_seq: int | None = None) -> int:
        """Appends `rows` (see `sql_tracker_store._row_for`); returns the conversation's new last seq.

        With `expected_seq` the upsert updates only a row still at that seq; when it does not, the
        CTE is empty, nothing is inserted, and `ConcurrentAppend` says where the conversation is.
        (A new conversation with expected_seq 0 is a plain insert; another writer creating it first
        makes the insert a conflict that the WHERE clause refuses unless it is still at 0.)
        """
        seqs = await self._pool.fetch(
            _APPEND, sender_id, created, last_event_at, len(rows), session_offset,
            [row["type_name"] for row in rows], [row["timestamp"] for row in rows],
            [row["intent_name"] for row in rows], [row["action_name"] for row in rows],
            [row["data"] for row in rows], expected_seq)
        if not seqs:
            from bot.shared.errors import ConcurrentAppend

            _, last = await self.read_since(sender_id, 2**31 - 1)
            raise ConcurrentAppend(sender_id, expected_seq if expected_seq is not None else -1, last)
        return max(record[0] for record in seqs)

    async def read_since(self, sender_id: str, after_seq: int | None) -> tuple[list[dict[str, Any]], int]:
        if after_seq is None:
            records = await self._pool.fetch(_READ_FROM_SESSION_START, sender_id)
        else:
            records = await self._pool.fetch(_READ_AFTER, sender_id, after_seq)
        if not records:
            return [], 0
        return [json.loads(record[1]) for record in records if record[1] is not None], int(records[0][0])

    async def close(self) -> None:
        await self._pool.close()
