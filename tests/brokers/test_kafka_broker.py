"""The Kafka broker's configuration, the records it sends, and an unreachable Kafka (every event stays
in the outbox). test_kafka_real_broker.py runs it against a real Kafka-protocol broker."""

from __future__ import annotations

import pytest

from bot.brokers import BrokerUnavailable, OutboxPublisher, create_event_broker, message_for
from bot.brokers.kafka_broker import KafkaEventBroker
from bot.shared.core.events import UserUttered
from bot.shared.endpoints import load_endpoints_text
from bot.shared.errors import InvalidEndpoints
from bot.stores.publication import pending_conversations
from bot.stores.sql_tracker_store import SQLTrackerStore


def test_rasa_keys_configure_the_producer() -> None:
    endpoints = load_endpoints_text("""
event_broker:
  type: kafka
  url: kafka-1:9092, kafka-2:9092
  topic: bot_events
  client_id: bot
  security_protocol: SASL_PLAINTEXT
  sasl_username: user
  sasl_password: secret
  partition_by_sender: true
""")
    broker = create_event_broker(endpoints.event_broker)
    assert isinstance(broker, KafkaEventBroker)
    assert broker.bootstrap_servers == ["kafka-1:9092", "kafka-2:9092"] and broker.topic == "bot_events"
    assert broker.producer_options == {"security_protocol": "SASL_PLAINTEXT", "client_id": "bot",
                                       "sasl_mechanism": "PLAIN", "sasl_plain_username": "user",
                                       "sasl_plain_password": "secret"}
    record = broker.record_for(message_for("anna", 7, {"event": "user", "text": "hi"}))
    assert record["topic"] == "bot_events" and record["key"] == b"anna"  # one conversation, one partition
    assert record["headers"] == [("message_id", b"anna:7")]
    assert record["value"] == b'{"event": "user", "text": "hi", "sender_id": "anna"}'


def test_defaults_and_bad_values() -> None:
    broker = create_event_broker({"type": "kafka"})
    assert broker.bootstrap_servers == ["localhost:9092"] and broker.topic == "rasa_core_events"
    assert broker.partition_by_sender
    with pytest.raises(InvalidEndpoints, match="security_protocol 'SSH'"):
        create_event_broker({"type": "kafka", "security_protocol": "ssh"})
    with pytest.raises(InvalidEndpoints, match="url"):
        create_event_broker({"type": "kafka", "url": {"host": "x"}})
    with pytest.raises(InvalidEndpoints, match="enable_idempotence must be true or false"):
        create_event_broker({"type": "kafka", "enable_idempotence": "no"})
    assert "enable_idempotence" not in broker.producer_options  # the default: aiokafka's idempotent producer
    plain = create_event_broker({"type": "kafka", "enable_idempotence": False})
    assert plain.producer_options["enable_idempotence"] is False


async def test_unreachable_kafka_keeps_the_events_in_the_outbox(tmp_path) -> None:
    store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    broker = create_event_broker({"type": "kafka", "url": "127.0.0.1:1"})  # nothing listens there
    publisher = OutboxPublisher(store, broker)
    await publisher.start()  # logs the outage, does not fail the start
    await publisher.stop()
    await store.append_events("c", [UserUttered("hi").as_dict()])
    with pytest.raises(BrokerUnavailable, match="Kafka"):
        await publisher.publish_pending()
    pending = await store.run_in_transaction(pending_conversations, 10, write=False)
    assert [(p.sender_id, p.published_seq, p.last_seq) for p in pending] == [("c", 0, 1)]
    await store.close()
