"""The outbox publisher against a real RabbitMQ: in order, once, and nothing lost while it is down."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.brokers import BrokerUnavailable, OutboxPublisher, create_event_broker
from bot.shared.core.events import ActionExecuted, SlotSet, UserUttered
from bot.stores.publication import pending_conversations
from bot.stores.sql_tracker_store import SQLTrackerStore


def _turn(n: int) -> list[dict]:
    return [UserUttered(f"message {n}", {"intent": {"name": "greet", "confidence": 1.0}}).as_dict(),
            ActionExecuted("utter_greet").as_dict(), SlotSet("count", n).as_dict()]


def _by_conversation(received: list[dict]) -> dict[str, list[int]]:
    seqs: dict[str, list[int]] = {}
    for message in received:
        sender, _, seq = message["_message_id"].rpartition(":")
        assert sender == message["sender_id"]
        seqs.setdefault(sender, []).append(int(seq))
    return seqs


@pytest.fixture
def store(sql_store):
    return sql_store


async def test_events_go_out_in_order_as_rasa_publishes_them(store, rabbit) -> None:
    publisher = OutboxPublisher(store, create_event_broker(rabbit.endpoint()))
    await publisher.start()  # before any event: everything stored from now on is published
    try:
        await store.append_events("anna maria", _turn(1))
        await store.append_events("bob", _turn(1))
        await store.append_events("anna maria", _turn(2))
        received = await rabbit.collect(9)
    finally:
        await publisher.stop()
    assert _by_conversation(received) == {"anna maria": [1, 2, 3, 4, 5, 6], "bob": [1, 2, 3]}
    first = received[[m["sender_id"] for m in received].index("anna maria")]
    # Rasa's format: the event's own dict with sender_id added.
    assert first["event"] == "user" and first["text"] == "message 1" and first["parse_data"]["intent"]["name"] == "greet"
    assert {m["event"] for m in received} == {"user", "action", "slot"}
    assert all(isinstance(m["timestamp"], float) for m in received)


async def test_events_stored_before_the_first_broker_are_left_to_export(store, rabbit) -> None:
    await store.append_events("old", _turn(1))
    publisher = OutboxPublisher(store, create_event_broker(rabbit.endpoint()))
    await publisher.start()
    try:
        await store.append_events("old", _turn(2))
        received = await rabbit.collect(3)
    finally:
        await publisher.stop()
    assert _by_conversation(received) == {"old": [4, 5, 6]}


async def test_broker_stopped_and_started_mid_load_loses_and_duplicates_nothing(store, rabbit, caplog) -> None:
    """The issue's test: RabbitMQ stops while conversations keep writing, then comes back."""
    caplog.set_level(logging.WARNING, logger="bot.brokers.outbox")
    publisher = OutboxPublisher(store, create_event_broker(rabbit.endpoint()), poll_interval=0.2, max_backoff=1.0)
    await publisher.start()
    conversations, turns = 12, 10
    stopped = asyncio.Event()

    async def converse(name: str) -> None:
        for n in range(turns):
            await store.append_events(name, _turn(n))
            await publisher.on_events(name, [], None)
            if n == turns // 2:
                await stopped.wait()  # half of each conversation is written while the broker is down
            await asyncio.sleep(0.01)

    async def outage() -> None:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(rabbit.stop_broker)
        stopped.set()
        await asyncio.sleep(2.0)
        await rabbit.start_broker()

    try:
        await asyncio.gather(outage(), *(converse(f"customer-{i}") for i in range(conversations)))
        received = await rabbit.collect(conversations * turns * 3, timeout=180)
    finally:
        await publisher.stop()
    expected = list(range(1, turns * 3 + 1))
    assert _by_conversation(received) == {f"customer-{i}": expected for i in range(conversations)}
    outage_logs = [r for r in caplog.records if "event broker unavailable" in r.getMessage()]
    assert len(outage_logs) == 1  # once per outage, not once per retry
    assert any("reachable again" in r.getMessage() for r in caplog.records)


async def test_events_wait_through_a_restart_while_the_broker_is_unreachable(tmp_path, rabbit) -> None:
    """Stored while no broker answers, published by the next process once one does."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    down = {**rabbit.endpoint(), "port": 1}  # nothing listens there
    store = SQLTrackerStore(url)
    publisher = OutboxPublisher(store, create_event_broker(down))
    await publisher.start()
    await store.append_events("c", _turn(1))
    with pytest.raises(BrokerUnavailable):
        await publisher.publish_pending()
    await publisher.stop()
    await store.close()

    store = SQLTrackerStore(url)
    publisher = OutboxPublisher(store, create_event_broker(rabbit.endpoint()))
    await publisher.start()
    try:
        received = await rabbit.collect(3)
    finally:
        await publisher.stop()
        await store.close()
    assert _by_conversation(received) == {"c": [1, 2, 3]}


async def test_one_process_publishes_at_a_time(store, rabbit) -> None:
    first = OutboxPublisher(store, create_event_broker(rabbit.endpoint()))
    second = OutboxPublisher(SQLTrackerStore(store.url, schema=store.schema), create_event_broker(rabbit.endpoint()))
    try:
        assert await first._leader.acquire()
        assert not await second._leader.acquire()
        await first._leader.release()
        assert await second._leader.acquire()
    finally:
        await first.stop()
        await second.stop()
        await second.store.close()


async def test_a_broken_message_order_is_impossible_after_a_partial_failure(store, rabbit) -> None:
    """A publish that fails half-way records what was confirmed; the rest goes out next, in order."""
    broker = create_event_broker(rabbit.endpoint())
    publisher = OutboxPublisher(store, broker)
    await publisher.start()
    await publisher.stop()  # only the one-time set-up; rounds are driven by hand below
    await store.append_events("c", _turn(1) + _turn(2))
    real_publish = broker.publish

    async def fail_after_two(messages):
        await real_publish(messages[:2])
        raise BrokerUnavailable("connection lost", published=2)

    broker.publish = fail_after_two
    with pytest.raises(BrokerUnavailable):
        await publisher.publish_pending()
    broker.publish = real_publish
    assert await publisher.publish_pending() == 4
    assert await publisher.publish_pending() == 0
    await broker.close()
    received = await rabbit.collect(6)
    assert _by_conversation(received) == {"c": [1, 2, 3, 4, 5, 6]}
    assert json.loads(json.dumps(received[0]))["text"] == "message 1"


def test_unknown_broker_types_name_the_known_ones() -> None:
    from bot.shared.errors import InvalidEndpoints

    with pytest.raises(InvalidEndpoints, match="did you mean 'pika'"):
        create_event_broker({"type": "pikaa"})
    with pytest.raises(InvalidEndpoints, match="needs a 'type'"):
        create_event_broker({"url": "localhost"})
    assert create_event_broker(None) is None


async def test_a_replaced_conversation_publishes_its_new_events_and_does_not_stall(store, rabbit) -> None:
    """Replacing a conversation's events (PUT .../tracker/events) leaves a gap in its numbers, and
    replacing it with nothing leaves no event at all: neither may keep it pending forever."""
    publisher = OutboxPublisher(store, create_event_broker(rabbit.endpoint()))
    await publisher.start()
    await publisher.stop()  # the rounds are driven by hand
    await store.append_events("c", _turn(1))
    await store.append_events("empty", _turn(1))
    assert await publisher.publish_pending() == 6
    await store.replace_events("c", _turn(7))  # numbered 5, 6, 7 (4 is skipped)
    await store.replace_events("empty", [])
    assert await publisher.publish_pending() == 3
    assert await store.run_in_transaction(pending_conversations, 10, write=False) == []
    await publisher.broker.close()
    received = await rabbit.collect(9)
    assert _by_conversation(received) == {"c": [1, 2, 3, 5, 6, 7], "empty": [1, 2, 3]}
    assert [m["text"] for m in received if m["event"] == "user"] == ["message 1", "message 1", "message 7"]
