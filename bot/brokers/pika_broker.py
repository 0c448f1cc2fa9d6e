"""`event_broker: type: pika`: RabbitMQ, as Rasa's PikaEventBroker (through aio-pika).

Rasa's keys: `url` (a host name or an amqp:// URL), `username`, `password`, `port`, `queues` (or the
older single `queue`), `exchange_name` (default "rasa-exchange"), `connection_attempts`,
`retry_delay_in_seconds` and `ssl`. Events go to a durable fanout exchange bound to durable queues,
as persistent messages, each one confirmed by RabbitMQ before the next is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from bot.brokers.broker import BrokerMessage, BrokerUnavailable
from bot.shared.errors import InvalidEndpoints

__all__ = ["PikaEventBroker"]

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "rasa_core_events"
DEFAULT_EXCHANGE = "rasa-exchange"
_PUBLISH_TIMEOUT = 10.0  # seconds a confirm may take before the broker counts as unavailable


class PikaEventBroker:
    """Publishes events to a RabbitMQ fanout exchange and the queues bound to it."""

    def __init__(self, url: str, *, queues: tuple[str, ...] = (DEFAULT_QUEUE,), exchange_name: str = DEFAULT_EXCHANGE,
                 connect_timeout: float = 10.0) -> None:
        self.url = url
        self.queues = queues
        self.exchange_name = exchange_name
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._exchange: Any = None

    @classmethod
    def from_endpoint(cls, config: Mapping[str, Any], location: str | None = None) -> PikaEventBroker:
        """From endpoints.yml's `event_broker:` section (a dict of its keys)."""
        host = str(config.get("url") or "localhost")
        if "://" in host:
            url = host
        else:
            user = quote(str(config.get("username") or "guest"), safe="")
            password = quote(str(config.get("password") or "guest"), safe="")
            port = int(config.get("port") or 5672)
            scheme = "amqps" if config.get("ssl") else "amqp"
            url = f"{scheme}://{user}:{password}@{host}:{port}/"
        queues = config.get("queues")
        if queues is None:
            queues = [config.get("queue") or DEFAULT_QUEUE]
        if isinstance(queues, str):
            queues = [queues]
        if not isinstance(queues, list) or not queues or not all(isinstance(q, str) and q for q in queues):
            raise InvalidEndpoints("event_broker 'queues' must be a list of queue names", location=location,
                                   hint=f"write e.g. 'queues: [{DEFAULT_QUEUE}]'")
        attempts = int(config.get("connection_attempts") or 1)
        delay = float(config.get("retry_delay_in_seconds") or 5)
        return cls(url, queues=tuple(queues), exchange_name=str(config.get("exchange_name") or DEFAULT_EXCHANGE),
                   connect_timeout=max(attempts * delay, 5.0))

    async def connect(self) -> None:
        import aio_pika

        await self.close()
        try:
            connection = await asyncio.wait_for(aio_pika.connect(self.url), self.connect_timeout)
        except Exception as error:  # refused, timed out, bad credentials: all mean "not available"
            raise BrokerUnavailable(f"cannot connect to RabbitMQ: {_describe(error)}",
                                    hint="check that RabbitMQ runs and endpoints.yml's event_broker "
                                         "url, port, username and password") from error
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True)
            for name in self.queues:
                queue = await channel.declare_queue(name, durable=True)
                await queue.bind(exchange, routing_key="")
        except Exception as error:
            await connection.close()
            raise BrokerUnavailable(f"RabbitMQ refused the exchange or queues: {_describe(error)}") from error
        self._connection, self._exchange = connection, exchange

    async def publish(self, messages: list[BrokerMessage]) -> None:
        import aio_pika

        if self._exchange is None or self._connection.is_closed:
            await self.connect()
        for published, message in enumerate(messages):
            amqp_message = aio_pika.Message(message.body, message_id=message.message_id,
                                            content_type="application/json",
                                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            try:
                await self._exchange.publish(amqp_message, routing_key="", timeout=_PUBLISH_TIMEOUT)
            except Exception as error:
                self._exchange = None  # reconnect before the next try
                raise BrokerUnavailable(f"RabbitMQ did not confirm an event: {_describe(error)}",
                                        published=published) from error

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception:  # already broken: nothing left to release
                logger.debug("closing the RabbitMQ connection failed", exc_info=True)


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
