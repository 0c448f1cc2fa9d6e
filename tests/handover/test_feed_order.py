"""The live feed's ids: they commit in id order (so `?after=N` never misses a later commit below N), and
the items of one change are published in id order (so a console does not read the table for a "gap")."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from bot.stores.sql_tracker_store import SQLTrackerStore
from handover import store
from handover.migrations import upgrade_handover_to_head
from handover.ownership import Escalate
from handover.routing import Router, RoutingSettings

WAIT = 60.0  # generous: the machine may be busy


class _Writer(threading.Thread):
    """One process's transaction, in its own thread and event loop, that writes a feed item.

    With `hold`, the transaction stays open after its insert until `release` is set.
    """

    def __init__(self, url: str, schema: str, kind: str, *, hold: bool = False) -> None:
        super().__init__(daemon=True)
        self.url, self.schema, self.kind, self.hold = url, schema, kind, hold
        self.inserted = threading.Event()
        self.release = threading.Event()
        self.item_id: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._write())
        except BaseException as error:  # reported by the test
            self.error = error

    async def _write(self) -> None:
        writer = SQLTrackerStore(self.url, schema=self.schema)
        try:
            def work(conn: Any) -> None:
                item = store.insert_feed(conn, self.kind, 0.0, {})
                store.flush_feed(conn)
                self.item_id = item["id"]
                self.inserted.set()
                if self.hold:
                    self.release.wait(WAIT)

            await writer.run_in_transaction(work)
        finally:
            await writer.close()


async def _wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)


@pytest.mark.postgres
async def test_a_feed_item_committed_late_never_hides_below_an_id_a_console_saw(postgres_url, postgres_schema) -> None:
    reader = SQLTrackerStore(postgres_url, schema=postgres_schema)
    try:
        await reader.run_in_transaction(upgrade_handover_to_head)
        slow = _Writer(postgres_url, postgres_schema, "slow", hold=True)
        slow.start()
        await _wait_for(slow.inserted.is_set)
        assert slow.item_id is not None, slow.error
        fast = _Writer(postgres_url, postgres_schema, "fast")
        fast.start()
        # Without the ordering lock the fast transaction takes the next id and commits at once; a console
        # that read it would reconnect with ?after=<that id> and never get the slow one.
        await asyncio.sleep(1.0)
        visible = [item["id"] for item in await reader.run_in_transaction(store.feed_since, 0, write=False)]
        assert visible == [], "a feed id committed while a smaller one was still open"
        slow.release.set()
        await _wait_for(lambda: not slow.is_alive() and not fast.is_alive())
        assert slow.error is None and fast.error is None
        items = await reader.run_in_transaction(store.feed_since, 0, write=False)
        assert [item["kind"] for item in items] == ["slow", "fast"]
        assert fast.item_id > slow.item_id
    finally:
        slow.release.set()
        await reader.close()


async def test_an_offer_publishes_its_items_in_id_order(service, directory, clock) -> None:
    subscription = service.broadcaster.subscribe()
    router = Router(service, RoutingSettings())
    await directory.create_agent("erika", None)
    await directory.set_status("erika", "online")
    await service.change("kim", Escalate("asked_for_human", None, 0, None, None))
    await router.tick()
    received = []
    while not subscription.queue.empty():
        received.append(await subscription.get())
    kinds = [(item["kind"], item["data"].get("state")) for item in received]
    assert kinds == [("conversation", "queued"), ("conversation", "offered"), ("offer", "offered")]
    ids = [item["id"] for item in received]
    assert ids == list(range(ids[0], ids[0] + len(ids))), "each item follows the one before: no gap to fill"
