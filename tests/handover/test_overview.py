"""The supervisor's overview: per team waiting, offered, longest wait, SLA state and today's breaches; agents' load."""

from __future__ import annotations

from handover import store
from handover.config import load_handover_config_text
from handover.config_store import sync_config
from handover.overview import build_overview
from handover.ownership import Accept, Escalate
from handover.plugin import HandoverPlugin, HandoverSettings
from handover.sla import SLA_DEFAULTS


async def test_queues_show_waits_sla_states_and_breaches_of_today(service, directory, clock) -> None:
    await sync_config(service.tracker_store, load_handover_config_text(
        "teams:\n  service: {display_name: Kundenservice}\n  billing: {}\n"))
    plugin = HandoverPlugin(service, HandoverSettings(sla_policies=SLA_DEFAULTS))  # live_chat: 20 s
    await directory.create_agent("anna", "a long enough password", teams=["service"], capacity=2)
    for sender in ("a", "b"):
        await service.change(sender, Escalate("asked_for_human", "service"), fields={"sla_policy": "live_chat"})
        clock.advance(5)
    await service.change("a", Accept("anna"))
    await service.change("c", Escalate("asked_for_human"), fields={"sla_policy": "live_chat"})

    def read(conn):
        return build_overview(conn, clock(), plugin.first_response_state)

    found = await service.tracker_store.run_in_transaction(read, write=False)
    queues = {queue["team"]: queue for queue in found["queues"]}
    assert list(queues) == ["billing", "service", None]  # teams by name, then conversations without one
    assert queues["service"] == {"team": "service", "display_name": "Kundenservice", "waiting": 1, "offered": 0,
                                 "assigned": 1, "longest_wait_seconds": 5.0, "sla_state": "ok", "breaches_today": 0}
    assert queues["billing"]["waiting"] == 0 and queues["billing"]["longest_wait_seconds"] is None
    [anna] = found["agents"]
    assert (anna["username"], anna["load"], anna["capacity"], anna["status"]) == ("anna", 1, 2, "offline")

    clock.advance(11)  # "a" (unanswered, with anna) is 21 s old: past 20 s; "b" 16 s: amber (75 %)
    found = await service.tracker_store.run_in_transaction(read, write=False)
    states = {item["conversation_id"]: item["sla_state"] for item in found["conversations"]}
    assert states == {"a": "red", "b": "amber", "c": "ok"}
    assert {queue["team"]: queue["sla_state"] for queue in found["queues"]}["service"] == "red"

    def breach(conn):
        store.record_breach(conn, "a", "first_response", clock() - 1, clock(), "anna", "service")
        store.record_breach(conn, "old", "first_response", 0.0, clock() - 3 * 86400, None, "service")  # days ago

    await service.tracker_store.run_in_transaction(breach)
    found = await service.tracker_store.run_in_transaction(read, write=False)
    assert {queue["team"]: queue["breaches_today"] for queue in found["queues"]} == {
        "billing": 0, "service": 1, None: 0}
