"""Events for the human side, which Rasa does not have; named and shaped in Rasa's style.

One event per ownership transition (see `handover/ownership.py`), so a tracker's history says who
owned the conversation when, and replaying these events rebuilds the owner and its version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bot.shared.core.events._base import Event, EventDict, register_event


@register_event
class HandoverRequested(Event):
    """The conversation goes to a human agent (serialised as `{"event": "handover", ...}`).

    `reason` says why (e.g. "repeated_fallback", "asked_for_human"), `priority` orders the
    queue, `skill` routes it, `team` names the queue and `language` the customer's language;
    anything else (SLA deadline) goes into `metadata`.
    """

    type_name: ClassVar[str] = "handover"

    reason: str | None = None
    priority: int | str | None = None
    skill: str | None = None
    team: str | None = None
    language: str | None = None

    def _payload(self) -> EventDict:
        # `team` and `language` came later: written only when set, so older readers see the old shape.
        data: EventDict = {"reason": self.reason, "priority": self.priority, "skill": self.skill}
        for key in ("team", "language"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@register_event
class HandedBack(Event):
    """A human agent handed the conversation back to the bot (`{"event": "handback", ...}`)."""

    type_name: ClassVar[str] = "handback"

    reason: str | None = None
    agent: str | None = None

    def _payload(self) -> EventDict:
        # `agent` came later: written only when set, so older readers see the old shape.
        data: EventDict = {"reason": self.reason}
        if self.agent is not None:
            data["agent"] = self.agent
        return data


@dataclass(eq=False)
class _AgentEvent(Event):
    """An ownership event about one agent (their username)."""

    agent: str


@register_event
class HandoverOffered(_AgentEvent):
    """A queued conversation is offered to one agent, who may accept it before the offer expires."""

    type_name: ClassVar[str] = "handover_offered"


@register_event
class HandoverOfferExpired(_AgentEvent):
    """The offered agent did not accept in time; the conversation is queued again."""

    type_name: ClassVar[str] = "handover_offer_expired"


@register_event
class HandoverDeclined(_AgentEvent):
    """The offered agent declined; the conversation is queued again."""

    type_name: ClassVar[str] = "handover_declined"


@register_event
class HandoverAccepted(_AgentEvent):
    """An agent took a queued (or offered-to-them) conversation."""

    type_name: ClassVar[str] = "handover_accepted"


@register_event
class HandoverTakenOver(_AgentEvent):
    """An agent took the conversation directly (by replying), from the bot or from the queue."""

    type_name: ClassVar[str] = "handover_taken_over"


@register_event
class HandoverTransferred(Event):
    """`by` moved the conversation to another agent or to another team's queue, with a note."""

    type_name: ClassVar[str] = "handover_transferred"

    by: str | None = None
    to_agent: str | None = None
    to_team: str | None = None
    note: str | None = None


@register_event
class HandoverResolved(Event):
    """`by` closed the conversation; the bot answers the customer's next message."""

    type_name: ClassVar[str] = "handover_resolved"

    by: str | None = None


@register_event
class HandoverCancelled(Event):
    """The customer withdrew while waiting; the bot owns the conversation again."""

    type_name: ClassVar[str] = "handover_cancelled"

    reason: str | None = None


@register_event
class HandoverReclaimed(_AgentEvent):
    """The assigned agent stayed offline past the grace period; the conversation is queued again."""

    type_name: ClassVar[str] = "handover_reclaimed"


@register_event
class HandoverLabelsSet(Event):
    """`by` set the conversation's labels (the whole list, as the agent left it) for sorting and reports."""

    type_name: ClassVar[str] = "handover_labels_set"

    labels: list[str] = field(default_factory=list)
    by: str | None = None


# Short names for code that thinks in the wire names ("handover", "handback").
Handover = HandoverRequested
Handback = HandedBack
