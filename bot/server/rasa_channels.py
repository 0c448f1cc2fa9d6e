"""Mounts a project's own channel written against Rasa's `InputChannel` API (credentials.yml key
`addons.myio.MyIO:`), as Rasa mounts it: `from_credentials(options)`, then its `blueprint(on_new_message)`
under `/webhooks/<url_prefix()>`.

`on_new_message` runs the message through the processor and hands each reply to the message's
output channel (`send_response`), so a channel that collects replies (`CollectingOutputChannel`) or
sends them to its platform works unchanged. A channel whose `get_output_channel()` returns an output
channel also receives what the human side sends outside a request (agents' messages, queue notices).
"""

from __future__ import annotations

from typing import Any

from sanic import Sanic

from bot.core.messages import UserMessage
from bot.server.logging import message_log
from bot.server.state import server_state

__all__ = ["install_rasa_channel"]


def install_rasa_channel(app: Sanic, channel_class: type, options: dict[str, Any]) -> None:
    """Builds the channel from its credentials.yml options and mounts its blueprint."""
    channel = channel_class.from_credentials(options or None)  # type: ignore[attr-defined]
    name = str(channel.name())

    async def on_new_message(message: Any) -> None:
        state = server_state(app)
        sender_id = str(message.sender_id)
        ours = UserMessage(text=message.text, sender_id=sender_id, input_channel=message.input_channel or name,
                           metadata=message.metadata, parse_data=getattr(message, "parse_data", None))
        if getattr(message, "message_id", None):
            ours.message_id = str(message.message_id)
        with message_log(sender_id, ours.input_channel, enabled=state.settings.log_messages):
            replies = await state.require_agent().processor.handle_message(ours)
        for reply in replies:
            await message.output_channel.send_response(sender_id, reply)

    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")
    output = channel.get_output_channel() if hasattr(channel, "get_output_channel") else None
    if output is not None:
        server_state(app).outputs.register(_PushToRasaOutput(name, output))


class _PushToRasaOutput:
    """Our `OutputChannel` over a Rasa output channel: messages the human side sends outside a request."""

    def __init__(self, name: str, output: Any) -> None:
        self.name = name
        self._output = output

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        for message in messages:
            await self._output.send_response(recipient_id, message)
        return True
