"""`POST /webhooks/rest/webhook`: Rasa's REST channel, mounted as a blueprint (no token, as in Rasa)."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.channels.rest import ChannelRequestError, RestInput
from bot.server.errors import bad_request, json_body
from bot.server.logging import message_log
from bot.server.state import server_state

__all__ = ["handle_rest_message", "rest_blueprint"]


def rest_blueprint() -> Blueprint:
    """A fresh blueprint (Sanic binds a blueprint to one app, so every app gets its own)."""
    channel = RestInput()
    # Not strict about slashes: Rasa clients probe "/webhooks/rest/" with the slash.
    blueprint = Blueprint("rest_webhook", url_prefix="/webhooks/rest", strict_slashes=False)

    @blueprint.get("/")
    async def health(request: Request) -> HTTPResponse:
        """Rasa's channel health check."""
        return json({"status": "ok"})

    @blueprint.post("/webhook")
    async def receive(request: Request) -> HTTPResponse:
        """One user message in; the bot's replies out, in the REST channel's shape."""
        _, replies = await handle_rest_message(request, channel)
        return json(channel.render(replies))

    return blueprint


async def handle_rest_message(request: Request, channel: RestInput) -> tuple[str, list[dict[str, Any]]]:
    """Parses a REST-shaped body (`{"sender", "message", "metadata"}`) and lets the bot handle it.

    Returns the sender and the replies; the REST and callback channels differ only in where those go.
    """
    state = server_state(request.app)
    try:
        message = channel.parse(json_body(request))
    except ChannelRequestError as error:
        raise bad_request(error.message, error.parameter or "body") from None
    processor = state.require_agent().processor
    with message_log(message.sender_id, channel.name, enabled=state.settings.log_messages):
        replies = await processor.handle_message(message)
    return message.sender_id, replies
