"""What flows in and out of the dialogue engine, independent of any channel."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SENDER_ID = "default"

# "/intent" or '/intent{"entity": "value"}' sends an intent directly, as in Rasa.
_INTENT_MESSAGE = re.compile(r"^/(?P<intent>[^{@\s]+)(?:@(?P<confidence>[0-9.]+))?(?P<entities>\{.*\})?\s*$", re.S)


@dataclass
class UserMessage:
    """One incoming message, already normalised by a channel."""

    text: str | None
    sender_id: str = DEFAULT_SENDER_ID
    input_channel: str | None = None
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata: dict[str, Any] | None = None
    parse_data: dict[str, Any] | None = None  # given when the intent is known (trigger_intent)


def parse_intent_message(text: str) -> dict[str, Any] | None:
    """Parse data for '/intent{"entity": "value"}' text, or None when the text is ordinary."""
    match = _INTENT_MESSAGE.match(text.strip())
    if not match:
        return None
    entities: list[dict[str, Any]] = []
    if match.group("entities"):
        try:
            values = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if not isinstance(values, dict):
            return None
        for name, value in values.items():
            for item in value if isinstance(value, list) else [value]:
                entities.append({"entity": name, "value": item, "start": match.start("entities"),
                                 "end": match.end("entities")})
    confidence = float(match.group("confidence")) if match.group("confidence") else 1.0
    intent = {"name": match.group("intent"), "confidence": confidence}
    return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}


def bot_message_for_channel(event_dict: dict[str, Any], recipient_id: str) -> dict[str, Any]:
    """A bot utterance in the REST channel's response shape: text, buttons, image, custom, ..."""
    message: dict[str, Any] = {"recipient_id": recipient_id}
    if event_dict.get("text"):
        message["text"] = event_dict["text"]
    for key, value in (event_dict.get("data") or {}).items():
        if value:
            message[key] = value
    return message
