"""`POST /webhooks/callback/webhook`: Rasa's callback channel, mounted as a blueprint (see bot/channels/callback.py)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from bot.channels.callback import CallbackChannel
from bot.channels.rest import ChannelRequestError
from bot.server.errors import bad_request, json_body
from bot.server.logging import message_log
from bot.server.state import server_state

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
        state = server_state(request.app)
        try:
            message = channel.parse(json_body(request))
        except ChannelRequestError as error:
            raise bad_request(error.message, error.parameter or "body") from None
        processor = state.require_agent().processor
        with message_log(message.sender_id, channel.name, enabled=state.settings.log_messages):
            replies = await processor.handle_message(message)
        if replies and not await channel.send(message.sender_id, replies):
            # The message is handled and stored; only the front end did not take the answer.
            return text("success (the callback URL did not accept the reply)")
        return text("success")

    @blueprint.listener("after_server_stop")
    async def close(app, _loop=None) -> None:  # type: ignore[no-untyped-def]
        await channel.close()

    return blueprint
