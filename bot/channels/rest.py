"""Rasa's REST channel: `{"sender", "message", "metadata"}` in, a list of bot messages out.

A thin adapter: it validates the request body and turns it into a `UserMessage`; the replies
the processor returns are already in this channel's shape (`recipient_id`, `text`, `buttons`,
`image`, `custom`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.messages import DEFAULT_SENDER_ID, UserMessage
from bot.shared.errors import BotError

__all__ = ["ChannelRequestError", "RestInput"]

# Longer sender ids do not fit the tracker store's key column.
MAX_SENDER_ID_LENGTH = 255


class ChannelRequestError(BotError):
    """A channel request body is malformed; `parameter` names the offending field."""

    def __init__(self, message: str, parameter: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.parameter = parameter


class RestInput:
    """The REST webhook channel (`POST /webhooks/rest/webhook`)."""

    name = "rest"

    def parse(self, body: Any) -> UserMessage:
        """The `UserMessage` of a decoded JSON body; ChannelRequestError names the bad field."""
        if not isinstance(body, Mapping):
            raise ChannelRequestError(
                f"The request body must be a JSON object, not {_json_type(body)}.", None,
                hint='send {"sender": "<conversation id>", "message": "<text>"}')
        message = body.get("message")
        if message is None:
            raise ChannelRequestError("The field 'message' is missing.", "message",
                                      hint='send {"sender": "<conversation id>", "message": "<text>"}')
        if not isinstance(message, str):
            raise ChannelRequestError(f"The field 'message' must be a string, not {_json_type(message)}.",
                                      "message")
        sender = body.get("sender")
        if sender is None:
            sender = DEFAULT_SENDER_ID  # as Rasa: without a sender every message joins one conversation
        elif isinstance(sender, bool) or not isinstance(sender, str | int):
            raise ChannelRequestError(f"The field 'sender' must be a string, not {_json_type(sender)}.",
                                      "sender")
        sender = str(sender)
        if not sender.strip() or len(sender) > MAX_SENDER_ID_LENGTH:
            raise ChannelRequestError(
                f"The field 'sender' must have 1 to {MAX_SENDER_ID_LENGTH} characters.", "sender")
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ChannelRequestError(
                f"The field 'metadata' must be an object, not {_json_type(metadata)}.", "metadata")
        # As in Rasa, a client may name the channel it relays for (e.g. a widget: "website").
        channel = body.get("input_channel")
        if channel is not None and not isinstance(channel, str):
            raise ChannelRequestError("The field 'input_channel' must be a string.", "input_channel")
        return UserMessage(message, sender, channel or self.name, metadata=dict(metadata) if metadata else None)

    def render(self, replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The response body: the processor's replies are already in the REST shape."""
        return replies


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    return type(value).__name__
