"""The commands `handover.ownership.apply` understands: what someone wants done to the owner.

Each checks its own fields when built, so bad input from the API fails with `InvalidCommand`
naming the field before it reaches the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.shared.errors import BotError


class InvalidCommand(BotError):
    """A command built with a missing or malformed field (e.g. an empty agent name)."""


def _name(command: object, field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommand(
            f"{type(command).__name__} needs '{field}' as a non-empty text, not {value!r}.",
            hint=f"Give the {field.replace('_', ' ')} (a username or team name).",
        )


@dataclass(frozen=True)
class Escalate:
    """The bot (or a rule) hands the conversation to a team's queue."""

    reason: str | None
    team: str | None = None
    priority: int = 0
    skill: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidCommand(f"Escalate needs 'priority' as a whole number, not {self.priority!r}.")
        for field in ("team", "skill", "language", "reason"):
            _name(self, field, getattr(self, field), optional=True)


@dataclass(frozen=True)
class _AgentCommand:
    """A command about one agent, named by their username."""

    agent: str

    def __post_init__(self) -> None:
        _name(self, "agent", self.agent)


@dataclass(frozen=True)
class Offer(_AgentCommand):
    """Routing offers the queued conversation to one agent."""


@dataclass(frozen=True)
class OfferExpired(_AgentCommand):
    """The offered agent did not accept in time."""


@dataclass(frozen=True)
class DeclineOffer(_AgentCommand):
    """The offered agent says no."""


@dataclass(frozen=True)
class Accept(_AgentCommand):
    """An agent takes a queued conversation, or one offered to them ("assign to me")."""


@dataclass(frozen=True)
class TakeOver(_AgentCommand):
    """An agent replies to a conversation nobody has assigned them: they own it from now on."""


@dataclass(frozen=True)
class Transfer:
    """`by` moves the conversation to an agent (assigned to them) or to a team (queued there)."""

    by: str | None
    to_agent: str | None = None
    to_team: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _name(self, "by", self.by, optional=True)
        _name(self, "to_agent", self.to_agent, optional=True)
        _name(self, "to_team", self.to_team, optional=True)
        if self.to_agent is None and self.to_team is None:
            raise InvalidCommand("Transfer needs an agent or a team to transfer to.",
                                 hint='Give "agent" or "team".')


@dataclass(frozen=True)
class HandBack:
    """A person gives the conversation back to the bot, which continues it."""

    by: str | None
    reason: str | None = None

    def __post_init__(self) -> None:
        _name(self, "by", self.by, optional=True)


@dataclass(frozen=True)
class Resolve:
    """A person closes the conversation; the customer's next message goes to the bot."""

    by: str | None

    def __post_init__(self) -> None:
        _name(self, "by", self.by, optional=True)


@dataclass(frozen=True)
class Cancel:
    """The customer withdraws while waiting ("never mind"): back to the bot."""

    reason: str = "customer_cancelled"


@dataclass(frozen=True)
class Reclaim(_AgentCommand):
    """The assigned agent stayed offline past the grace period: queued again, keeping their place."""


Command = (
    Escalate | Offer | OfferExpired | DeclineOffer | Accept | TakeOver | Transfer | HandBack | Resolve | Cancel
    | Reclaim
)
