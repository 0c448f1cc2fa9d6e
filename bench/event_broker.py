"""Event broker throughput: how fast the outbox drains into the real RabbitMQ, and what the outbox
costs an append (its bookkeeping is one column of the conversation's row, so it should be ~nothing).

    python bench/event_broker.py [--conversations 200] [--turns 10] [--dialect sqlite|postgresql]

Stores conversations x turns x 3 events while no publisher runs, then starts one and times until
RabbitMQ confirmed every event; prints events/s and the append latency (p50/p99) of the writes.
Needs RabbitMQ on 127.0.0.1:5672 (guest/guest); PostgreSQL for --dialect postgresql.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bot.brokers import OutboxPublisher, create_event_broker
from bot.shared.core.events import ActionExecuted, SlotSet, UserUttered
from bot.stores.publication import pending_conversations
from bot.stores.sql_tracker_store import SQLTrackerStore


async def main(conversations: int, turns: int, dialect: str) -> None:
    import aio_pika

    name = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        if dialect == "sqlite":
            store = SQLTrackerStore(f"sqlite:///{Path(folder) / 'tracker.db'}")
        else:
            store = SQLTrackerStore("postgresql+asyncpg://postgres@127.0.0.1:5432/test", schema=name.replace("-", "_"))
        config = {"type": "pika", "url": "127.0.0.1", "queues": [name], "exchange_name": name}
        publisher = OutboxPublisher(store, create_event_broker(config))
        await publisher.start()  # marks the (empty) history published, then drains as events arrive
        await publisher.stop()
        latencies = []
        for turn in range(turns):
            for n in range(conversations):
                started = time.perf_counter()
                await store.append_events(f"c{n}", [UserUttered(f"message {turn}").as_dict(),
                                                    ActionExecuted("utter_greet").as_dict(),
                                                    SlotSet("turn", turn).as_dict()])
                latencies.append((time.perf_counter() - started) * 1000)
        total = conversations * turns * 3
        publisher = OutboxPublisher(store, create_event_broker(config))
        started = time.perf_counter()
        await publisher.start()
        while await store.run_in_transaction(pending_conversations, 1, write=False):
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await publisher.stop()
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        channel = await connection.channel()
        queue = await channel.declare_queue(name, durable=True)
        arrived = queue.declaration_result.message_count
        await channel.queue_delete(name)
        await channel.exchange_delete(name)
        await connection.close()
        if dialect != "sqlite":
            await store.run_in_transaction(lambda conn: conn.exec_driver_sql(f'DROP SCHEMA "{store.schema}" CASCADE'))
        await store.close()
    latencies.sort()
    print(f"{dialect}: {total} events of {conversations} conversations published in {elapsed:.2f} s "
          f"({total / elapsed:.0f} events/s); {arrived} in the queue")
    print(f"append of a 3-event turn: p50 {statistics.median(latencies):.2f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)]:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.conversations, arguments.turns, arguments.dialect))
