"""The ownership state machine: a transition table over every state and command, and hypothesis
over random command sequences (one owner, version +1 a transition, replay gives the same owner)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.shared.core.events import Event
from bot.shared.errors import BotError
from handover.ownership import (
    Accept,
    AlreadyAssigned,
    AlreadyOffered,
    AlreadyWithHuman,
    Cancel,
    ConversationState,
    DeclineOffer,
    Escalate,
    HandBack,
    IllegalTransition,
    InvalidCommand,
    InvalidOwnership,
    NotAssignedToYou,
    NotOffered,
    NotOfferedToYou,
    NotQueued,
    NotWithAgent,
    NotWithHuman,
    Offer,
    OfferExpired,
    Ownership,
    Reclaim,
    Resolve,
    TakeOver,
    Transfer,
    apply,
    ownership_from_events,
)

S = ConversationState
T0 = 1_000.0

# One conversation in each state; "anna" is the agent it is offered or assigned to, "ben" another one.
STATES = {
    S.BOT: Ownership.initial(),
    S.QUEUED: Ownership(S.QUEUED, 1, team="support", priority=2, reason="asked_for_human", queued_at=T0),
    S.OFFERED: Ownership(S.OFFERED, 2, team="support", offered_to="anna", queued_at=T0),
    S.ASSIGNED: Ownership(S.ASSIGNED, 3, team="support", agent="anna", queued_at=T0, last_agent="anna"),
    S.RESOLVED: Ownership(S.RESOLVED, 4, last_agent="anna"),
}

COMMANDS = {
    "escalate": Escalate("asked_for_human", "support"),
    "offer_ben": Offer("ben"),
    "expire_anna": OfferExpired("anna"),
    "expire_ben": OfferExpired("ben"),
    "decline_anna": DeclineOffer("anna"),
    "decline_ben": DeclineOffer("ben"),
    "accept_anna": Accept("anna"),
    "accept_ben": Accept("ben"),
    "takeover_ben": TakeOver("ben"),
    "transfer_to_ben": Transfer("anna", to_agent="ben", note="billing question"),
    "transfer_to_team": Transfer("anna", to_team="billing"),
    "handback": HandBack("anna", "done"),
    "resolve": Resolve("anna"),
    "cancel": Cancel(),
    "reclaim_anna": Reclaim("anna"),
    "reclaim_ben": Reclaim("ben"),
}

# The same answers for BOT and RESOLVED: the bot owns both.
_BOT_ROW = {
    "escalate": S.QUEUED, "offer_ben": NotQueued, "expire_anna": NotOffered, "expire_ben": NotOffered,
    "decline_anna": NotOffered, "decline_ben": NotOffered, "accept_anna": NotQueued, "accept_ben": NotQueued,
    "takeover_ben": S.ASSIGNED, "transfer_to_ben": NotWithHuman, "transfer_to_team": NotWithHuman,
    "handback": NotWithHuman, "resolve": NotWithHuman, "cancel": NotQueued, "reclaim_anna": NotWithAgent,
    "reclaim_ben": NotWithAgent,
}
TABLE: dict[ConversationState, dict[str, ConversationState | type[IllegalTransition]]] = {
    S.BOT: _BOT_ROW,
    S.RESOLVED: _BOT_ROW,
    S.QUEUED: {
        "escalate": AlreadyWithHuman, "offer_ben": S.OFFERED, "expire_anna": NotOffered,
        "expire_ben": NotOffered, "decline_anna": NotOffered, "decline_ben": NotOffered,
        "accept_anna": S.ASSIGNED, "accept_ben": S.ASSIGNED, "takeover_ben": S.ASSIGNED,
        "transfer_to_ben": S.ASSIGNED, "transfer_to_team": S.QUEUED, "handback": S.BOT, "resolve": S.RESOLVED,
        "cancel": S.BOT, "reclaim_anna": NotWithAgent, "reclaim_ben": NotWithAgent,
    },
    S.OFFERED: {
        "escalate": AlreadyWithHuman, "offer_ben": AlreadyOffered, "expire_anna": S.QUEUED,
        "expire_ben": NotOfferedToYou, "decline_anna": S.QUEUED, "decline_ben": NotOfferedToYou,
        "accept_anna": S.ASSIGNED, "accept_ben": NotOfferedToYou, "takeover_ben": S.ASSIGNED,
        "transfer_to_ben": S.ASSIGNED, "transfer_to_team": S.QUEUED, "handback": S.BOT, "resolve": S.RESOLVED,
        "cancel": S.BOT, "reclaim_anna": NotWithAgent, "reclaim_ben": NotWithAgent,
    },
    S.ASSIGNED: {
        "escalate": AlreadyWithHuman, "offer_ben": NotQueued, "expire_anna": NotOffered,
        "expire_ben": NotOffered, "decline_anna": NotOffered, "decline_ben": NotOffered,
        "accept_anna": AlreadyAssigned, "accept_ben": AlreadyAssigned, "takeover_ben": AlreadyAssigned,
        "transfer_to_ben": S.ASSIGNED, "transfer_to_team": S.QUEUED, "handback": S.BOT, "resolve": S.RESOLVED,
        "cancel": AlreadyAssigned, "reclaim_anna": S.QUEUED, "reclaim_ben": NotAssignedToYou,
    },
}

CASES = [(state, name, expected) for state, row in TABLE.items() for name, expected in row.items()]


def test_the_table_covers_every_state_and_command() -> None:
    assert set(TABLE) == set(ConversationState)
    assert all(set(row) == set(COMMANDS) for row in TABLE.values())
    from handover._commands import Command
    assert {type(c) for c in COMMANDS.values()} == set(Command.__args__)


@pytest.mark.parametrize(("state", "name", "expected"), CASES, ids=[f"{s.value}-{n}" for s, n, _ in CASES])
def test_transition_table(state: ConversationState, name: str, expected: object) -> None:
    before = STATES[state]
    command = COMMANDS[name]
    if isinstance(expected, ConversationState):
        transition = apply(before, command, now=T0 + 50)
        assert transition.ownership.state is expected
        assert transition.ownership.version == before.version + 1 == transition.version
        [event] = transition.events
        assert event["timestamp"] == T0 + 50
    else:
        with pytest.raises(IllegalTransition) as caught:
            apply(before, command, now=T0 + 50)
        assert type(caught.value) is expected
        assert isinstance(caught.value, BotError)
        # The message names the state and the command.
        assert state.value in str(caught.value) and type(command).__name__ in str(caught.value)
        assert caught.value.state is state and caught.value.command is command


def test_owner_is_exactly_one_thing() -> None:
    assert STATES[S.BOT].owner == ("bot", None) and not STATES[S.BOT].is_human
    assert STATES[S.RESOLVED].owner == ("bot", None) and not STATES[S.RESOLVED].is_human
    assert STATES[S.QUEUED].owner == ("queue", "support") and STATES[S.QUEUED].is_human
    assert STATES[S.OFFERED].owner == ("queue", "support") and STATES[S.OFFERED].is_human
    assert STATES[S.ASSIGNED].owner == ("agent", "anna") and STATES[S.ASSIGNED].is_human


def test_a_full_handover_and_its_events() -> None:
    own = Ownership.initial()
    steps = [
        Escalate("asked_for_human", "support", priority=1, skill="billing", language="de"),
        Offer("anna"), OfferExpired("anna"), Offer("ben"), Accept("ben"),
        Transfer("ben", to_team="billing", note="refund"), Accept("carla"), HandBack("carla", "answered"),
    ]
    events = []
    for index, command in enumerate(steps):
        transition = apply(own, command, now=T0 + index)
        own = transition.ownership
        events += transition.events
    assert own == Ownership(S.BOT, version=len(steps), last_agent="carla")
    assert events[0] == {"event": "handover", "timestamp": T0, "reason": "asked_for_human", "priority": 1,
                         "skill": "billing", "team": "support", "language": "de"}
    assert events[5] == {"event": "handover_transferred", "timestamp": T0 + 5, "by": "ben", "to_agent": None,
                         "to_team": "billing", "note": "refund"}
    assert events[-1] == {"event": "handback", "timestamp": T0 + 7, "reason": "answered", "agent": "carla"}
    assert [e["event"] for e in events] == [
        "handover", "handover_offered", "handover_offer_expired", "handover_offered", "handover_accepted",
        "handover_transferred", "handover_accepted", "handback",
    ]


def test_reclaim_and_transfer_keep_the_customers_place() -> None:
    assigned = apply(STATES[S.QUEUED], Accept("anna"), now=T0 + 30).ownership
    reclaimed = apply(assigned, Reclaim("anna"), now=T0 + 900).ownership
    assert (reclaimed.state, reclaimed.team, reclaimed.priority, reclaimed.queued_at) == (S.QUEUED, "support", 2, T0)
    assert reclaimed.last_agent == "anna" and reclaimed.agent is None
    moved = apply(assigned, Transfer("anna", to_team="billing"), now=T0 + 60).ownership
    assert (moved.state, moved.team, moved.queued_at, moved.priority) == (S.QUEUED, "billing", T0, 2)
    to_ben = apply(assigned, Transfer("anna", to_agent="ben", to_team="billing"), now=T0 + 60).ownership
    assert (to_ben.agent, to_ben.team, to_ben.last_agent) == ("ben", "billing", "ben")


def test_take_over_from_the_bot_starts_a_handover() -> None:
    own = apply(Ownership.initial(), TakeOver("anna"), now=T0).ownership
    assert (own.state, own.agent, own.reason, own.queued_at, own.team) == (S.ASSIGNED, "anna", "agent_takeover", T0, None)
    # From the queue the escalation's details stay.
    own = apply(STATES[S.OFFERED], TakeOver("ben"), now=T0 + 5).ownership
    assert (own.agent, own.team, own.queued_at, own.offered_to) == ("ben", "support", T0, None)


def test_returning_customer_remembers_the_last_agent() -> None:
    again = apply(STATES[S.RESOLVED], Escalate("asked_for_human", "support"), now=T0).ownership
    assert again.last_agent == "anna" and again.state is S.QUEUED and again.queued_at == T0


def test_already_assigned_says_who_has_it() -> None:
    with pytest.raises(AlreadyAssigned) as caught:
        apply(STATES[S.ASSIGNED], TakeOver("anna"), now=T0)
    assert caught.value.agent == "anna"
    with pytest.raises(AlreadyAssigned):  # transferring to whoever has it already changes nothing
        apply(STATES[S.ASSIGNED], Transfer("sup", to_agent="anna"), now=T0)


@pytest.mark.parametrize("build", [
    lambda: Offer(""), lambda: Accept(None), lambda: TakeOver("  "), lambda: Transfer("anna"),
    lambda: Escalate("x", priority="high"), lambda: Escalate("x", priority=True), lambda: Reclaim(3),
    lambda: Transfer("anna", to_agent=""), lambda: HandBack(""),
])
def test_malformed_commands_are_refused_when_built(build) -> None:
    with pytest.raises(InvalidCommand) as caught:
        build()
    assert "needs" in str(caught.value)


@pytest.mark.parametrize("fields", [
    {"state": S.ASSIGNED}, {"state": S.OFFERED, "queued_at": 1.0}, {"state": S.BOT, "agent": "anna"},
    {"state": S.QUEUED, "offered_to": "anna", "queued_at": 1.0}, {"state": S.QUEUED},
    {"state": S.BOT, "version": -1},
])
def test_contradictory_ownership_cannot_be_built(fields) -> None:
    with pytest.raises(InvalidOwnership):
        Ownership(**fields)


def test_state_is_read_from_its_text() -> None:
    assert Ownership("queued", queued_at=1.0).state is S.QUEUED


def test_replay_skips_other_events_and_reads_older_shapes() -> None:
    events = [
        {"event": "user", "timestamp": 1.0, "text": "Mensch bitte"},
        {"event": "handover", "timestamp": 2.0, "reason": "asked_for_human", "priority": "high", "skill": None},
        {"event": "bot", "timestamp": 3.0, "text": "Einen Moment"},
        {"event": "handover_accepted", "timestamp": 4.0, "agent": "anna"},
        {"event": "handback", "timestamp": 5.0, "reason": "done"},  # written before handbacks named the agent
    ]
    own = ownership_from_events(events)
    assert own == Ownership(S.BOT, version=3, last_agent="anna")
    assert ownership_from_events(events[:4]).priority == 1
    assert ownership_from_events(events[:2]).queued_at == 2.0


def test_replay_refuses_or_skips_an_impossible_history() -> None:
    events = [
        {"event": "handover", "timestamp": 2.0, "reason": "a"},
        {"event": "handover", "timestamp": 3.0, "reason": "b"},
    ]
    with pytest.raises(AlreadyWithHuman):
        ownership_from_events(events)
    own = ownership_from_events(events, strict=False)
    assert (own.reason, own.version, own.queued_at) == ("a", 1, 2.0)


# -- random command sequences ------------------------------------------------------------------------

AGENTS = st.sampled_from(["anna", "ben", "carla"])
TEAMS = st.sampled_from(["support", "billing", None])
COMMAND = st.one_of(
    st.builds(Escalate, st.sampled_from(["asked_for_human", "repeated_fallback"]), TEAMS,
              st.integers(-1, 3), st.sampled_from([None, "billing"]), st.sampled_from([None, "de", "en"])),
    st.builds(Offer, AGENTS), st.builds(OfferExpired, AGENTS), st.builds(DeclineOffer, AGENTS),
    st.builds(Accept, AGENTS), st.builds(TakeOver, AGENTS),
    st.builds(Transfer, AGENTS, AGENTS, TEAMS, st.sampled_from([None, "see notes"])),
    st.builds(Transfer, AGENTS, st.none(), st.sampled_from(["support", "billing"])),
    st.builds(HandBack, AGENTS, st.sampled_from([None, "done"])), st.builds(Resolve, AGENTS),
    st.builds(Cancel), st.builds(Reclaim, AGENTS),
)


def _check_invariants(own: Ownership) -> None:
    kind, who = own.owner
    assert kind in ("bot", "queue", "agent")
    assert own.is_human == (kind != "bot")
    if own.state is S.ASSIGNED:
        assert own.agent and who == own.agent and own.offered_to is None and own.last_agent == own.agent
    if own.state is S.OFFERED:
        assert own.offered_to and own.agent is None
    if own.is_human:
        assert own.queued_at is not None
    else:
        assert (own.agent, own.offered_to, own.team, own.queued_at) == (None, None, None, None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(COMMAND, st.floats(0, 600, allow_nan=False)), max_size=40))
def test_random_sequences_keep_the_invariants_and_replay(steps) -> None:
    own = Ownership.initial()
    events: list[dict] = []
    now = T0
    for command, wait in steps:
        now += wait
        try:
            transition = apply(own, command, now=now)
        except IllegalTransition as refused:
            assert refused.ownership is own  # nothing changed
            continue
        assert transition.ownership.version == own.version + 1
        assert len(transition.events) == 1
        own = transition.ownership
        _check_invariants(own)
        events += transition.events
    assert own.version == len(events)
    assert ownership_from_events(events) == own
    # Through JSON and the event classes (what a tracker store writes and reads back) too.
    stored = [Event.from_dict(e).as_dict() for e in json.loads(json.dumps(events))]
    assert stored == events
    assert ownership_from_events(stored) == own
