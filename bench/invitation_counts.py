"""What the partial index of invitation events (tracker migration 0003) saves `GET /webchat/invitations`.

    python bench/invitation_counts.py [--conversations 2000] [--events 50] [--dialect sqlite|postgresql]

Stores conversations x events (one in fifty of them an `invitation` event, spread over 30 days),
then times the counts' read of one day and of 30 days with the index (the schema's head) and
without it (the schema taken back to revision 0002): median of 7 reads each. PostgreSQL: the `test`
database on 127.0.0.1, in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bot.channels.invitation_stats import invitation_events
from bot.stores.sql_tracker_store import SQLTrackerStore

DAY = 86_400.0
START = 1_780_000_000.0  # a fixed moment: the figures do not depend on the day they are taken


def _events(conversation: int, count: int) -> list[dict[str, Any]]:
    found = []
    for index in range(count):
        at = START + ((conversation * count + index) * 7919) % (30 * DAY)
        if (conversation * count + index) % 50 == 0:
            found.append({"event": "invitation", "timestamp": at, "action": "shown", "rule": "help",
                          "page": f"https://shop.example/p/{index % 40}"})
        else:
            found.append({"event": "user", "timestamp": at, "text": f"message {index}",
                          "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}})
    return sorted(found, key=lambda event: event["timestamp"])


async def _median_ms(store: SQLTrackerStore, since: float, until: float) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(7):
        began = time.perf_counter()
        found = len(await invitation_events(store, since, until))
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), found


def _migrate(conn: Any, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from bot.stores.migrations import MIGRATIONS_DIR, VERSION_TABLE

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    config.attributes["version_table"] = VERSION_TABLE
    command.downgrade(config, revision) if revision != "head" else command.upgrade(config, revision)


async def main(conversations: int, events: int, dialect: str) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        if dialect == "sqlite":
            store = SQLTrackerStore(f"sqlite:///{Path(folder) / 'tracker.db'}")
        else:
            store = SQLTrackerStore("postgresql+asyncpg://postgres@127.0.0.1:5432/test", schema=schema)
        try:
            for conversation in range(conversations):
                await store.append_events(f"c{conversation}", _events(conversation, events))
            if dialect == "postgresql":
                await store.run_in_transaction(lambda conn: conn.exec_driver_sql("ANALYZE events"))
            load = os.getloadavg()[0]
            print(f"{dialect}: {conversations * events} events, {conversations * events // 50} invitations; "
                  f"load average {load:.1f}")
            for label, revision in (("with the index (0003)", "head"), ("without it (0002)", "0002")):
                await store.run_in_transaction(lambda conn, revision=revision: _migrate(conn, revision))
                one_day, found_day = await _median_ms(store, START + 10 * DAY, START + 11 * DAY)
                month, found_month = await _median_ms(store, START, START + 30 * DAY)
                print(f"  {label}: one day {one_day:.1f} ms ({found_day} events), "
                      f"30 days {month:.1f} ms ({found_month} events)")
        finally:
            if dialect == "postgresql":
                await store.run_in_transaction(lambda conn: conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE'))
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.conversations, arguments.events, arguments.dialect))
