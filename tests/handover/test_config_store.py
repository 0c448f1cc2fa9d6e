"""handover.yml into the database: teams, SLA policies and canned replies as code, beside the console's rows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from handover import tables
from handover.config import load_handover_config, load_handover_config_text
from handover.config_store import list_canned_replies, list_sla_policies, list_teams, sync_config

REPO = Path(__file__).resolve().parents[2]


async def test_the_example_file_lands_in_the_tables(handover_store) -> None:
    config = load_handover_config(REPO / "handover.yml")
    counts = await sync_config(handover_store, config)
    assert counts == {"teams": 2, "sla_policies": 2, "canned_replies": 8, "removed": 0}
    teams = {team.name: team for team in await list_teams(handover_store)}
    assert set(teams) == {"service", "billing"}
    service = teams["service"]
    assert service.display_name == "Kundenservice" and service.languages == ("de", "en")
    assert service.business_hours == config.teams["service"].business_hours
    assert service.business_hours["holidays"][0] == "2026-01-01"
    assert service.sla_policy == "live_chat" and service.source == "file"
    policies = await list_sla_policies(handover_store)
    assert policies["live_chat"].resolution_seconds == 1800 and policies["messaging"].target_ratio == 0.9
    german_service = await list_canned_replies(handover_store, team="service", language="de")
    assert {reply.shortcut for reply in german_service} == {"tracking", "order", "bye"}  # bye: every team
    assert all(reply.language == "de" for reply in german_service)
    # a second sync (every start) changes nothing and duplicates nothing
    await sync_config(handover_store, config)
    assert len(await list_canned_replies(handover_store)) == 8
    assert len(await list_teams(handover_store)) == 2


async def test_editing_the_file_updates_and_removes_its_rows_but_keeps_the_consoles(handover_store) -> None:
    first = load_handover_config_text(
        "teams:\n  service: {}\n  old: {}\n"
        "sla_policies:\n  gold: {first_response_seconds: 10, next_response_seconds: 30, target_ratio: 0.9}\n"
        "canned_replies:\n  - {shortcut: hi, text: Hallo, language: de}\n  - {shortcut: gone, text: x}\n")
    await sync_config(handover_store, first)
    ids = {reply.shortcut: reply.id for reply in await list_canned_replies(handover_store)}

    def console_rows(conn: sa.Connection) -> None:
        conn.execute(sa.insert(tables.teams).values(name="console-team", config=json.dumps({"languages": ["en"]})))
        conn.execute(sa.insert(tables.sla_policies).values(name="console-policy", config=json.dumps({"first_response_seconds": 5, "next_response_seconds": 5, "target_ratio": 0.5})))
        conn.execute(sa.insert(tables.canned_replies).values(shortcut="typed", text="by a supervisor"))

    await handover_store.run_in_transaction(console_rows)
    second = load_handover_config_text(
        "teams:\n  service:\n    display_name: Service\n"
        "canned_replies:\n  - {shortcut: hi, text: Guten Tag, language: de}\n")
    counts = await sync_config(handover_store, second)
    assert counts["removed"] == 3  # team old, policy gold, reply gone
    assert [team.name for team in await list_teams(handover_store)] == ["console-team", "service"]
    assert (await list_teams(handover_store))[1].display_name == "Service"
    assert set(await list_sla_policies(handover_store)) == {"console-policy", "live_chat", "messaging"}
    replies = {reply.shortcut: reply for reply in await list_canned_replies(handover_store)}
    assert set(replies) == {"hi", "typed"}
    assert replies["hi"].text == "Guten Tag" and replies["hi"].id == ids["hi"]  # updated in place
    assert replies["typed"].source is None


@pytest.mark.postgres
async def test_processes_starting_together_sync_once(postgres_url, postgres_schema) -> None:
    """Two `bot run` processes start at the same moment: the file's rows exist once, not twice."""
    from bot.stores.sql_tracker_store import SQLTrackerStore
    from handover.migrations import upgrade_handover_to_head

    config = load_handover_config(REPO / "handover.yml")
    stores = [SQLTrackerStore(postgres_url, schema=postgres_schema) for _ in range(3)]
    try:
        await stores[0].run_in_transaction(upgrade_handover_to_head)
        for store in stores:  # connected before the race starts, so the syncs overlap
            await store.run_in_transaction(lambda conn: None, write=False)
        for _ in range(3):
            await stores[0].run_in_transaction(lambda conn: conn.execute(sa.delete(tables.canned_replies)))
            await asyncio.gather(*(sync_config(store, config) for store in stores))
            assert len(await list_canned_replies(stores[0])) == len(config.canned_replies)
        assert len(await list_teams(stores[0])) == len(config.teams)
    finally:
        for store in stores:
            await store.close()
