"""Events a customer's channel reports, which Rasa does not have; named and shaped in Rasa's style.

They change no dialogue state (policies never see them); agents and KPIs read them from the tracker.
"""

from __future__ import annotations

from typing import ClassVar

from bot.shared.core.events._base import Event, register_event


@register_event
class MessageReceipt(Event):
    """The customer's widget rendered (`delivered`) or showed (`read`) the bot's and agents' messages.

    `watermark` is the number of the newest message covered (its event number in the tracker
    store), as Messenger's delivery and read watermarks: every message up to it is covered.
    """

    type_name: ClassVar[str] = "receipt"

    status: str = "delivered"
    watermark: int = 0


@register_event
class InvitationEvent(Event):
    """A proactive chat invitation was `shown`, `accepted` or `dismissed`; `rule` names the rule."""

    type_name: ClassVar[str] = "invitation"

    rule: str = ""
    action: str = "shown"
    page: str | None = None


@register_event
class ConversationMerged(Event):
    """An anonymous web chat's events up to number `through` were copied here when the customer logged in.

    It is stored in the same append as the copies, so a repeated login copies only what is newer.
    """

    type_name: ClassVar[str] = "conversation_merged"

    source: str = ""
    through: int = 0
