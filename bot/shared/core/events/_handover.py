"""Events for the human side, which Rasa does not have; named and shaped in Rasa's style."""

from __future__ import annotations

from typing import ClassVar

from bot.shared.core.events._base import Event, register_event


@register_event
class HandoverRequested(Event):
    """The conversation goes to a human agent (serialised as `{"event": "handover", ...}`).

    `reason` says why (e.g. "repeated_fallback", "asked_for_human"), `priority` orders the
    queue, `skill` routes it; anything else (agent id, SLA deadline) goes into `metadata`.
    """

    type_name: ClassVar[str] = "handover"

    reason: str | None = None
    priority: int | str | None = None
    skill: str | None = None


@register_event
class HandedBack(Event):
    """A human agent handed the conversation back to the bot (`{"event": "handback", ...}`)."""

    type_name: ClassVar[str] = "handback"

    reason: str | None = None


# Short names for code that thinks in the wire names ("handover", "handback").
Handover = HandoverRequested
Handback = HandedBack
