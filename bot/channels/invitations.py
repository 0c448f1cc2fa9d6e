"""Proactive invitations: which rules the widget may use now (the browser evaluates the page signals).

The server decides what depends on it: a rule's business hours, and the human side's gate
(`WebchatChannel.invitation_gate(rule)`: handover/invitation_gate.py says no while the rule's team
is closed or its queue is at the rule's `queue_limit`). The widget then
watches idle time, page path and the shop's signals, and shows at most one invitation per visit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.credentials import BusinessHours, InvitationRule

__all__ = ["active_rules", "inside_hours"]

logger = logging.getLogger(__name__)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def inside_hours(hours: BusinessHours, now: dt.datetime) -> bool:
    """Whether the aware datetime `now` falls on one of the days and inside the window, in `hours`' zone."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    if _DAYS[local.weekday()] not in hours.days:
        return False
    minute = local.hour * 60 + local.minute
    start_h, start_m = (int(x) for x in hours.start.split(":"))
    end_h, end_m = (int(x) for x in hours.end.split(":"))
    return start_h * 60 + start_m <= minute < end_h * 60 + end_m


async def active_rules(channel: Any, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The invitation rules the widget may use now, as plain dicts."""
    moment = now or dt.datetime.now(dt.UTC)
    active: list[dict[str, Any]] = []
    for rule in channel.settings.invitations:
        if rule.hours is not None and not inside_hours(rule.hours, moment):
            continue
        if not await _gate_allows(channel.invitation_gate, rule):
            continue
        active.append(rule.model_dump(exclude={"hours", "team", "queue_limit"}, exclude_none=True))
    return active


async def _gate_allows(gate: Any, rule: InvitationRule) -> bool:
    if gate is None:
        return True
    try:
        return bool(await gate(rule))
    except Exception:  # the human side failing must not break the chat; no invitation then
        logger.exception("the invitation gate failed; invitation '%s' not offered", rule.name)
        return False
