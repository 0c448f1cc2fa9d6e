"""Reads and writes of the agent-assist tables, as synchronous functions on one connection.

`handover_suggestions` keeps every suggestion offered for a customer message (so any process can
answer a later GET, and a used/dismissed report names a suggestion that was really shown);
`handover_suggestion_feedback` keeps one row per use or dismissal, for the learning loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from handover import tables

__all__ = ["FEEDBACK_ACTIONS", "find_suggestion", "load_suggestions", "record_feedback", "save_suggestions"]

FEEDBACK_ACTIONS = ("used", "dismissed")


def save_suggestions(conn: Connection, result: Mapping[str, Any], now: float) -> None:
    """Stores the suggestions for one message; ones stored already (another process computed them) stay."""
    message = result.get("for_message")
    if not message or not result.get("suggestions"):
        return
    rows = [{"id": item["id"], "sender_id": result["conversation_id"], "message_timestamp": message["timestamp"],
             "message_text": message.get("text"), "intent": (message.get("intent") or {}).get("name"),
             "position": position, "text": item["text"], "response": item["response"], "source": item["source"],
             "confidence": item["confidence"], "created_at": now}
            for position, item in enumerate(result["suggestions"])]
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(tables.suggestions)
    conn.execute(insert.values(rows).on_conflict_do_nothing(index_elements=["id"]))


def load_suggestions(conn: Connection, sender_id: str, message_timestamp: float) -> list[dict[str, Any]] | None:
    """The suggestions stored for that message, best first; None when none were stored."""
    table = tables.suggestions
    rows = conn.execute(sa.select(table).where(table.c.sender_id == sender_id,
                                               table.c.message_timestamp == message_timestamp)
                        .order_by(table.c.position, table.c.id)).mappings().all()
    if not rows:
        return None
    return [{key: row[key] for key in ("id", "text", "response", "source", "confidence")} for row in rows]


def find_suggestion(conn: Connection, sender_id: str, suggestion_id: str) -> dict[str, Any] | None:
    table = tables.suggestions
    row = conn.execute(sa.select(table).where(table.c.id == suggestion_id, table.c.sender_id == sender_id)
                       ).mappings().first()
    return dict(row) if row is not None else None


def record_feedback(conn: Connection, suggestion: Mapping[str, Any], agent: str, action: str, now: float) -> None:
    """One use or dismissal of a suggestion by an agent, with what it said and which response it was."""
    if action not in FEEDBACK_ACTIONS:
        raise ValueError(f"action must be one of {FEEDBACK_ACTIONS}, not {action!r}")
    conn.execute(sa.insert(tables.suggestion_feedback).values(
        suggestion_id=suggestion["id"], sender_id=suggestion["sender_id"], agent=agent, action=action,
        text=suggestion["text"], response=suggestion["response"], source=suggestion["source"],
        confidence=suggestion["confidence"], message_text=suggestion.get("message_text"),
        intent=suggestion.get("intent"), created_at=now))
