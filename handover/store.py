"""Reads and writes of the handover tables, as synchronous SQLAlchemy functions on one connection.

They run inside `SQLTrackerStore.run_in_transaction`, so an ownership change, the tracker events
it emits, its realtime feed items and its outbox rows commit together or not at all. Ownership is
guarded by its version: an update names the version it read and fails when another process
changed the row meanwhile (`StaleOwnership`); on PostgreSQL the row is also locked while read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.shared.errors import BotError
from handover import tables
from handover.ownership import ConversationState, Ownership

__all__ = ["StaleOwnership", "current_row", "flush_feed", "insert_feed", "insert_outbox", "load_ownership", "load_row",
           "save_ownership"]

_OWNERSHIP_COLUMNS = ("state", "version", "team", "agent", "offered_to", "priority", "reason", "skill",
                      "language", "queued_at", "last_agent")


class StaleOwnership(BotError):
    """Another process changed the conversation's owner between our read and our write."""

    def __init__(self, sender_id: str, expected_version: int) -> None:
        super().__init__(f"the owner of conversation '{sender_id}' changed meanwhile (expected version "
                         f"{expected_version})", hint="reload the conversation and try again")
        self.sender_id = sender_id


def load_row(conn: Connection, sender_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """The conversation's handover row as a dict (JSON columns decoded), or None if it never left the bot."""
    query = sa.select(tables.conversations).where(tables.conversations.c.sender_id == sender_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return decode_row(row) if row is not None else None


def decode_row(row: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(row)
    data["packet"] = json.loads(data.get("packet") or "{}")
    data["labels"] = json.loads(data.get("labels") or "[]")
    data["last_notice"] = json.loads(data["last_notice"]) if data.get("last_notice") else None
    return data


def ownership_of(row: Mapping[str, Any] | None) -> Ownership:
    """The Ownership a row stores; a conversation without a row is the bot's, at version 0."""
    if row is None:
        return Ownership.initial()
    values = {name: row[name] for name in _OWNERSHIP_COLUMNS}
    values["state"] = ConversationState(values["state"])
    return Ownership(**values)


def load_ownership(conn: Connection, sender_id: str, *, for_update: bool = False) -> tuple[Ownership, dict | None]:
    row = load_row(conn, sender_id, for_update=for_update)
    return ownership_of(row), row


def save_ownership(conn: Connection, sender_id: str, ownership: Ownership, expected_version: int,
                   now: float, **fields: Any) -> None:
    """Writes the new ownership (and any other columns) if the row is still at `expected_version`."""
    values: dict[str, Any] = {name: getattr(ownership, name) for name in _OWNERSHIP_COLUMNS}
    values["state"] = str(ownership.state)
    values["updated_at"] = now
    values.update(_encoded(fields))
    table = tables.conversations
    if expected_version == 0:
        exists = conn.scalar(sa.select(table.c.version).where(table.c.sender_id == sender_id))
        if exists is None:
            row = conn.execute(sa.insert(table).values(sender_id=sender_id, **values).returning(*table.c))
            _remember(conn, sender_id, row.mappings().first())
            return
    result = conn.execute(sa.update(table)
                          .where(table.c.sender_id == sender_id, table.c.version == expected_version)
                          .values(**values).returning(*table.c)).mappings().first()
    if result is None:
        raise StaleOwnership(sender_id, expected_version)
    _remember(conn, sender_id, result)


_WRITTEN_ROWS = "handover_written_rows"


def _remember(conn: Connection, sender_id: str, row: Any) -> None:
    """Keeps the row a write of this transaction returned, so `current_row` needs no read of its own."""
    transaction = conn.get_transaction()
    kept: tuple[Any, dict[str, dict[str, Any] | None]] | None = conn.info.get(_WRITTEN_ROWS)
    if kept is None or kept[0] is not transaction:
        kept = conn.info[_WRITTEN_ROWS] = (transaction, {})
    kept[1][sender_id] = dict(row) if row is not None else None


def current_row(conn: Connection, sender_id: str) -> dict[str, Any] | None:
    """The conversation's row as this transaction last wrote it (a read only if it wrote none)."""
    kept = conn.info.get(_WRITTEN_ROWS)
    if kept is not None and kept[0] is conn.get_transaction() and sender_id in kept[1]:
        row = kept[1][sender_id]
        return decode_row(row) if row is not None else None
    return load_row(conn, sender_id)


_JSON_COLUMNS = frozenset({"packet", "labels", "last_notice"})


def _encoded(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Column values as stored: the JSON columns as text."""
    return {key: json.dumps(value) if key in _JSON_COLUMNS else value for key, value in fields.items()}


def update_fields(conn: Connection, sender_id: str, now: float, **fields: Any) -> None:
    """Changes columns that are not ownership (timestamps, packet, labels) without a version check."""
    values = _encoded(fields)
    table = tables.conversations
    row = conn.execute(sa.update(table).where(table.c.sender_id == sender_id)
                       .values(updated_at=now, **values).returning(*table.c)).mappings().first()
    _remember(conn, sender_id, row)


# Any fixed number: the PostgreSQL advisory lock that makes feed ids commit in id order.
FEED_ORDER_LOCK_ID = 7_271_845_302
_PENDING_FEED = "handover_pending_feed"


def insert_feed(conn: Connection, kind: str, now: float, payload: Mapping[str, Any], *, sender_id: str | None = None,
                agent: str | None = None, team: str | None = None) -> dict[str, Any]:
    """A realtime feed item (offer, customer message, queue change, SLA warning) for this transaction.

    The item is written by `flush_feed`, which the transaction calls last, just before it commits;
    the returned dict gets its id then. Items keep the order in which they were added.
    """
    item = {"id": None, "kind": kind, "created_at": now, "conversation_id": sender_id, "agent": agent,
            "team": team, "data": dict(payload)}
    transaction = conn.get_transaction()
    pending: tuple[Any, list[tuple[dict[str, Any], str]]] | None = conn.info.get(_PENDING_FEED)
    if pending is None or pending[0] is not transaction:
        pending = conn.info[_PENDING_FEED] = (transaction, [])
    pending[1].append((item, json.dumps(payload, default=str)))
    return item


def flush_feed(conn: Connection) -> None:
    """Writes the transaction's feed items and fills in their ids; call it as the transaction's last write.

    A sequence hands out ids at insert time, so a transaction holding id 7 could commit after another
    committed id 8, and a console that saw 8 and reconnects with `?after=8` would never get 7. So on
    PostgreSQL the insert first takes a transaction-level advisory lock, in the same statement, and
    holds it until the commit: ids commit in id order. Being the last statement, the lock is held for
    the insert and the commit only, whatever else the transaction did (SQLite has one writer anyway).
    """
    pending = conn.info.pop(_PENDING_FEED, None)
    if pending is None or pending[0] is not conn.get_transaction() or not pending[1]:
        return
    items = pending[1]
    table = tables.feed
    if conn.dialect.name == "postgresql":
        values = sa.values(sa.column("created_at", sa.Float), sa.column("kind", sa.String),
                           sa.column("sender_id", sa.String), sa.column("agent", sa.String),
                           sa.column("team", sa.String), sa.column("payload", sa.Text),
                           sa.column("position", sa.Integer), name="item").data(
            [(item["created_at"], item["kind"], item["conversation_id"], item["agent"], item["team"], text, index)
             for index, (item, text) in enumerate(items)])
        ordered = sa.select(sa.func.pg_advisory_xact_lock(FEED_ORDER_LOCK_ID).label("held")).cte("feed_order")
        rows = (sa.select(values.c.created_at, values.c.kind, values.c.sender_id, values.c.agent, values.c.team,
                          values.c.payload)
                .select_from(ordered).join(values, sa.true()).order_by(values.c.position))
        statement = sa.insert(table).from_select(["created_at", "kind", "sender_id", "agent", "team", "payload"],
                                                 rows).returning(table.c.id)
        # Ids are drawn in `position` order (nextval runs after the sort), so sorted they match the items.
        ids = sorted(int(value) for value in conn.scalars(statement))
    else:
        ids = [int(conn.execute(sa.insert(table).values(
            created_at=item["created_at"], kind=item["kind"], sender_id=item["conversation_id"],
            agent=item["agent"], team=item["team"], payload=text).returning(table.c.id)).scalar_one())
            for item, text in items]
    for (item, _), item_id in zip(items, ids, strict=True):
        item["id"] = item_id


def feed_since(conn: Connection, after_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """Feed items after `after_id`, oldest first (what a reconnecting console missed)."""
    rows = conn.execute(sa.select(tables.feed).where(tables.feed.c.id > after_id)
                        .order_by(tables.feed.c.id).limit(limit)).mappings()
    return [{"id": int(row["id"]), "kind": row["kind"], "created_at": row["created_at"],
             "conversation_id": row["sender_id"], "agent": row["agent"], "team": row["team"],
             "data": json.loads(row["payload"])} for row in rows]


def last_feed_id(conn: Connection) -> int:
    return int(conn.scalar(sa.select(sa.func.max(tables.feed.c.id))) or 0)


def insert_outbox(conn: Connection, sender_id: str, channel: str | None, owner_version: int,
                  messages: Sequence[Mapping[str, Any]], now: float) -> list[int]:
    """Rows for messages a push channel must deliver; they go out only while `owner_version` is current."""
    ids = []
    for message in messages:
        ids.append(int(conn.execute(sa.insert(tables.outbox).values(
            sender_id=sender_id, channel=channel, owner_version=owner_version, message=json.dumps(message),
            state="pending", attempts=0, next_attempt_at=now, created_at=now,
        ).returning(tables.outbox.c.id)).scalar_one()))
    return ids


def list_rows(conn: Connection, *, states: Sequence[str] | None = None, agent: str | None = None,
              teams: Sequence[str] | None = None, limit: int = 500, with_packet: bool = True) -> list[dict[str, Any]]:
    """Handover rows, highest priority then longest waiting first.

    `with_packet=False` leaves the packet out (it reads as {}): routing and the clocks look at every
    waiting row on each pass and need none of it, and decoding hundreds of packets is most of a pass.
    """
    table = tables.conversations
    query = sa.select(table) if with_packet else sa.select(*(c for c in table.c if c.name != "packet"))
    if states:
        query = query.where(table.c.state.in_(list(states)))
    if agent is not None:
        query = query.where(sa.or_(table.c.agent == agent, table.c.offered_to == agent))
    if teams is not None:
        query = query.where(table.c.team.in_(list(teams)))
    query = query.order_by(table.c.priority.desc(), table.c.queued_at.asc().nulls_last(),
                           table.c.updated_at.desc()).limit(limit)
    return [decode_row(row) for row in conn.execute(query).mappings()]


def load_agents(conn: Connection) -> list[dict[str, Any]]:
    """Every enabled agent with what routing needs, and their load (assigned + offered conversations)."""
    agents = tables.agents
    rows = [dict(row) for row in conn.execute(sa.select(agents).where(agents.c.disabled.is_(False))).mappings()]
    load = agent_loads(conn)
    for row in rows:
        for key in ("teams", "skills", "languages"):
            row[key] = json.loads(row[key] or "[]")
        row["load"] = load.get(row["username"], 0)
    return rows


def count_rows(conn: Connection, states: Sequence[str], teams: Sequence[str] | None = None) -> int:
    """How many handover rows are in `states` (of `teams` when given)."""
    table = tables.conversations
    query = sa.select(sa.func.count()).select_from(table).where(table.c.state.in_(list(states)))
    if teams is not None:
        query = query.where(table.c.team.in_(list(teams)))
    return int(conn.scalar(query) or 0)


def agent_loads(conn: Connection) -> dict[str, int]:
    """username -> conversations assigned or offered to them."""
    table = tables.conversations
    who = sa.case((table.c.state == "assigned", table.c.agent), else_=table.c.offered_to)
    query = (sa.select(who.label("who"), sa.func.count()).where(table.c.state.in_(["assigned", "offered"]))
             .group_by(who))
    return {row[0]: int(row[1]) for row in conn.execute(query) if row[0] is not None}


def lock_agent(conn: Connection, username: str) -> dict[str, Any] | None:
    """The agent's row, locked on PostgreSQL until the transaction ends (SQLite's writer lock covers it)."""
    query = sa.select(tables.agents).where(tables.agents.c.username == username)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def offer_expired_since(conn: Connection, sender_id: str, agent: str, since: float) -> bool:
    """Whether the conversation's offer to `agent` expired at or after `since` (its tracker says so)."""
    from bot.stores.sql_tracker_store import events

    query = (sa.select(events.c.data).where(events.c.sender_id == sender_id,
                                            events.c.type_name == "handover_offer_expired",
                                            events.c.timestamp >= since)
             .order_by(events.c.seq.desc()).limit(20))
    return any(json.loads(data).get("agent") == agent for data in conn.scalars(query))


def set_agent_status(conn: Connection, username: str, status: str, now: float) -> None:
    conn.execute(sa.update(tables.agents).where(tables.agents.c.username == username)
                 .values(status=status, status_changed_at=now))


def recent_handle_seconds(conn: Connection, team: str | None, limit: int = 50) -> list[float]:
    """How long the latest finished handlings of the team took (assignment to end), newest first."""
    table = tables.handlings
    query = (sa.select(table.c.ended_at - table.c.assigned_at)
             .where(table.c.assigned_at.is_not(None), table.c.outcome != "cancelled")
             .order_by(table.c.ended_at.desc()).limit(limit))
    if team is not None:
        query = query.where(table.c.team == team)
    return [float(value) for value in conn.scalars(query)]


def record_handling(conn: Connection, sender_id: str, row: Mapping[str, Any] | None, outcome: str,
                    now: float, before: Ownership | None = None) -> None:
    """A finished handling (handed back, resolved, cancelled), for expected waits, KPIs and the customer's
    next packet. `before` is the ownership it ended from: the row itself is the bot's again by now."""
    row = dict(row or {})
    if before is not None:
        row.update(agent=before.agent, team=before.team, queued_at=before.queued_at,
                   reason=before.reason)
    conn.execute(sa.insert(tables.handlings).values(
        sender_id=sender_id, agent=row.get("agent"), team=row.get("team"), queued_at=row.get("queued_at"),
        assigned_at=row.get("assigned_at"), ended_at=now, outcome=outcome, reason=row.get("reason"),
        channel=row.get("channel"), last_intent=row.get("last_intent") or _last_packet_intent(row)))


def previous_conversations(conn: Connection, sender_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The customer's earlier handlings by people, newest first, as the packet lists them.

    The customer is the conversation's sender id: a phone number or chat id on messaging channels,
    and on the web chat the conversation a signed customer id maps to on every device.
    """
    table = tables.handlings
    rows = conn.execute(sa.select(table).where(table.c.sender_id == sender_id)
                        .order_by(table.c.ended_at.desc(), table.c.id.desc()).limit(limit)).mappings()
    return [{"id": int(row["id"]), "conversation_id": row["sender_id"],
             "started_at": row["queued_at"] if row["queued_at"] is not None else row["assigned_at"],
             "ended_at": row["ended_at"], "reason": row["reason"], "resolution": row["outcome"],
             "agent": row["agent"], "team": row["team"], "channel": row["channel"],
             "summary": {"last_intent": row["last_intent"]}} for row in rows]


def _last_packet_intent(row: Mapping[str, Any]) -> str | None:
    messages = (row.get("packet") or {}).get("messages") or []
    return ((messages[-1].get("intent") or {}).get("name")) if messages else None


def breach_recorded(conn: Connection, sender_id: str, kind: str, due: float) -> bool:
    table = tables.sla_breaches
    return conn.scalar(sa.select(sa.func.count()).select_from(table).where(
        table.c.sender_id == sender_id, table.c.kind == kind, table.c.due == due)) > 0


def record_breach(conn: Connection, sender_id: str, kind: str, due: float, now: float, agent: str | None,
                  team: str | None) -> None:
    conn.execute(sa.insert(tables.sla_breaches).values(sender_id=sender_id, kind=kind, due=due, recorded_at=now,
                                                       agent=agent, team=team))
