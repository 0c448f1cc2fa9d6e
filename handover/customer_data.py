"""The handover's part of GDPR export and erasure (bot.stores.customer_data runs it in its transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.stores.customer_data import CustomerDataHook
from handover import tables

# Every handover table with rows about a conversation (agents, teams and canned replies have none).
_PER_CUSTOMER = (tables.conversations, tables.notes, tables.handlings, tables.sla_breaches, tables.feed,
                 tables.outbox)
_JSON_COLUMNS = {"packet", "labels", "payload", "message", "last_notice"}


def _export(conn: Connection, customer_id: str) -> dict[str, Any]:
    if not sa.inspect(conn).has_table(tables.conversations.name):
        return {}
    records = {}
    for table in _PER_CUSTOMER:
        rows = conn.execute(sa.select(table).where(table.c.sender_id == customer_id)).mappings().all()
        if rows:
            records[table.name] = [{key: _decoded(key, value) for key, value in row.items()} for row in rows]
    return records


def _erase(conn: Connection, customer_ids: Sequence[str]) -> int:
    if not sa.inspect(conn).has_table(tables.conversations.name):
        return 0
    return sum(conn.execute(sa.delete(table).where(table.c.sender_id.in_(list(customer_ids)))).rowcount
               for table in _PER_CUSTOMER)


def _decoded(key: str, value: Any) -> Any:
    if key in _JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


HOOK = CustomerDataHook("handover", _export, _erase)
