"""Whether the web chat may offer a proactive invitation now: its team is open and its queue has room.

`bot run` with the handover sets this as the web chat's `invitation_gate` (bot/channels/invitations.py).
An invitation brings a customer who may want a person; while the rule's team (handover.yml; the
default team when the rule names none) is outside its business hours, or `queue_limit` or more
customers already wait for it, inviting more would only lengthen the wait.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handover.plugin import HandoverPlugin

__all__ = ["InvitationGate"]

CACHE_SECONDS = 5.0  # every widget session asks; the queue length may be this old


class InvitationGate:
    """Answers per invitation rule from the team's hours and the number of customers in its queue."""

    def __init__(self, plugin: HandoverPlugin, cache_seconds: float = CACHE_SECONDS) -> None:
        self.plugin = plugin
        self.cache_seconds = cache_seconds
        self._waiting: tuple[float, dict[str | None, int]] | None = None

    async def __call__(self, rule: Any) -> bool:
        team = getattr(rule, "team", None) or self.plugin.settings.default_team
        now = self.plugin.service.clock()
        if not self.plugin.settings.is_open(team, datetime.fromtimestamp(now, UTC)):
            return False
        limit = getattr(rule, "queue_limit", None)
        return limit is None or (await self._waiting_by_team(now)).get(team, 0) < limit

    async def _waiting_by_team(self, now: float) -> dict[str | None, int]:
        if self._waiting is not None and now - self._waiting[0] < self.cache_seconds:
            return self._waiting[1]
        counts: dict[str | None, int] = {}
        for row in await self.plugin.service.rows(states=["queued", "offered"]):
            counts[row["team"]] = counts.get(row["team"], 0) + 1
        self._waiting = (now, counts)
        return counts
