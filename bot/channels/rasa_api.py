"""Rasa 3's channel API (`rasa.core.channels.channel`), for custom channels written for Rasa.

A Rasa custom channel subclasses `InputChannel`, returns a Sanic blueprint from
`blueprint(on_new_message)` and calls `on_new_message(UserMessage(text, output_channel, sender_id,
...))` for each message; the bot's replies go to the message's `output_channel` through
`send_response`, which calls `send_text_message`, `send_text_with_buttons`, `send_image_url`,
`send_attachment`, `send_elements` or `send_custom_json` (Rasa's dispatch; a channel overrides what
its platform supports). `CollectingOutputChannel` keeps the replies in `messages`, as in Rasa.
`bot.server.rasa_channels` mounts such a channel under `/webhooks/<url_prefix>/`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from sanic import Blueprint, Request

from bot.shared.errors import BotError

__all__ = ["CollectingOutputChannel", "InputChannel", "OutputChannel", "UserMessage"]


class UserMessage:
    """One incoming message of a Rasa channel (Rasa's constructor: text first, then the output channel)."""

    def __init__(self, text: str | None = None, output_channel: OutputChannel | None = None,
                 sender_id: str | None = None, parse_data: dict[str, Any] | None = None,
                 input_channel: str | None = None, message_id: str | None = None,
                 metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.text = text.strip() if text else text
        self.output_channel = output_channel if output_channel is not None else CollectingOutputChannel()
        self.sender_id = str(sender_id) if sender_id is not None else "default"
        self.parse_data = parse_data
        self.input_channel = input_channel
        self.message_id = message_id
        self.metadata = metadata
        self.headers = kwargs.get("headers")


class OutputChannel:
    """Sends the bot's messages to a platform; override `send_text_message` at least."""

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """One reply (the REST channel's shape) through the specific send methods, as Rasa dispatches it."""
        message = dict(message)
        message.pop("recipient_id", None)
        if message.get("quick_replies"):
            await self.send_quick_replies(recipient_id, message.pop("text", ""), message.pop("quick_replies"),
                                          **message)
        elif message.get("buttons"):
            await self.send_text_with_buttons(recipient_id, message.pop("text", ""), message.pop("buttons"),
                                              **message)
        elif message.get("text"):
            await self.send_text_message(recipient_id, message.pop("text"), **message)
        if message.get("custom"):
            await self.send_custom_json(recipient_id, message.pop("custom"), **message)
        if message.get("image"):
            await self.send_image_url(recipient_id, message.pop("image"), **message)
        if message.get("attachment"):
            await self.send_attachment(recipient_id, message.pop("attachment"), **message)
        if message.get("elements"):
            await self.send_elements(recipient_id, message.pop("elements"), **message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement send_text_message")

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, f"Image: {image}")

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, f"Attachment: {attachment}")

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        lines = [text] + [f"{index + 1}: {button['title']} ({button['payload']})" for index, button in
                          enumerate(buttons)]
        await self.send_text_message(recipient_id, "\n".join(lines))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_elements(self, recipient_id: str, elements: list[dict[str, Any]], **kwargs: Any) -> None:
        for element in elements:
            await self.send_text_with_buttons(recipient_id, f"{element.get('title', '')} : "
                                              f"{element.get('subtitle', '')}", element.get("buttons") or [])

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, json.dumps(json_message))


class CollectingOutputChannel(OutputChannel):
    """Keeps the replies of one request in `messages` (what a channel returns in its HTTP response)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "collector"

    @staticmethod
    def _message(recipient_id: str, **parts: Any) -> dict[str, Any]:
        return {"recipient_id": recipient_id, **{key: value for key, value in parts.items() if value is not None}}

    def latest_output(self) -> dict[str, Any] | None:
        return self.messages[-1] if self.messages else None

    async def _persist_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            await self._persist_message(self._message(recipient_id, text=part))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, image=image))

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, attachment=attachment))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text, buttons=buttons))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, custom=json_message))


class InputChannel:
    """Receives messages from a platform (Rasa's base class of input channels)."""

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        raise NotImplementedError(f"{type(self).__name__} must implement blueprint(on_new_message)")

    @classmethod
    def raise_missing_credentials_exception(cls) -> NoReturn:
        raise BotError(f"to use the {cls.name()} input channel, give its credentials in credentials.yml",
                       hint="see the channel's documentation for the keys it needs")

    def get_output_channel(self) -> OutputChannel | None:
        """An output channel that can reach a customer outside a request (for the handover), if any."""
        return None

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return None
