"""The handover packet: what the bot knows, summarised for the agent who takes the conversation.

Built from the tracker when the bot escalates and stored with the ownership change, so the
agent sees at once why the customer is here and never has to ask them to repeat anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.shared.core.events import Event, UserUttered

__all__ = ["build_packet", "reply_window_end"]

RECENT_MESSAGES = 10
RANKING_SHOWN = 3
# Platforms that allow free-form replies only within a window after the customer's last message.
_REPLY_WINDOWS = {"whatsapp": 24 * 3600, "facebook": 24 * 3600, "messenger": 24 * 3600, "instagram": 24 * 3600}


def build_packet(events: Sequence[Event], slots: Mapping[str, Any], *, reason: str | None, priority: int,
                 team: str | None, skill: str | None, language: str | None, channel: str | None,
                 customer_id: str, queued_at: float, previous: Sequence[Mapping[str, Any]] = (),
                 sla: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The packet's JSON: reason, recent intents with confidences, entities, slots, channel, customer."""
    messages = [_message(event) for event in events if isinstance(event, UserUttered)][-RECENT_MESSAGES:]
    entities: dict[str, Any] = {}
    for message in messages:
        for entity in message["entities"]:
            entities[entity["entity"]] = entity.get("value")
    last_customer_message = messages[-1]["timestamp"] if messages else None
    return {
        "reason": reason,
        "priority": priority,
        "team": team,
        "skill": skill,
        "language": language,
        "channel": channel,
        "customer": {"id": customer_id, "previous_conversations": list(previous)},
        "messages": messages,
        "entities": entities,
        "slots": {name: value for name, value in slots.items() if value is not None},
        "queued_at": queued_at,
        "sla": dict(sla or {}),
        "reply_window_ends": reply_window_end(channel, last_customer_message),
    }


def reply_window_end(channel: str | None, last_customer_message_at: float | None) -> float | None:
    """When the channel stops accepting free-form agent replies; None where it never does (web, REST)."""
    window = _REPLY_WINDOWS.get((channel or "").lower())
    if window is None or last_customer_message_at is None:
        return None
    return last_customer_message_at + window


def _message(event: UserUttered) -> dict[str, Any]:
    parse = event.parse_data or {}
    intent = parse.get("intent") or {}
    ranking = [{"name": item.get("name"), "confidence": item.get("confidence")}
               for item in (parse.get("intent_ranking") or [])[:RANKING_SHOWN]]
    return {
        "text": event.text,
        "timestamp": event.timestamp,
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "intent_ranking": ranking,
        "entities": [{key: item.get(key) for key in ("entity", "value", "role", "group", "confidence_entity")
                      if item.get(key) is not None} for item in parse.get("entities") or []],
        "language": (parse.get("language") or {}).get("name"),
    }
