"""What an agent is: the `Agent` record, roles in their order, presence states and the errors about agents.

Shared by `handover.agents` (the directory) and `handover.credentials` (tokens and sessions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import RowMapping

from bot.shared.errors import BotError

__all__ = [
    "MAX_CAPACITY", "ROLES", "STATUSES", "Agent", "AgentError", "AgentExists", "InvalidAgentInput", "UnknownAgent",
    "agent_from_row", "has_role", "normalise_username",
]

ROLES = ("agent", "supervisor", "admin")  # in rising order: each may do what the ones before it may
STATUSES = ("online", "away", "offline")
MAX_CAPACITY = 50
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


class AgentError(BotError):
    """A request about agents that cannot be done as asked (the API answers 4xx)."""


class UnknownAgent(AgentError):
    """No agent has that username (404)."""


class AgentExists(AgentError):
    """The username is taken (409)."""


class InvalidAgentInput(AgentError):
    """A role, status, name, team, capacity or password that is not allowed (400)."""


@dataclass(frozen=True)
class Agent:
    """One person who answers customers, as stored. Lists are tuples so the object stays immutable."""

    id: int
    username: str
    display_name: str
    role: str
    teams: tuple[str, ...]
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: int
    status: str
    disabled: bool
    status_changed_at: float | None = None
    last_seen_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API (no password hash: the object never holds it)."""
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "teams": list(self.teams), "skills": list(self.skills), "languages": list(self.languages),
                "capacity": self.capacity, "status": self.status, "disabled": self.disabled,
                "status_changed_at": self.status_changed_at, "last_seen_at": self.last_seen_at}


def has_role(agent: Agent, needed: str) -> bool:
    """True when the agent's role is `needed` or above it (agent < supervisor < admin)."""
    if needed not in ROLES:
        raise ValueError(f"unknown role '{needed}'; roles are {', '.join(ROLES)}")
    return ROLES.index(agent.role) >= ROLES.index(needed) if agent.role in ROLES else False


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up lower-cased and stripped."""
    return str(username).strip().lower()


def agent_from_row(row: RowMapping) -> Agent:
    """An `Agent` from a handover_agents row."""
    return Agent(
        id=int(row["id"]), username=row["username"], display_name=row["display_name"] or row["username"],
        role=row["role"], teams=tuple(json.loads(row["teams"] or "[]")), skills=tuple(json.loads(row["skills"] or "[]")),
        languages=tuple(json.loads(row["languages"] or "[]")), capacity=int(row["capacity"]), status=row["status"],
        disabled=bool(row["disabled"]), status_changed_at=row["status_changed_at"], last_seen_at=row["last_seen_at"],
    )
