"""The web chat's invitation gate: no proactive invitation while the rule's team is closed or its queue is full."""

from __future__ import annotations

import datetime as dt

from bot.channels.credentials import InvitationRule
from handover.config import TeamConfig
from handover.invitation_gate import InvitationGate
from handover.ownership import Escalate
from handover.plugin import HandoverPlugin, HandoverSettings

WEEKDAYS_9_TO_17 = {"timezone": "Europe/Berlin", "weekly": {"mon-fri": ["09:00-17:00"]}}
MONDAY_10_BERLIN = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC).timestamp()
SUNDAY_NOON = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC).timestamp()


def _rule(**options) -> InvitationRule:
    return InvitationRule(name="idle", idle_seconds=10, **options)


async def test_the_gate_follows_the_teams_hours_and_queue_limit(service, clock) -> None:
    settings = HandoverSettings(default_team="service", teams={"service": TeamConfig(business_hours=WEEKDAYS_9_TO_17),
                                                               "billing": TeamConfig()})
    gate = InvitationGate(HandoverPlugin(service, settings), cache_seconds=0)
    clock.now = MONDAY_10_BERLIN
    assert await gate(_rule()) and await gate(_rule(queue_limit=2))
    await service.change("anna", Escalate("asked_for_human", "service"))
    assert await gate(_rule(queue_limit=2))
    await service.change("ben", Escalate("asked_for_human", "service"))
    assert not await gate(_rule(queue_limit=2))  # two wait: at the limit, nobody more is invited
    assert await gate(_rule())  # no limit set
    assert await gate(_rule(team="billing", queue_limit=2))  # another team's queue is empty
    clock.now = SUNDAY_NOON
    assert not await gate(_rule())  # the default team is closed
    assert await gate(_rule(team="billing"))  # billing has no hours: always open


async def test_the_queue_length_is_read_at_most_once_per_cache_period(service, clock) -> None:
    gate = InvitationGate(HandoverPlugin(service, HandoverSettings(default_team="service")), cache_seconds=5)
    assert await gate(_rule(queue_limit=1))
    await service.change("anna", Escalate("asked_for_human", "service"))
    assert await gate(_rule(queue_limit=1))  # still the count of a moment ago
    clock.advance(6)
    assert not await gate(_rule(queue_limit=1))
