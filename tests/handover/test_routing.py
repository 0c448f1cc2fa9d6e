"""Routing: priority then longest waiting, capacity, offer timeout, backlog drain, returning customers,
offline take-back and business hours; the clock is the test's, so nothing sleeps."""

from __future__ import annotations

import pytest

from handover.ownership import Accept, Escalate, NotOfferedToYou, Resolve
from handover.routing import Router, RoutingSettings

SETTINGS = RoutingSettings(offer_timeout_seconds=30, offline_grace_seconds=120)


@pytest.fixture
def router(service) -> Router:
    return Router(service, SETTINGS)


async def _queue(service, clock, sender: str, priority: int = 0, team: str | None = None,
                 language: str | None = None) -> None:
    await service.change(sender, Escalate("asked_for_human", team, priority, None, language))
    clock.advance(1)


async def _online(directory, name: str, capacity: int = 3, **options) -> None:
    await directory.create_agent(name, None, capacity=capacity, **options)
    await directory.set_status(name, "online")


async def _state(service, sender: str) -> tuple[str, str | None]:
    row = await service.row(sender)
    return row["state"], row["agent"] or row["offered_to"]


async def test_highest_priority_first_then_longest_waiting(service, directory, router, clock) -> None:
    await _queue(service, clock, "old")
    await _queue(service, clock, "new")
    await _queue(service, clock, "urgent", priority=5)
    await _online(directory, "erika", capacity=2)
    await router.tick()
    assert await _state(service, "urgent") == ("offered", "erika")
    assert await _state(service, "old") == ("offered", "erika")
    assert await _state(service, "new") == ("queued", None)  # erika is at capacity (two offers)


async def test_the_least_loaded_agent_is_offered_and_capacity_limits_offers(service, directory, router, clock) -> None:
    await _online(directory, "erika", capacity=1)
    await _online(directory, "fritz", capacity=1)
    await _queue(service, clock, "a")
    await service.change("a", Accept("erika"))  # erika is busy now
    await _queue(service, clock, "b")
    await _queue(service, clock, "c")
    await router.tick()
    assert await _state(service, "b") == ("offered", "fritz")
    assert await _state(service, "c") == ("queued", None)


async def test_an_expired_offer_goes_to_the_next_agent_and_the_first_goes_away(service, directory, router,
                                                                                clock) -> None:
    await _online(directory, "erika")
    await _queue(service, clock, "kim")
    await router.tick()
    assert await _state(service, "kim") == ("offered", "erika")
    await _online(directory, "fritz")
    clock.advance(31)
    await router.tick()
    assert await _state(service, "kim") == ("offered", "fritz")
    assert (await directory.get_agent("erika")).status == "away"


async def test_the_backlog_drains_oldest_first_when_an_agent_comes_online(service, directory, router, clock) -> None:
    for sender in ("first", "second", "third"):
        await _queue(service, clock, sender)
    await router.tick()
    assert await _state(service, "first") == ("queued", None)  # nobody online: they wait
    await directory.create_agent("erika", None, capacity=2)
    await directory.set_status("erika", "online")
    await router.tick()
    assert [await _state(service, s) for s in ("first", "second", "third")] == [
        ("offered", "erika"), ("offered", "erika"), ("queued", None)]


async def test_a_returning_customer_is_offered_to_their_last_agent(service, directory, router, clock) -> None:
    await _online(directory, "erika")
    await _online(directory, "fritz")
    await _queue(service, clock, "lena")
    await service.change("lena", Accept("fritz"))
    await service.change("lena", Resolve("fritz"))
    await _queue(service, clock, "lena")  # she comes back
    await router.tick()
    assert await _state(service, "lena") == ("offered", "fritz")  # fritz has one more in his load history


async def test_a_returning_customer_whose_agent_is_offline_goes_to_someone_online(service, directory, router,
                                                                                  clock) -> None:
    await _online(directory, "erika")
    await _online(directory, "fritz")
    await _queue(service, clock, "lena")
    await service.change("lena", Accept("fritz"))
    await service.change("lena", Resolve("fritz"))
    await directory.set_status("fritz", "offline")
    await _queue(service, clock, "lena")
    await router.tick()
    assert await _state(service, "lena") == ("offered", "erika")


async def test_conversations_of_an_agent_offline_past_the_grace_period_go_back_to_the_queue(
        service, directory, router, clock) -> None:
    await _online(directory, "erika")
    await _queue(service, clock, "max")
    await service.change("max", Accept("erika"))
    await directory.set_status("erika", "offline")
    clock.advance(60)
    await router.tick()
    assert await _state(service, "max") == ("assigned", "erika")  # within the grace period
    clock.advance(61)
    await _online(directory, "fritz")
    await router.tick()
    assert await _state(service, "max") == ("offered", "fritz")


async def test_team_skill_and_language_decide_who_is_offered(service, directory, router, clock) -> None:
    await _online(directory, "erika", languages=["en"])
    await _online(directory, "fritz", languages=["de"])
    await _queue(service, clock, "jonas", language="de")
    await router.tick()
    assert await _state(service, "jonas") == ("offered", "fritz")


async def test_a_closed_team_waits_but_agents_may_still_accept_by_hand(service, directory, clock) -> None:
    router = Router(service, SETTINGS, is_open=lambda team, now: False)
    await _online(directory, "erika")
    await _queue(service, clock, "nina")
    await router.tick()
    assert await _state(service, "nina") == ("queued", None)
    await service.change("nina", Accept("erika"))
    assert await _state(service, "nina") == ("assigned", "erika")


async def test_sla_clocks_warn_amber_then_red_then_record_one_breach(service, directory, clock) -> None:
    import sqlalchemy as sa

    from handover import tables
    from handover.plugin import HandoverPlugin, HandoverSettings
    from handover.sla import SLA_DEFAULTS

    settings = HandoverSettings(sla_policies=SLA_DEFAULTS)  # live_chat: first response within 20 s
    plugin = HandoverPlugin(service, settings)
    await service.change("olga", Escalate("asked_for_human"), fields={"sla_policy": "live_chat"})
    seen = []
    for seconds in (5, 11, 4, 10, 10):  # at 5, 16 (amber, 80 %), 20 (red? no: 100 %), 30 and 40 s
        clock.advance(seconds)
        await plugin.check_sla(clock.now)
        seen.extend(item["data"]["state"] for item in await service.feed_since(0) if item["kind"] == "sla_warning"
                    and item["data"]["state"] not in seen)
    assert seen[0] == "amber" and "red" in seen and seen[-1] == "breached"
    breaches = await service.tracker_store.run_in_transaction(
        lambda conn: conn.execute(sa.select(tables.sla_breaches)).all(), write=False)
    assert len(breaches) == 1  # checked twice after the deadline, recorded once


async def test_an_offer_does_not_expire_while_an_accept_that_arrived_in_time_is_handled(service, directory, router,
                                                                                       clock) -> None:
    await _online(directory, "erika")
    await _online(directory, "fritz")
    await _queue(service, clock, "kim")
    await router.tick()
    offered_to = (await _state(service, "kim"))[1]
    arrived = clock()  # the accept reaches the server with the offer still open
    with router.accepting("kim", offered_to, arrived):
        clock.advance(31)  # ...but a busy server gets to it only after the offer timeout
        await router.tick()
        assert await _state(service, "kim") == ("offered", offered_to)
        await service.change("kim", Accept(offered_to))
    assert await _state(service, "kim") == ("assigned", offered_to)
    assert (await directory.get_agent(offered_to)).status == "online"


async def test_an_accept_that_arrived_after_the_offer_ran_out_does_not_stop_the_expiry(service, directory, router,
                                                                                     clock) -> None:
    await _online(directory, "erika")
    await _queue(service, clock, "kim")
    await router.tick()
    clock.advance(31)
    with router.accepting("kim", "erika", clock()):
        await router.tick()
    assert await _state(service, "kim") == ("queued", None)
    assert (await directory.get_agent("erika")).status == "away"


def _runtime(service, directory):
    """The agent operations of a process whose router is not the one that expires the offer (another process's)."""
    from handover.delivery import Outbox
    from handover.plugin import HandoverPlugin, HandoverSettings
    from handover.runtime import HandoverRuntime

    return HandoverRuntime(HandoverPlugin(service, HandoverSettings(routing=SETTINGS)), directory, Outbox(service))


async def test_an_accept_that_arrived_in_time_is_honoured_after_another_process_expired_its_offer(
        service, directory, router, clock) -> None:
    runtime = _runtime(service, directory)
    await _online(directory, "erika")
    await _queue(service, clock, "kim")
    await router.tick()
    arrived = clock()
    clock.advance(31)
    await router.tick()  # the other process expires the offer while this one is still behind
    assert await _state(service, "kim") == ("queued", None)
    assert (await directory.get_agent("erika")).status == "away"
    row = await runtime.accept(await directory.get_agent("erika"), "kim", arrived)
    assert (row["state"], row["agent"]) == ("assigned", "erika")
    assert (await directory.get_agent("erika")).status == "online"


async def test_an_agent_whose_in_time_accept_lost_the_race_to_a_new_offer_is_not_left_away(
        service, directory, router, clock) -> None:
    runtime = _runtime(service, directory)
    await _online(directory, "erika")
    await _queue(service, clock, "kim")
    await router.tick()
    arrived = clock()
    await _online(directory, "fritz")
    clock.advance(31)
    await router.tick()
    assert await _state(service, "kim") == ("offered", "fritz")
    with pytest.raises(NotOfferedToYou):
        await runtime.accept(await directory.get_agent("erika"), "kim", arrived)
    assert (await directory.get_agent("erika")).status == "online"


async def test_an_accept_that_arrived_late_leaves_the_agent_away(service, directory, router, clock) -> None:
    runtime = _runtime(service, directory)
    await _online(directory, "erika")
    await _queue(service, clock, "kim")
    await router.tick()
    clock.advance(31)
    await router.tick()
    clock.advance(1)
    row = await runtime.accept(await directory.get_agent("erika"), "kim", clock())  # taken by hand from the queue
    assert (row["state"], row["agent"]) == ("assigned", "erika")
    assert (await directory.get_agent("erika")).status == "away"
