"""Labels on a conversation ("refund", "vip"): checked, stored on its handover row, told to every console.

A label change commits with a `handover_labels_set` tracker event (who set which labels, when), as the
ownership events do, so the conversation's history shows it; the row keeps the current list for
lists and filters, and a `labels` feed item lets the other consoles update at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from bot.shared.core.events import HandoverLabelsSet
from bot.shared.errors import BotError
from handover import store
from handover.service import Change, HandoverService

__all__ = ["MAX_LABELS", "MAX_LABEL_LENGTH", "InvalidLabels", "parse_labels", "set_labels"]

MAX_LABELS = 20
MAX_LABEL_LENGTH = 40


class InvalidLabels(BotError):
    """The labels sent are not a list of at most 20 short, non-empty strings."""


def parse_labels(value: Any) -> list[str]:
    """The labels as stored: trimmed, without repeats, in the order given; InvalidLabels names the problem."""
    if not isinstance(value, list):
        raise InvalidLabels("'labels' must be a list of strings, e.g. [\"refund\", \"vip\"].")
    labels: list[str] = []
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidLabels(f"label {position + 1} is a {type(item).__name__}, not a string.")
        label = item.strip()
        if not label:
            raise InvalidLabels(f"label {position + 1} is empty; leave it out instead.")
        if len(label) > MAX_LABEL_LENGTH:
            raise InvalidLabels(f"label {position + 1} ('{label[:20]}...') is longer than {MAX_LABEL_LENGTH} "
                                "characters.")
        if any(ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF for char in label):
            raise InvalidLabels(f"label {position + 1} contains control characters or a lone surrogate.")
        if label not in labels:
            labels.append(label)
    if len(labels) > MAX_LABELS:
        raise InvalidLabels(f"{len(labels)} labels are too many; a conversation has at most {MAX_LABELS}.")
    return labels


async def set_labels(service: HandoverService, agent: str, sender_id: str, labels: list[str]) -> dict[str, Any]:
    """Replaces the conversation's labels (nothing is written when they are already these); returns its row."""
    def extra(conn: Connection, change: Change, now: float) -> None:
        previous = (change.row or {}).get("labels") or []
        if previous == labels:
            return
        store.update_fields(conn, sender_id, now, labels=labels)
        change.events.append(HandoverLabelsSet(labels, agent, timestamp=now).as_dict())
        change.feed.append(store.insert_feed(conn, "labels", now, {"labels": labels, "previous": previous,
                                                                   "agent": agent},
                                             sender_id=sender_id, team=change.after.team))

    change = await service.change(sender_id, None, extra=extra)
    return change.row or {}
