"""Ownership changes through the service: one transaction with their events; a stale bot turn is not delivered."""

from __future__ import annotations

import asyncio

import pytest

from bot.shared.core.events import ActionExecuted, BotUttered, UserUttered
from handover.ownership import Accept, AlreadyAssigned, ConversationState, Escalate, TakeOver
from handover.service import HandoverService
from handover.store import StaleOwnership


def _user(text: str, intent: str = "greet") -> dict:
    return UserUttered(text, {"intent": {"name": intent, "confidence": 0.9}}, input_channel="rest").as_dict()


async def _events(service: HandoverService, sender: str) -> list[dict]:
    return (await service.tracker_store.read_since(sender, 0))[0]


async def test_a_turn_with_a_handover_event_queues_the_conversation_with_its_packet(service) -> None:
    handover = {"event": "handover", "reason": "asked_for_human", "team": "service", "priority": 2}
    turn = [_user("agent please", "human_handoff"), ActionExecuted("action_handover").as_dict(),
            BotUttered("Connecting you").as_dict(), handover]
    written, change = await service.write_turn("anna", turn, 0, 0, packet=lambda own, row, now: {"reason": own.reason},
                                               channel="rest")
    assert written.deliver and written.last_seq == 4
    assert change.after.state is ConversationState.QUEUED and change.after.version == 1
    row = await service.row("anna")
    assert (row["state"], row["team"], row["priority"], row["channel"]) == ("queued", "service", 2, "rest")
    assert row["packet"] == {"reason": "asked_for_human"}
    assert [e["event"] for e in await _events(service, "anna")] == ["user", "action", "bot", "handover"]
    assert [item["kind"] for item in change.feed] == ["conversation"]


async def test_a_bot_turn_whose_owner_changed_while_it_ran_is_kept_but_not_delivered(service) -> None:
    await service.write_turn("ben", [_user("hi")], 0, 0)
    taken = await service.change("ben", TakeOver("erika"))  # the agent replies while the bot's action runs
    assert taken.after.version == 1
    written, _ = await service.write_turn("ben", [ActionExecuted("action_slow").as_dict(),
                                                  BotUttered("stale answer").as_dict()], 1, owner_version=0)
    assert not written.deliver
    stored = await _events(service, "ben")
    # the takeover came first in the log; the bot's turn follows it, marked as never delivered
    assert [e["event"] for e in stored] == ["user", "handover_taken_over", "action", "bot"]
    assert stored[-1]["metadata"]["undelivered"] == "owner_changed"


async def test_customer_messages_while_a_person_owns_it_reach_the_feed_with_their_intent(service) -> None:
    await service.change("cleo", Escalate("asked_for_human", "service"))
    await service.change("cleo", Accept("erika"))
    _, change = await service.write_turn("cleo", [_user("still there?", "ask_status")], 2, 2, channel="rest")
    [item] = change.feed
    assert (item["kind"], item["agent"], item["data"]["text"]) == ("customer_message", "erika", "still there?")
    assert item["data"]["intent"]["name"] == "ask_status"
    # and the feed keeps it for a console that reconnects
    assert [i["kind"] for i in await service.feed_since(0)][-1] == "customer_message"


async def test_an_illegal_change_is_refused_and_writes_nothing(service) -> None:
    await service.change("dora", Escalate("asked_for_human"))
    await service.change("dora", Accept("erika"))
    before = await _events(service, "dora")
    with pytest.raises(AlreadyAssigned):
        await service.change("dora", Accept("fritz"))
    assert await _events(service, "dora") == before
    assert (await service.row("dora"))["agent"] == "erika"


async def test_concurrent_accepts_leave_exactly_one_owner(service, sql_store, clock) -> None:
    await service.change("emil", Escalate("asked_for_human"))
    # a second service on the same database stands for a second `bot run` process
    other = HandoverService(type(sql_store)(sql_store.url, schema=sql_store.schema), clock=clock)
    await other.start()
    try:
        results = await asyncio.gather(service.change("emil", Accept("erika")), other.change("emil", Accept("fritz")),
                                       return_exceptions=True)
    finally:
        await other.tracker_store.close()
        await other.close()
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], AlreadyAssigned | StaleOwnership)
    row = await service.row("emil")
    assert row["agent"] == winners[0].after.agent and row["version"] == 2
    accepted = [e for e in await _events(service, "emil") if e["event"] == "handover_accepted"]
    assert len(accepted) == 1
