"""`POST /webhooks/callback/webhook`: Rasa's callback channel, mounted as a blueprint (see bot/channels/callback.py)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from bot.channels.callback import CallbackChannel
from bot.server.rest_channel import handle_rest_message

__all__ = ["callback_blueprint"]


def callback_blueprint(channel: CallbackChannel) -> Blueprint:
    blueprint = Blueprint("callback_webhook", url_prefix="/webhooks/callback", strict_slashes=False)

    @blueprint.get("/")
    async def health(request: Request) -> HTTPResponse:
        """Rasa's channel health check."""
        return json({"status": "ok"})

    @blueprint.post("/webhook")
    async def receive(request: Request) -> HTTPResponse:
        """One user message in; "success" out once handled; the replies go to the callback URL."""
        sender_id, replies = await handle_rest_message(request, channel)
        if replies and not await channel.send(sender_id, replies):
            # The message is handled and stored; only the front end did not take the answer.
            return text("success (the callback URL did not accept the reply)")
        return text("success")

    @blueprint.listener("after_server_stop")
    async def close(app, _loop=None) -> None:  # type: ignore[no-untyped-def]
        await channel.close()

    return blueprint
