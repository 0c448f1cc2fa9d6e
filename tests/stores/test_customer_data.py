"""GDPR export and erasure, and retention, on real SQLite, PostgreSQL and Redis (with the handover tables)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from bot.shared.core.events import SessionStarted, SlotSet, UserUttered
from bot.stores import InMemoryLockStore
from bot.stores.customer_data import CustomerData, pseudonym, retention_settings
from bot.stores.publication import pending_conversations
from handover import tables
from handover.customer_data import HOOK
from handover.migrations import upgrade_handover_to_head


@pytest.fixture
async def store(sql_store):
    """The tracker store's database with the handover tables in it."""
    await sql_store.run_in_transaction(upgrade_handover_to_head)
    return sql_store


def _handover_rows(conn, sender_id: str) -> None:
    now = time.time()
    conn.execute(sa.insert(tables.conversations).values(sender_id=sender_id, state="agent", version=3, agent="ann",
                                                        customer_id=sender_id, packet='{"reason": "asked"}',
                                                        updated_at=now))
    conn.execute(sa.insert(tables.notes).values(sender_id=sender_id, agent="ann", text="VIP", created_at=now))
    conn.execute(sa.insert(tables.feed).values(created_at=now, kind="message", sender_id=sender_id, payload="{}"))
    conn.execute(sa.insert(tables.outbox).values(sender_id=sender_id, channel="rest", owner_version=3,
                                                 message='{"text": "hello"}', state="pending", next_attempt_at=now,
                                                 created_at=now))


async def _counts(store, sender_id: str) -> dict[str, int]:
    def count(conn):
        from bot.stores.sql_tracker_store import conversations, events

        result = {}
        for table in (events, conversations, tables.conversations, tables.notes, tables.feed, tables.outbox):
            result[table.name] = conn.scalar(sa.select(sa.func.count()).select_from(table)
                                             .where(table.c.sender_id == sender_id))
        return result

    return await store.run_in_transaction(count, write=False)


async def test_export_holds_every_event_and_handover_record(store) -> None:
    await store.append_events("anna", [SessionStarted().as_dict(), UserUttered("my address is 1 Main St").as_dict()])
    await store.append_events("anna", [SessionStarted().as_dict(), SlotSet("city", "Berlin").as_dict()])
    await store.run_in_transaction(_handover_rows, "anna")
    tools = CustomerData(store, InMemoryLockStore(), hooks=[HOOK])
    data = await tools.export("anna", actor="test")
    events = data["conversations"][0]["events"]
    assert [e["event"] for e in events] == ["session_started", "user", "session_started", "slot"]  # all sessions
    assert data["handover"]["handover_conversations"][0]["packet"] == {"reason": "asked"}
    assert data["handover"]["handover_notes"][0]["text"] == "VIP"
    assert data["handover"]["handover_outbox"][0]["message"] == {"text": "hello"}
    assert await tools.export("nobody", actor="test") is None
    audit = await tools.audit_entries()
    assert [(a["action"], a["subject"], a["actor"]) for a in audit] == [("export_customer", pseudonym("anna"), "test")]


async def test_erase_removes_the_customer_everywhere_and_keeps_the_others(store) -> None:
    for sender in ("anna", "bob"):
        await store.append_events(sender, [UserUttered("hi").as_dict(), SlotSet("phone", "0176").as_dict()])
        await store.run_in_transaction(_handover_rows, sender)
    tools = CustomerData(store, InMemoryLockStore(), hooks=[HOOK])
    erasure = await tools.erase("anna", actor="admin")
    assert erasure.as_dict() == {"conversations": 1, "events": 2, "handover": 4}
    assert set((await _counts(store, "anna")).values()) == {0}
    assert set((await _counts(store, "bob")).values()) == {1, 2}
    assert "anna" not in await store.conversation_ids()
    pending = await store.run_in_transaction(pending_conversations, 10, write=False)
    assert "anna" not in [p.sender_id for p in pending]  # nothing of hers left to publish either
    # The audit entry says what went, not whose data it was.
    entry = (await tools.audit_entries())[-1]
    assert entry["action"] == "erase_customer" and entry["subject"] == pseudonym("anna")
    assert entry["detail"] == {"conversations": 1, "events": 2, "handover": 4}
    assert "anna" not in str(entry)
    # A conversation can start afresh under the same id.
    assert await store.append_events("anna", [UserUttered("hello again").as_dict()]) == 1


@pytest.mark.redis
async def test_erase_removes_the_redis_lock_keys(store, redis_url) -> None:
    import redis.asyncio as aioredis

    from bot.stores.redis_lock_store import RedisLockStore

    prefix = f"test-{time.time_ns()}"
    lock_store = RedisLockStore.from_endpoint({"url": redis_url, "key_prefix": prefix})
    async with lock_store.lock("anna"):
        pass
    client = aioredis.Redis.from_url(redis_url)
    assert await client.keys(f"{prefix}:*anna*")
    await store.append_events("anna", [UserUttered("hi").as_dict()])
    await CustomerData(store, lock_store, hooks=[HOOK]).erase("anna", actor="admin")
    assert await client.keys(f"{prefix}:*anna*") == []
    await client.aclose()
    await lock_store.close()


async def test_retention_erases_only_conversations_idle_long_enough(store) -> None:
    now = time.time()
    day = 86400
    await store.append_events("old", [{**UserUttered("hi").as_dict(), "timestamp": now - 40 * day}])
    await store.append_events("recent", [{**UserUttered("hi").as_dict(), "timestamp": now - 2 * day}])
    await store.run_in_transaction(_handover_rows, "old")
    # last_event_at is when the event was stored: make "old" look stored 40 days ago.
    from bot.stores.sql_tracker_store import conversations

    await store.run_in_transaction(lambda conn: conn.execute(
        sa.update(conversations).where(conversations.c.sender_id == "old").values(last_event_at=now - 40 * day)))
    tools = CustomerData(store, InMemoryLockStore(), hooks=[HOOK])
    erasure = await tools.apply_retention(30, actor="retention", now=now)
    assert erasure.conversations == 1 and erasure.events == 1 and erasure.extensions == {"handover": 4}
    assert await store.conversation_ids() == ["recent"]
    assert set((await _counts(store, "old")).values()) == {0}
    assert (await tools.apply_retention(30, actor="retention", now=now)).conversations == 0
    entries = await tools.audit_entries()
    assert entries[0]["action"] == "retention" and entries[0]["subject"] is None
    assert entries[0]["detail"]["conversations"] == 1


def test_retention_settings_read_endpoints() -> None:
    from bot.shared.errors import InvalidEndpoints

    assert retention_settings(None) == (None, 3600.0)
    assert retention_settings({"type": "sql", "retention_days": 30, "retention_interval_minutes": 5}) == (30.0, 300.0)
    for bad in ("soon", -1, 0, True, "nan"):
        with pytest.raises(InvalidEndpoints, match="retention_days must be a positive number"):
            retention_settings({"retention_days": bad})
