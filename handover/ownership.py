"""Who owns a conversation: the state machine of the human handover, a pure function over an Enum.

    transition = apply(Ownership.initial(), Escalate("asked_for_human", team="support"), now=time.time())
    transition.ownership.state   # ConversationState.QUEUED, version 1
    transition.events            # [{"event": "handover", "timestamp": ..., "reason": "asked_for_human", ...}]

No I/O and no clock: the caller passes `now`, stores the new `Ownership` (checking the version it
started from) and appends the events in the same transaction. Every transition bumps the version by
one and emits exactly one event, so `ownership_from_events` rebuilds the owner and its version from
a tracker's history by feeding the events back through `apply`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.shared.core.events import (
    EventDict,
    HandedBack,
    HandoverAccepted,
    HandoverCancelled,
    HandoverDeclined,
    HandoverOffered,
    HandoverOfferExpired,
    HandoverReclaimed,
    HandoverRequested,
    HandoverResolved,
    HandoverTakenOver,
    HandoverTransferred,
)
from bot.shared.errors import BotError
from handover._commands import (
    Accept,
    Cancel,
    Command,
    DeclineOffer,
    Escalate,
    HandBack,
    InvalidCommand,
    Offer,
    OfferExpired,
    Reclaim,
    Resolve,
    TakeOver,
    Transfer,
)

__all__ = [
    "Accept", "AlreadyAssigned", "AlreadyOffered", "AlreadyWithHuman", "Cancel", "Command",
    "ConversationState", "DeclineOffer", "Escalate", "HandBack", "IllegalTransition", "InvalidCommand",
    "InvalidOwnership", "NotAssignedToYou", "NotOffered", "NotOfferedToYou", "NotQueued", "NotWithAgent",
    "NotWithHuman", "Offer", "OfferExpired", "Ownership", "Reclaim", "Resolve", "TakeOver", "Transfer",
    "Transition", "apply", "command_from_event", "ownership_from_events", "HANDOVER_EVENT_NAMES",
]


class ConversationState(StrEnum):
    """Where a conversation stands; BOT and RESOLVED are both owned by the bot."""

    BOT = "bot"
    QUEUED = "queued"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"  # closed by a person; the customer's next message goes to the bot


_HUMAN = frozenset({ConversationState.QUEUED, ConversationState.OFFERED, ConversationState.ASSIGNED})


class InvalidOwnership(BotError):
    """An `Ownership` whose fields contradict its state (e.g. ASSIGNED without an agent)."""


@dataclass(frozen=True)
class Ownership:
    """The owner of one conversation and the version that every outbound message is checked against."""

    state: ConversationState
    version: int = 0
    team: str | None = None
    agent: str | None = None  # the assigned agent's username
    offered_to: str | None = None
    priority: int = 0
    reason: str | None = None
    skill: str | None = None
    language: str | None = None
    queued_at: float | None = None  # when the customer started waiting for a person
    last_agent: str | None = None  # the last agent assigned, to offer a returning customer to them first

    def __post_init__(self) -> None:
        # Make contradictory states unrepresentable, also for rows the store reads back.
        state = ConversationState(self.state)
        object.__setattr__(self, "state", state)
        problem = None
        if state is ConversationState.ASSIGNED and not self.agent:
            problem = "is assigned but names no agent"
        elif state is ConversationState.OFFERED and not self.offered_to:
            problem = "is offered but names no agent it is offered to"
        elif state is not ConversationState.ASSIGNED and self.agent is not None:
            problem = f"names the agent {self.agent!r} but is {state.value}"
        elif state is not ConversationState.OFFERED and self.offered_to is not None:
            problem = f"is offered to {self.offered_to!r} but is {state.value}"
        elif state in (ConversationState.QUEUED, ConversationState.OFFERED) and self.queued_at is None:
            problem = f"is {state.value} but has no queued_at"
        elif self.version < 0:
            problem = f"has the negative version {self.version}"
        if problem:
            raise InvalidOwnership(f"The conversation's ownership {problem}.")

    @classmethod
    def initial(cls) -> Ownership:
        """A new conversation: the bot owns it, version 0."""
        return cls(state=ConversationState.BOT)

    @property
    def owner(self) -> tuple[str, str | None]:
        """("bot", None), ("queue", team) or ("agent", username): exactly one owner."""
        if self.state is ConversationState.ASSIGNED:
            return ("agent", self.agent)
        if self.state in (ConversationState.QUEUED, ConversationState.OFFERED):
            return ("queue", self.team)
        return ("bot", None)

    @property
    def is_human(self) -> bool:
        """True while a person (a queue or an agent) owns it: the bot stays silent."""
        return self.state in _HUMAN


@dataclass(frozen=True)
class Transition:
    """The result of `apply`: the new ownership and the events that record the change."""

    ownership: Ownership
    events: list[EventDict] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.ownership.version


# -- errors: one class per kind of refusal -----------------------------------------------------------


class IllegalTransition(BotError):
    """A command that the conversation's current state does not allow."""

    def __init__(self, ownership: Ownership, command: Command, why: str) -> None:
        self.state = ownership.state
        self.ownership = ownership
        self.command = command
        super().__init__(
            f"Cannot {type(command).__name__} a conversation that is {ownership.state.value}: {why}.",
        )


class AlreadyWithHuman(IllegalTransition):
    """Escalating a conversation that a queue or an agent already owns."""


class NotQueued(IllegalTransition):
    """Offering, accepting or cancelling a conversation that is not waiting for a person."""


class AlreadyOffered(IllegalTransition):
    """Offering a conversation that is already offered to someone."""


class NotOffered(IllegalTransition):
    """Expiring or declining an offer that does not exist."""


class NotOfferedToYou(IllegalTransition):
    """Accepting, declining or expiring an offer made to another agent."""


class AlreadyAssigned(IllegalTransition):
    """Accepting, taking over or cancelling a conversation an agent already has (`agent` says who)."""

    @property
    def agent(self) -> str | None:
        return self.ownership.agent


class NotWithHuman(IllegalTransition):
    """Handing back, resolving or transferring a conversation the bot owns."""


class NotWithAgent(IllegalTransition):
    """Reclaiming a conversation that no agent has."""


class NotAssignedToYou(IllegalTransition):
    """Reclaiming from an agent who no longer has the conversation."""


# -- the transition function ---------------------------------------------------------------------


def apply(ownership: Ownership, command: Command, now: float) -> Transition:
    """The new ownership after `command` at time `now`, with the one event that records it.

    Raises the `IllegalTransition` subclass that names what is wrong; `ownership` is never changed.
    """
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise InvalidCommand(f"{command!r} is not an ownership command.")
    new, event = handler(ownership, command, now)
    return Transition(dataclasses.replace(new, version=ownership.version + 1), [event.as_dict()])


_State = ConversationState


def _bot_owned(ownership: Ownership, state: ConversationState) -> Ownership:
    """Back to the bot: nothing of the last handover stays but who the last agent was."""
    return Ownership(state=state, version=ownership.version, last_agent=ownership.last_agent)


def _escalate(own: Ownership, cmd: Escalate, now: float) -> tuple[Ownership, Any]:
    if own.is_human:
        raise AlreadyWithHuman(own, cmd, f"it is already {own.state.value} (owner {own.owner})")
    new = Ownership(
        state=_State.QUEUED, version=own.version, team=cmd.team, priority=cmd.priority, reason=cmd.reason,
        skill=cmd.skill, language=cmd.language, queued_at=now, last_agent=own.last_agent,
    )
    return new, HandoverRequested(cmd.reason, cmd.priority, cmd.skill, cmd.team, cmd.language, timestamp=now)


def _offer(own: Ownership, cmd: Offer, now: float) -> tuple[Ownership, Any]:
    if own.state is _State.OFFERED:
        raise AlreadyOffered(own, cmd, f"it is offered to {own.offered_to!r}; let that offer expire first")
    if own.state is not _State.QUEUED:
        raise NotQueued(own, cmd, "only a queued conversation can be offered")
    return dataclasses.replace(own, state=_State.OFFERED, offered_to=cmd.agent), HandoverOffered(
        cmd.agent, timestamp=now)


def _check_offer(own: Ownership, cmd: OfferExpired | DeclineOffer) -> None:
    if own.state is not _State.OFFERED:
        raise NotOffered(own, cmd, "there is no open offer")
    if own.offered_to != cmd.agent:
        raise NotOfferedToYou(own, cmd, f"it is offered to {own.offered_to!r}, not {cmd.agent!r}")


def _offer_expired(own: Ownership, cmd: OfferExpired, now: float) -> tuple[Ownership, Any]:
    _check_offer(own, cmd)
    return dataclasses.replace(own, state=_State.QUEUED, offered_to=None), HandoverOfferExpired(
        cmd.agent, timestamp=now)


def _decline(own: Ownership, cmd: DeclineOffer, now: float) -> tuple[Ownership, Any]:
    _check_offer(own, cmd)
    return dataclasses.replace(own, state=_State.QUEUED, offered_to=None), HandoverDeclined(
        cmd.agent, timestamp=now)


def _assigned(own: Ownership, agent: str, now: float, team: str | None = None) -> Ownership:
    return dataclasses.replace(
        own, state=_State.ASSIGNED, agent=agent, offered_to=None, last_agent=agent,
        team=team if team is not None else own.team, queued_at=_queued_at(own, now),
    )


def _queued_at(own: Ownership, now: float) -> float:
    """When the customer started waiting: kept across transfers and reclaims, so nobody loses their place."""
    return own.queued_at if own.queued_at is not None else now


def _accept(own: Ownership, cmd: Accept, now: float) -> tuple[Ownership, Any]:
    if own.state is _State.ASSIGNED:
        raise AlreadyAssigned(own, cmd, f"{own.agent!r} has it")
    if own.state is _State.OFFERED and own.offered_to != cmd.agent:
        raise NotOfferedToYou(own, cmd, f"it is offered to {own.offered_to!r}, not {cmd.agent!r}")
    if own.state not in (_State.QUEUED, _State.OFFERED):
        raise NotQueued(own, cmd, "the bot owns it; an agent takes it over by replying")
    return _assigned(own, cmd.agent, now), HandoverAccepted(cmd.agent, timestamp=now)


def _take_over(own: Ownership, cmd: TakeOver, now: float) -> tuple[Ownership, Any]:
    if own.state is _State.ASSIGNED:
        raise AlreadyAssigned(own, cmd, f"{own.agent!r} has it; ask them to transfer it")
    base = own
    if not own.is_human:  # straight from the bot: a handover with the reason saying who started it
        base = Ownership(state=_State.QUEUED, version=own.version, reason="agent_takeover", queued_at=now,
                         last_agent=own.last_agent)
    return _assigned(base, cmd.agent, now), HandoverTakenOver(cmd.agent, timestamp=now)


def _transfer(own: Ownership, cmd: Transfer, now: float) -> tuple[Ownership, Any]:
    if not own.is_human:
        raise NotWithHuman(own, cmd, "the bot owns it; escalate it to a team instead")
    team = cmd.to_team if cmd.to_team is not None else own.team
    if cmd.to_agent is not None:
        if own.state is _State.ASSIGNED and own.agent == cmd.to_agent and team == own.team:
            raise AlreadyAssigned(own, cmd, f"{own.agent!r} has it already")
        new = _assigned(own, cmd.to_agent, now, team)
    else:
        # A new queue, same priority; the customer keeps their place by the time they started waiting.
        new = dataclasses.replace(own, state=_State.QUEUED, team=team, agent=None, offered_to=None,
                                  queued_at=_queued_at(own, now))
    event = HandoverTransferred(cmd.by, cmd.to_agent, cmd.to_team, cmd.note, timestamp=now)
    return new, event


def _hand_back(own: Ownership, cmd: HandBack, now: float) -> tuple[Ownership, Any]:
    if not own.is_human:
        raise NotWithHuman(own, cmd, "the bot owns it already")
    return _bot_owned(own, _State.BOT), HandedBack(cmd.reason, cmd.by, timestamp=now)


def _resolve(own: Ownership, cmd: Resolve, now: float) -> tuple[Ownership, Any]:
    if not own.is_human:
        raise NotWithHuman(own, cmd, "the bot owns it; there is nothing to resolve")
    return _bot_owned(own, _State.RESOLVED), HandoverResolved(cmd.by, timestamp=now)


def _cancel(own: Ownership, cmd: Cancel, now: float) -> tuple[Ownership, Any]:
    if own.state is _State.ASSIGNED:
        raise AlreadyAssigned(own, cmd, f"{own.agent!r} has it; the customer's message goes to them")
    if not own.is_human:
        raise NotQueued(own, cmd, "nobody is waiting for a person")
    return _bot_owned(own, _State.BOT), HandoverCancelled(cmd.reason, timestamp=now)


def _reclaim(own: Ownership, cmd: Reclaim, now: float) -> tuple[Ownership, Any]:
    if own.state is not _State.ASSIGNED:
        raise NotWithAgent(own, cmd, "no agent has it")
    if own.agent != cmd.agent:
        raise NotAssignedToYou(own, cmd, f"{own.agent!r} has it, not {cmd.agent!r}")
    # Same team and priority, and the original queued_at: the customer does not lose their place.
    new = dataclasses.replace(own, state=_State.QUEUED, agent=None, queued_at=_queued_at(own, now))
    return new, HandoverReclaimed(cmd.agent, timestamp=now)


_HANDLERS: dict[type, Any] = {
    Escalate: _escalate, Offer: _offer, OfferExpired: _offer_expired, DeclineOffer: _decline,
    Accept: _accept, TakeOver: _take_over, Transfer: _transfer, HandBack: _hand_back,
    Resolve: _resolve, Cancel: _cancel, Reclaim: _reclaim,
}


# -- replay ----------------------------------------------------------------------------------------

# Names Rasa trackers may use for an old priority word; numbers pass through.
_PRIORITY_WORDS = {"low": -1, "normal": 0, "medium": 0, "high": 1, "urgent": 2}


def _priority(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    if text.lstrip("-").isdigit():
        return int(text)
    return _PRIORITY_WORDS.get(text, 0)


def command_from_event(event: EventDict) -> Command | None:
    """The command a handover event records, or None for any other event (user, bot, slot...)."""
    name = event.get("event")
    agent = event.get("agent")
    match name:
        case "handover":
            return Escalate(event.get("reason"), event.get("team"), _priority(event.get("priority")),
                            event.get("skill"), event.get("language"))
        case "handover_offered":
            return Offer(agent)
        case "handover_offer_expired":
            return OfferExpired(agent)
        case "handover_declined":
            return DeclineOffer(agent)
        case "handover_accepted":
            return Accept(agent)
        case "handover_taken_over":
            return TakeOver(agent)
        case "handover_transferred":
            return Transfer(event.get("by"), event.get("to_agent"), event.get("to_team"), event.get("note"))
        case "handback":
            return HandBack(agent, event.get("reason"))
        case "handover_resolved":
            return Resolve(event.get("by"))
        case "handover_cancelled":
            return Cancel(event.get("reason") or "customer_cancelled")
        case "handover_reclaimed":
            return Reclaim(agent)
    return None


HANDOVER_EVENT_NAMES = frozenset({
    "handover", "handover_offered", "handover_offer_expired", "handover_declined", "handover_accepted",
    "handover_taken_over", "handover_transferred", "handback", "handover_resolved", "handover_cancelled",
    "handover_reclaimed",
})


def ownership_from_events(events: Iterable[EventDict], *, strict: bool = True,
                          start: Ownership | None = None) -> Ownership:
    """Replays a tracker's handover events (others are skipped) into the ownership they describe.

    `strict=False` skips events the state machine would refuse (e.g. a second "handover" written by
    an older version without a handback between), instead of raising the `IllegalTransition`.
    """
    ownership = start or Ownership.initial()
    for event in events:
        if event.get("event") not in HANDOVER_EVENT_NAMES:
            continue
        try:
            command = command_from_event(event)
            if command is not None:
                ownership = apply(ownership, command, float(event.get("timestamp") or 0.0)).ownership
        except (IllegalTransition, InvalidCommand):
            if strict:
                raise
    return ownership
