"""GDPR tools: everything stored about one customer, exported or erased, and retention.

A customer is a conversation (its sender id): the channels give each customer one. Their data
sits in the tracker store (events, the conversation's row, which is also its event-broker outbox),
in the lock store (lock keys named after the conversation) and, with the human handover, in its
tables. Extensions add their tables through a `CustomerDataHook` whose functions run in the same
transaction as the tracker's part, so an erasure removes everything or nothing.

Every export and erasure writes an `audit_log` row (the action, who asked, what was removed)
naming the customer only by a pseudonym, so the log keeps no personal data after the erasure.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.shared.errors import InvalidEndpoints
from bot.stores.sql_tracker_store import conversations, events

__all__ = ["CustomerData", "CustomerDataHook", "Erasure", "audit_log", "customer_data_hooks", "pseudonym",
           "retention_settings"]

logger = logging.getLogger(__name__)

audit_log = sa.Table(
    "audit_log", sa.MetaData(),
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(64), nullable=True),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)
_HOOK_MODULES = ("handover.customer_data",)  # extensions with customer data of their own
_RETENTION_BATCH = 200
DEFAULT_RETENTION_INTERVAL = 3600.0  # seconds between `bot run`'s retention passes


@dataclass(frozen=True)
class CustomerDataHook:
    """An extension's part: `export(conn, id)` returns its records; `erase(conn, ids)` deletes them
    and returns how many rows went. Both run inside the tracker store's transaction."""

    name: str
    export: Callable[[Connection, str], dict[str, Any]]
    erase: Callable[[Connection, Sequence[str]], int]


@dataclass
class Erasure:
    """What an erasure removed, by kind (no personal data: safe to log and return)."""

    conversations: int = 0
    events: int = 0
    extensions: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"conversations": self.conversations, "events": self.events, **self.extensions}


def pseudonym(customer_id: str) -> str:
    """A stable short hash of a customer id: audit entries and logs can be joined without the id."""
    return hashlib.sha256(customer_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def customer_data_hooks() -> list[CustomerDataHook]:
    """The hooks of the installed extensions (the human handover); none without them."""
    hooks = []
    for name in _HOOK_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name is not None and name.startswith(missing.name):
                continue
            raise
        hooks.append(module.HOOK)
    return hooks


def retention_settings(section: Any) -> tuple[float | None, float]:
    """endpoints.yml's `tracker_store: retention_days` (None: keep forever) and the seconds between
    passes (`retention_interval_minutes`, default 60)."""
    from bot.stores.tracker_store import endpoint_section

    config, location = endpoint_section(section)
    days = _positive(config.get("retention_days"), "retention_days", location)
    minutes = _positive(config.get("retention_interval_minutes"), "retention_interval_minutes", location)
    return days, DEFAULT_RETENTION_INTERVAL if minutes is None else minutes * 60


def _positive(raw: Any, key: str, location: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (value > 0 and math.isfinite(value)) or isinstance(raw, bool):
        raise InvalidEndpoints(f"tracker_store: {key} must be a positive number, not '{raw}'", location=location,
                               hint=f"e.g. '{key}: 30', or leave it out to keep conversations forever")
    return value


class CustomerData:
    """Export, erasure and retention over one tracker store (SQL), lock store and the extensions' hooks."""

    def __init__(self, tracker_store: Any, lock_store: Any, hooks: Sequence[CustomerDataHook] | None = None) -> None:
        self.tracker_store = tracker_store
        self.lock_store = lock_store
        self.hooks = list(customer_data_hooks() if hooks is None else hooks)

    async def export(self, customer_id: str, *, actor: str) -> dict[str, Any] | None:
        """Everything stored about the customer as JSON-ready data; None when nothing is stored."""
        data = await self.tracker_store.run_in_transaction(self._export, customer_id, actor)
        if data is not None:
            logger.info("customer data exported: subject %s, by %s", pseudonym(customer_id), actor)
        return data

    def _export(self, conn: Connection, customer_id: str, actor: str) -> dict[str, Any] | None:
        rows = conn.execute(sa.select(events.c.data).where(events.c.sender_id == customer_id)
                            .order_by(events.c.seq)).scalars().all()
        extensions = {hook.name: hook.export(conn, customer_id) for hook in self.hooks}
        if not rows and not any(extensions.values()):
            return None
        _audit(conn, "export_customer", customer_id, actor, {"events": len(rows)})
        return {"customer_id": customer_id, "exported_at": time.time(),
                "conversations": [{"sender_id": customer_id, "events": [json.loads(row) for row in rows]}],
                **extensions}

    async def erase(self, customer_id: str, *, actor: str) -> Erasure:
        """Removes everything stored about the customer, holding the conversation's lock (no turn
        can write meanwhile); afterwards its lock keys go too."""
        async with self.lock_store.lock(customer_id):
            erasure = await self.tracker_store.run_in_transaction(self._erase, [customer_id], actor, customer_id)
        forget = getattr(self.lock_store, "forget", None)
        if forget is not None:
            await forget(customer_id)
        logger.info("customer data erased: subject %s, by %s: %s", pseudonym(customer_id), actor,
                    json.dumps(erasure.as_dict()))
        return erasure

    def _erase(self, conn: Connection, ids: Sequence[str], actor: str, subject: str | None,
               older_than: float | None = None) -> Erasure:
        erasure = Erasure()
        if older_than is not None:  # retention: skip a conversation that came back to life meanwhile
            ids = list(conn.execute(sa.select(conversations.c.sender_id).where(
                conversations.c.sender_id.in_(ids), conversations.c.last_event_at < older_than)).scalars())
        if ids:
            erasure.events = conn.execute(sa.delete(events).where(events.c.sender_id.in_(ids))).rowcount
            erasure.conversations = conn.execute(
                sa.delete(conversations).where(conversations.c.sender_id.in_(ids))).rowcount
            erasure.extensions = {hook.name: hook.erase(conn, ids) for hook in self.hooks}
        detail = erasure.as_dict()
        if older_than is not None:
            detail["older_than"] = older_than
        _audit(conn, "erase_customer" if subject is not None else "retention", subject, actor, detail)
        return erasure

    async def apply_retention(self, days: float, *, actor: str, now: float | None = None) -> Erasure:
        """Erases the conversations whose last event is more than `days` old; returns what went."""
        cutoff = (time.time() if now is None else now) - days * 86400
        total = Erasure()
        while True:
            ids = await self.tracker_store.run_in_transaction(_idle_conversations, cutoff, _RETENTION_BATCH,
                                                              write=False)
            if not ids:
                break
            batch = await self.tracker_store.run_in_transaction(self._erase, ids, actor, None, cutoff)
            total.conversations += batch.conversations
            total.events += batch.events
            for name, count in batch.extensions.items():
                total.extensions[name] = total.extensions.get(name, 0) + count
            if batch.conversations == 0:
                break  # every candidate came back to life: nothing more is old enough
        if total.conversations:
            logger.info("retention: erased %d conversation(s) idle for more than %g day(s): %s",
                        total.conversations, days, json.dumps(total.as_dict()))
        return total

    async def audit_entries(self) -> list[dict[str, Any]]:
        """The audit log, oldest first."""
        def read(conn: Connection) -> list[dict[str, Any]]:
            rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings()
            return [{**row, "detail": json.loads(row["detail"])} for row in rows]

        return await self.tracker_store.run_in_transaction(read, write=False)


def _idle_conversations(conn: Connection, cutoff: float, limit: int) -> list[str]:
    return list(conn.execute(sa.select(conversations.c.sender_id).where(conversations.c.last_event_at < cutoff)
                             .order_by(conversations.c.last_event_at).limit(limit)).scalars())


def _audit(conn: Connection, action: str, subject: str | None, actor: str, detail: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(audit_log).values(at=time.time(), action=action, actor=actor,
                                             subject=pseudonym(subject) if subject is not None else None,
                                             detail=json.dumps(dict(detail))))
