"""Event brokers (endpoints.yml `event_broker:`): every stored event published, in order, none lost.

`create_event_broker` builds the broker a section names (`pika` for RabbitMQ, `kafka`);
`OutboxPublisher` drains the tracker store's outbox into it; `export_events` is `bot export`.
"""

from __future__ import annotations

import difflib
from typing import Any

from bot.brokers.broker import BrokerMessage, BrokerUnavailable, EventBroker, message_for
from bot.brokers.outbox import OutboxPublisher
from bot.shared.errors import InvalidEndpoints

__all__ = ["BrokerMessage", "BrokerUnavailable", "EventBroker", "OutboxPublisher", "create_event_broker",
           "message_for"]

_TYPES = ("pika", "kafka")


def create_event_broker(section: Any) -> EventBroker | None:
    """The broker endpoints.yml's `event_broker:` asks for; None without one."""
    from bot.stores.tracker_store import endpoint_section

    if section is None:
        return None
    config, location = endpoint_section(section)
    kind = str(config.get("type") or "").strip().lower()
    if kind == "pika":
        from bot.brokers.pika_broker import PikaEventBroker

        return PikaEventBroker.from_endpoint(config, location)
    if kind == "kafka":
        from bot.brokers.kafka_broker import KafkaEventBroker

        return KafkaEventBroker.from_endpoint(config, location)
    if not kind:
        raise InvalidEndpoints("event_broker needs a 'type'", location=location,
                               hint="write 'type: pika' (RabbitMQ) or 'type: kafka'")
    close = difflib.get_close_matches(kind, _TYPES, n=1)
    raise InvalidEndpoints(f"event_broker type '{config.get('type')}' is not supported", location=location,
                           hint=f"did you mean '{close[0]}'?" if close else
                           "use 'type: pika' (RabbitMQ) or 'type: kafka'")
