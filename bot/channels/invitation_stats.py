"""How proactive invitations did: shown, accepted and dismissed, per day, page and rule.

Counted from the `invitation` events the widget reports (bot/server/webchat_channel.py), which the
tracker store keeps with every conversation: the store stays the one source, so the counts include
every process and survive restarts. Days are UTC dates; a page is its host and path (the query
string and fragment are left out, so `/product/7?ref=mail` counts as `/product/7`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ACTIONS", "count_invitations", "invitation_events", "invitations_query"]

ACTIONS = ("shown", "accepted", "dismissed")


async def invitation_events(tracker_store: Any, since: float, until: float) -> list[dict[str, Any]]:
    """Every `invitation` event with `since <= timestamp < until`, from any tracker store."""
    if hasattr(tracker_store, "run_in_transaction"):  # SQL: one query instead of reading every conversation

        from bot.stores.sql_tracker_store import events as table

        def read(conn: Any) -> list[dict[str, Any]]:
            query = invitations_query(table, since, until)
            return [{**json.loads(row.data), "timestamp": row.timestamp} for row in conn.execute(query)]

        return await tracker_store.run_in_transaction(read, write=False)
    found: list[dict[str, Any]] = []
    for sender_id in await tracker_store.conversation_ids():
        for event in await tracker_store.get_events(sender_id, since_last_session_start=False):
            if event.get("event") == "invitation" and since <= float(event.get("timestamp") or 0) < until:
                found.append(event)
    return found


def invitations_query(table: Any, since: float, until: float) -> Any:
    """The SQL read of a time range's invitation events.

    The type is written into the statement as a literal, not sent as a parameter: only then may
    SQLite and PostgreSQL (whose generic plans know no parameter values) use the partial index
    that holds just these events (bot/stores/migrations/versions/0003_invitation_index.py).
    """
    import sqlalchemy as sa

    return (sa.select(table.c.timestamp, table.c.data)
            .where(table.c.type_name == sa.literal_column("'invitation'"),
                   table.c.timestamp >= since, table.c.timestamp < until))


def count_invitations(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of {day, page, rule, shown, accepted, dismissed}, sorted by day, page and rule."""
    counts: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in events:
        action = event.get("action")
        if action not in ACTIONS:
            continue
        day = dt.datetime.fromtimestamp(float(event.get("timestamp") or 0), dt.UTC).date().isoformat()
        key = (day, _page(event.get("page")), str(event.get("rule") or ""))
        row = counts.setdefault(key, {"day": key[0], "page": key[1], "rule": key[2],
                                      **{name: 0 for name in ACTIONS}})
        row[action] += 1
    return [counts[key] for key in sorted(counts)]


def _page(url: Any) -> str:
    if not isinstance(url, str) or not url:
        return "(unknown)"
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path or '/'}" if parts.netloc else (parts.path or url)
