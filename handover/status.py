"""What the queues and agents look like right now, read from handover_conversations (`bot handover status`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import tables

__all__ = ["QueueSummary", "agent_loads", "queue_summary"]


@dataclass(frozen=True)
class QueueSummary:
    """One team's queue: conversations waiting, offered to an agent, with an agent; the longest wait so far."""

    team: str | None
    queued: int
    offered: int
    assigned: int
    longest_wait_seconds: float | None  # of the queued and offered ones; None when nobody waits


async def queue_summary(tracker_store: Any, now: float) -> list[QueueSummary]:
    """Per team (teams with nothing open left out), by team name; `now` in seconds since the epoch."""
    return await tracker_store.run_in_transaction(_queue_summary, now, write=False)


async def agent_loads(tracker_store: Any) -> dict[str, int]:
    """Conversations assigned to each agent (agents without any are left out)."""
    return await tracker_store.run_in_transaction(_agent_loads, write=False)


def _queue_summary(conn: Connection, now: float) -> list[QueueSummary]:
    conversations = tables.conversations
    state = conversations.c.state
    waiting = state.in_(("queued", "offered"))
    query = (
        sa.select(
            conversations.c.team,
            sa.func.count().filter(state == "queued"),
            sa.func.count().filter(state == "offered"),
            sa.func.count().filter(state == "assigned"),
            sa.func.min(sa.case((waiting, conversations.c.queued_at), else_=None)),
        )
        .where(state.in_(("queued", "offered", "assigned")))
        .group_by(conversations.c.team)
    )
    summaries = [
        QueueSummary(team, int(queued), int(offered), int(assigned),
                     None if oldest is None else max(now - float(oldest), 0.0))
        for team, queued, offered, assigned, oldest in conn.execute(query).all()
    ]
    return sorted(summaries, key=lambda summary: (summary.team is None, summary.team or ""))


def _agent_loads(conn: Connection) -> dict[str, int]:
    conversations = tables.conversations
    query = (sa.select(conversations.c.agent, sa.func.count()).where(conversations.c.state == "assigned",
                                                                     conversations.c.agent.is_not(None))
             .group_by(conversations.c.agent))
    return {agent: int(count) for agent, count in conn.execute(query).all()}
