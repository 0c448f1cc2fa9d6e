"""The supervisor's live view (`GET /handover/overview`): queues per team and agents, read in one transaction.

Per team: conversations waiting (queued), offered, with agents, the longest wait, the worst
first-response SLA state of those not yet answered (ok / amber / red; past the deadline is red)
and the breaches recorded today (the team's calendar day, in its time zone). Per agent: status,
load and capacity. The live feed carries every change this is made of (conversation, offer,
agent_status, sla_warning, config), so a console re-reads it when one of those arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import store, tables
from handover.config_store import teams_in
from handover.hours import BusinessHours

__all__ = ["SLA_STATES", "build_overview"]

SLA_STATES = ("ok", "amber", "red")
_OPEN = ("queued", "offered", "assigned")
_AGENT_FIELDS = ("username", "display_name", "role", "status", "load", "capacity", "teams", "skills", "languages",
                 "status_changed_at")

SlaStateOf = Callable[[Mapping[str, Any], float], str | None]  # a row's first-response state, None: no clock


def build_overview(conn: Connection, now: float, sla_state: SlaStateOf) -> dict[str, Any]:
    """{"generated_at", "queues": [...], "agents": [...], "conversations": [...]} at `now` (epoch seconds)."""
    rows = store.list_rows(conn, states=list(_OPEN), limit=2000, with_packet=False)
    teams = {team.name: team for team in teams_in(conn)}
    names: list[str | None] = [*teams, *sorted({row["team"] for row in rows if row["team"] not in teams},
                                                key=lambda name: (name is None, name or ""))]
    queues = []
    for name in names:
        mine = [row for row in rows if row["team"] == name]
        waiting = [row for row in mine if row["state"] in ("queued", "offered")]
        states = [sla_state(row, now) for row in mine if not row.get("first_response_at")]
        worst = max((SLA_STATES.index(_shown(state)) for state in states if state), default=0)
        team = teams.get(name) if name is not None else None
        queues.append({
            "team": name, "display_name": team.display_name if team else name,
            "waiting": sum(row["state"] == "queued" for row in mine),
            "offered": sum(row["state"] == "offered" for row in mine),
            "assigned": sum(row["state"] == "assigned" for row in mine),
            "longest_wait_seconds": max((now - row["queued_at"] for row in waiting if row.get("queued_at")),
                                        default=None),
            "sla_state": SLA_STATES[worst],
            "breaches_today": _breaches_today(conn, name, team.hours if team else BusinessHours.always(), now),
        })
    agents = [{key: agent.get(key) for key in _AGENT_FIELDS}
              for agent in sorted(store.load_agents(conn), key=lambda agent: agent["username"])]
    conversations = [{
        "conversation_id": row["sender_id"], "state": row["state"], "team": row["team"], "agent": row["agent"],
        "offered_to": row["offered_to"], "priority": row["priority"], "reason": row["reason"],
        "language": row["language"], "queued_at": row["queued_at"],
        "waiting_seconds": now - row["queued_at"] if row.get("queued_at") else None,
        "sla_state": _shown(sla_state(row, now)) if not row.get("first_response_at") else None,
    } for row in rows]
    return {"generated_at": now, "queues": queues, "agents": agents, "conversations": conversations}


def _shown(state: str | None) -> str:
    """The clock's state as the overview shows it: past the deadline is red too (the breach is counted)."""
    return "red" if state == "breached" else state or "ok"


def _breaches_today(conn: Connection, team: str | None, hours: BusinessHours, now: float) -> int:
    local = dt.datetime.fromtimestamp(now, hours.zone)
    midnight = dt.datetime.combine(local.date(), dt.time(0), hours.zone).timestamp()
    table = tables.sla_breaches
    which = table.c.team.is_(None) if team is None else table.c.team == team
    return int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(which, table.c.recorded_at >= midnight))
               or 0)
