"""Rasa's callback channel: messages in at `POST /webhooks/callback/webhook`, every reply POSTed out.

credentials.yml:

    callback:
      url: "http://localhost:5034/bot"

The request body is the REST channel's (`{"sender", "message", "metadata"}`); the webhook answers
"success" once the message is handled, and each bot message, and later each agent message, is
POSTed as JSON (`{"recipient_id", "text", ...}`, the REST reply shape) to `url`. It is how a custom
front end, or a test, receives messages the bot did not send in answer to a request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from bot.channels.rest import RestInput

__all__ = ["CallbackChannel"]

logger = logging.getLogger(__name__)

ATTEMPTS = 3  # per message, for the replies of a turn; the handover's outbox retries its own longer
TIMEOUT_SECONDS = 10.0


class CallbackChannel(RestInput):
    """Parses like the REST channel; sends by POSTing each message to the configured URL."""

    name = "callback"

    def __init__(self, url: str, *, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self._client = client

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # one client for the process: its connections are reused
            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        return self._client

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        """POSTs the messages in order; False (the caller may retry later) when the URL does not take one."""
        for message in messages:
            if not await self._post({**message, "recipient_id": recipient_id}):
                return False
        return True

    async def _post(self, message: dict[str, Any]) -> bool:
        for attempt in range(ATTEMPTS):
            try:
                response = await self._http().post(self.url, json=message)
                if response.status_code < 300:
                    return True
                logger.warning("callback URL %s answered %d", self.url, response.status_code)
            except httpx.HTTPError as error:
                logger.warning("callback URL %s unreachable: %s", self.url, error)
            await asyncio.sleep(0.2 * (attempt + 1))
        return False

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
