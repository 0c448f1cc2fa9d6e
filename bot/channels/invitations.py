"""Proactive invitations: which rules the widget may use now (the browser evaluates the page signals).

The server decides what depends on it: a rule's business hours, and the human side's gate
(`WebchatChannel.invitation_gate`, e.g. "no agent queue is over its limit"). The widget then
watches idle time, page path and the shop's signals, and shows at most one invitation per visit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.credentials import BusinessHours

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
    rules = channel.settings.invitations
    if not rules:
        return []
    gate = channel.invitation_gate
    if gate is not None:
        try:
            if not await gate():
                return []
        except Exception:  # the human side failing must not break the chat; no invitation then
            logger.exception("the invitation gate failed; no invitations offered")
            return []
    moment = now or dt.datetime.now(dt.UTC)
    return [rule.model_dump(exclude={"hours"}, exclude_none=True) for rule in rules
            if rule.hours is None or inside_hours(rule.hours, moment)]
