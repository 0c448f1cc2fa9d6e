"""`event_broker: type: kafka`: Apache Kafka, as Rasa's KafkaEventBroker (through aiokafka).

Rasa's keys: `url` (bootstrap servers: "host:port", several comma-separated), `topic` (default "rasa_core_events"),
`client_id`, `partition_by_sender`, `security_protocol` (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL),
`sasl_mechanism`, `sasl_username`, `sasl_password`, `ssl_cafile`, `ssl_certfile`, `ssl_keyfile`,
`ssl_check_hostname`. The producer waits for all in-sync replicas (acks=all) and is idempotent, so a
retried send is not stored twice; `enable_idempotence: false` turns that off for Kafka-protocol brokers
that refuse aiokafka's producer-id request (Tansu 0.6 does; the test broker runs that way). `partition_by_sender` defaults to true here (Rasa: false): Kafka
keeps order only within a partition, and keying by conversation keeps each conversation in one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.brokers.broker import BrokerMessage, BrokerUnavailable
from bot.shared.errors import InvalidEndpoints

__all__ = ["KafkaEventBroker"]

logger = logging.getLogger(__name__)

DEFAULT_TOPIC = "rasa_core_events"
_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL")


class KafkaEventBroker:
    """Publishes events to one Kafka topic, keyed by conversation."""

    def __init__(self, bootstrap_servers: list[str], *, topic: str = DEFAULT_TOPIC, partition_by_sender: bool = True,
                 producer_options: Mapping[str, Any] | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.partition_by_sender = partition_by_sender
        self.producer_options = dict(producer_options or {})
        self._producer: Any = None

    @classmethod
    def from_endpoint(cls, config: Mapping[str, Any], location: str | None = None) -> KafkaEventBroker:
        """From endpoints.yml's `event_broker:` section (a dict of its keys)."""
        servers = config.get("url") or "localhost:9092"
        if isinstance(servers, str):  # endpoints.yml keeps url a single value: several are comma-separated
            servers = [server.strip() for server in servers.split(",") if server.strip()]
        if not isinstance(servers, list) or not all(isinstance(s, str) and s for s in servers):
            raise InvalidEndpoints("event_broker 'url' must be a Kafka server (host:port) or a list of them",
                                   location=location, hint="write e.g. 'url: localhost:9092'")
        protocol = str(config.get("security_protocol") or "PLAINTEXT").upper()
        if protocol not in _PROTOCOLS:
            raise InvalidEndpoints(f"event_broker security_protocol '{protocol}' is not known", location=location,
                                   hint=f"use one of {', '.join(_PROTOCOLS)}")
        options: dict[str, Any] = {"security_protocol": protocol}
        idempotent = config.get("enable_idempotence", True)
        if not isinstance(idempotent, bool):
            raise InvalidEndpoints(f"event_broker enable_idempotence must be true or false, not '{idempotent}'",
                                   location=location, hint="leave it out (true) unless your broker refuses it")
        if not idempotent:
            options["enable_idempotence"] = False
        if config.get("client_id"):
            options["client_id"] = str(config["client_id"])
        if protocol.startswith("SASL"):
            options.update(sasl_mechanism=str(config.get("sasl_mechanism") or "PLAIN"),
                           sasl_plain_username=config.get("sasl_username"),
                           sasl_plain_password=config.get("sasl_password"))
        if protocol.endswith("SSL"):
            import ssl

            context = ssl.create_default_context(cafile=config.get("ssl_cafile"))
            if config.get("ssl_certfile"):
                context.load_cert_chain(config["ssl_certfile"], config.get("ssl_keyfile"))
            context.check_hostname = bool(config.get("ssl_check_hostname", True))
            options["ssl_context"] = context
        partition = config.get("partition_by_sender")
        return cls(servers, topic=str(config.get("topic") or DEFAULT_TOPIC),
                   partition_by_sender=True if partition is None else bool(partition), producer_options=options)

    async def connect(self) -> None:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        await self.close()
        options = {"acks": "all", "enable_idempotence": True, **self.producer_options}
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, **options)
        try:
            await producer.start()
        except (KafkaError, OSError) as error:
            await producer.stop()
            raise BrokerUnavailable(f"cannot connect to Kafka at {', '.join(self.bootstrap_servers)}: {error}",
                                    hint="check that Kafka runs and endpoints.yml's event_broker url") from error
        self._producer = producer

    def record_for(self, message: BrokerMessage) -> dict[str, Any]:
        """The arguments of the send: topic, value (Rasa's JSON) and, by conversation, the key."""
        key = message.sender_id.encode() if self.partition_by_sender else None
        return {"topic": self.topic, "value": message.body, "key": key,
                "headers": [("message_id", message.message_id.encode())]}

    async def publish(self, messages: list[BrokerMessage]) -> None:
        from aiokafka.errors import KafkaError

        if self._producer is None:
            await self.connect()
        for published, message in enumerate(messages):
            try:
                await self._producer.send_and_wait(**self.record_for(message))
            except (KafkaError, OSError) as error:
                await self.close()
                raise BrokerUnavailable(f"Kafka did not take an event: {error}", published=published) from error

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:
                logger.debug("stopping the Kafka producer failed", exc_info=True)
