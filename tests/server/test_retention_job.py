"""`tracker_store: retention_days`: the server erases idle conversations in the background."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa

from bot.shared.endpoints import load_endpoints_text
from bot.stores.sql_tracker_store import conversations


async def test_the_server_erases_conversations_past_retention(make_agent) -> None:
    endpoints = load_endpoints_text("tracker_store:\n  type: sql\n  retention_days: 30\n"
                                    "  retention_interval_minutes: 0.01\n")
    agent = make_agent(endpoints=endpoints)
    store = agent.processor.tracker_store
    await agent.handle_text("hello", sender_id="old")
    await agent.handle_text("hello", sender_id="new")
    await store.run_in_transaction(lambda conn: conn.execute(
        sa.update(conversations).where(conversations.c.sender_id == "old")
        .values(last_event_at=time.time() - 31 * 86400)))
    await agent.start_background()
    try:
        for _ in range(300):
            if await store.conversation_ids() == ["new"]:
                break
            await asyncio.sleep(0.1)
    finally:
        await agent.close()
    assert await store.conversation_ids() == ["new"]
