"""API edits of teams, SLA policies and canned replies against handover.yml, on SQLite and PostgreSQL.

handover.yml seeds the tables; what the API changed or removed stays so at the next start; export
writes the tables back in handover.yml's shape, which loads again.
"""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from handover import config_edits
from handover.config import load_handover_config_text
from handover.config_store import list_canned_replies, list_sla_policies, list_teams, sync_config
from handover.sla import SlaPolicy

FILE = """
teams:
  service:
    display_name: Kundenservice
    languages: [de]
    business_hours: {timezone: Europe/Berlin, weekly: {mon-fri: ["08:00-18:00"]}, holidays: [2026-12-25]}
  billing: {}
sla_policies:
  gold: {first_response_seconds: 10, next_response_seconds: 30, target_ratio: 0.9}
canned_replies:
  - {shortcut: hi, text: Hallo, language: de}
  - {shortcut: bye, text: Tschüss, language: de}
"""


async def _edit(store, work, *args):
    return await store.run_in_transaction(lambda conn: work(conn, *args), write=True)


async def test_api_edits_win_over_the_file_and_removals_stay_removed(handover_store) -> None:
    config = load_handover_config_text(FILE)
    await sync_config(handover_store, config)
    await _edit(handover_store, config_edits.set_team_hours, "service", {"timezone": "Europe/Berlin",
                                                                           "weekly": {"sat": ["10:00-14:00"]}})
    await _edit(handover_store, config_edits.delete_team, "billing", None)
    await _edit(handover_store, config_edits.put_sla_policy,
                SlaPolicy(name="gold", first_response_seconds=5, target_ratio=0.99))
    await _edit(handover_store, config_edits.delete_sla_policy, "messaging")  # a built-in one
    await _edit(handover_store, config_edits.update_canned_reply, "hi", {"text": "Guten Tag"})
    await _edit(handover_store, config_edits.delete_canned_reply, "bye")

    await sync_config(handover_store, config)  # the next start
    teams = {team.name: team for team in await list_teams(handover_store)}
    assert set(teams) == {"service"}
    assert teams["service"].business_hours["weekly"] == {"sat": ["10:00-14:00"]}
    assert teams["service"].display_name == "Kundenservice" and teams["service"].source == "api"
    policies = await list_sla_policies(handover_store)
    assert policies["gold"].first_response_seconds == 5 and "messaging" not in policies
    assert [(r.shortcut, r.text) for r in await list_canned_replies(handover_store)] == [("hi", "Guten Tag")]

    # a removed name may be made again over the API
    await _edit(handover_store, config_edits.put_team, "billing", {"languages": ["en"]}, None)
    await _edit(handover_store, config_edits.add_canned_reply, "bye", "Auf Wiedersehen", "de", None)
    await sync_config(handover_store, config)
    assert {team.name for team in await list_teams(handover_store)} == {"billing", "service"}
    assert {r.text for r in await list_canned_replies(handover_store)} == {"Guten Tag", "Auf Wiedersehen"}


async def test_renaming_a_files_reply_does_not_bring_the_old_one_back(handover_store) -> None:
    config = load_handover_config_text(FILE)
    await sync_config(handover_store, config)
    await _edit(handover_store, config_edits.update_canned_reply, "hi", {"shortcut": "hello", "language": None})
    await sync_config(handover_store, config)
    assert sorted((r.shortcut, r.language) for r in await list_canned_replies(handover_store)) == [
        ("bye", "de"), ("hello", None)]


async def test_teams_in_use_are_not_removed(handover_store) -> None:
    await sync_config(handover_store, load_handover_config_text(FILE))
    await _edit(handover_store, config_edits.add_canned_reply, "billing-hi", "Hi", None, "billing")
    with pytest.raises(config_edits.ConfigConflict, match="canned repl"):
        await _edit(handover_store, config_edits.delete_team, "billing", None)
    with pytest.raises(config_edits.ConfigConflict, match="default_team"):
        await _edit(handover_store, config_edits.delete_team, "service", "service")
    with pytest.raises(config_edits.ConfigNotFound, match="did you mean 'service'"):
        await _edit(handover_store, config_edits.set_team_hours, "servce", None)


async def test_export_writes_a_handover_yml_that_loads_again(handover_store) -> None:
    import io

    await sync_config(handover_store, load_handover_config_text(FILE))
    await _edit(handover_store, config_edits.put_team, "vip", {"display_name": "VIP", "sla_policy": "gold",
                                                               "skills": ["priority"]}, None)
    exported = await handover_store.run_in_transaction(config_edits.export_config, write=False)
    assert exported["teams"]["vip"] == {"display_name": "VIP", "skills": ["priority"], "sla_policy": "gold"}
    assert exported["teams"]["service"]["business_hours"]["holidays"] == ["2026-12-25"]
    assert set(exported["sla_policies"]) == {"gold"}  # built-ins as shipped are left out
    buffer = io.StringIO()
    YAML().dump(exported, buffer)
    again = load_handover_config_text(buffer.getvalue(), "exported.yml")
    assert set(again.teams) == {"billing", "service", "vip"} and len(again.canned_replies) == 2
