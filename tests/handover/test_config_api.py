"""Supervisors and admins edit teams, business hours, SLA policies and canned replies over the API.

The edits land in the database (SQLite here; PostgreSQL in test_config_edits.py and in the two-process
test), win over handover.yml at the next start, and routing follows them without a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.handover import test_api
from tests.handover.test_api import _agent, _login, _say

make_app, start = test_api.make_app, test_api.start  # the served help desk with the handover (fixtures)

def _closed_for_now() -> dict[str, Any]:
    """Open around the clock, but yesterday, today and tomorrow are holidays (Berlin's calendar)."""
    today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
    return {"timezone": "Europe/Berlin", "weekly": {"mon-sun": ["00:00-24:00"]},
            "holidays": [str(today + dt.timedelta(days=offset)) for offset in (-1, 0, 1)]}


async def _staff(app: Any) -> dict[str, dict[str, str]]:
    await _agent(app, "root", role="admin")
    await _agent(app, "sue", role="supervisor", display_name="Sue")
    await _agent(app, "erika", display_name="Erika", languages=["de", "en"])
    return {name: await _login(app, name) for name in ("root", "sue", "erika")}


async def _until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.1)


async def test_a_team_edited_over_the_api_routes_without_a_restart(start) -> None:
    app = await start(default_team="service")
    api, who = app.ctx.api, await _staff(app)
    closed = _closed_for_now()
    _, response = await api.put("/handover/teams/service", headers=who["sue"], json={"languages": ["de"]})
    assert response.status == 403 and "admin" in response.json["error"]  # creating a team: admins
    _, response = await api.put("/handover/teams/service", headers=who["root"], json={
        "display_name": "Kundenservice", "languages": ["de", "en"], "skills": ["parcels"],
        "sla_policy": "live_chat", "business_hours": closed, "members": [{"username": "erika", "capacity": 2}]})
    assert response.status == 201, response.text
    assert response.json["business_hours"] == closed and response.json["source"] == "api"
    _, me = await api.get("/handover/me", headers=who["erika"])
    assert me.json["teams"] == ["service"] and me.json["capacity"] == 2

    await api.put("/handover/presence", json={"status": "online"}, headers=who["erika"])
    replies = await _say(app, "carla", "Ich möchte mit einem Menschen sprechen")
    assert "Mo." in replies[0]["text"] or "Uhr" in replies[0]["text"]  # closed: says when the team is back
    await asyncio.sleep(1)  # several routing ticks: a closed team's queue waits
    assert (await app.ctx.handover.service.row("carla"))["state"] == "queued"

    _, response = await api.put("/handover/teams/service/hours", headers=who["sue"], json={})  # always open
    assert response.status == 200 and response.json["business_hours"] is None

    async def offered() -> bool:
        row = await app.ctx.handover.service.row("carla")
        return row["state"] == "offered" and row["offered_to"] == "erika"

    await _until(offered)
    _, response = await api.put("/handover/teams/service", headers=who["erika"], json={"skills": []})
    assert response.status == 403


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("/handover/teams/service/hours", {"timezone": "Europe/Berln", "weekly": {}}, 400, "Europe/Berlin"),
    ("/handover/teams/service/hours", {"timezone": "UTC", "weekly": {"mon": ["08:00-12:00", "11:00-14:00"]}},
     400, "overlap"),
    ("/handover/teams/service/hours", {"timezone": "UTC", "weekly": {"mon": ["18:00-08:00"]}}, 400, "closes before"),
    ("/handover/teams/service/hours", {"timezone": "UTC", "holidays": ["24.12.2026"]}, 400, "YYYY-MM-DD"),
    ("/handover/teams/service/hours", {"timezone": "UTC", "weekly": {"someday": []}}, 400, "weekday"),
    ("/handover/teams/service/hours", ["08:00-18:00"], 400, "JSON object"),
    ("/handover/teams/service/hours", {"timezone": "UTC", "weekly": {}}, 400, "never open"),
    ("/handover/teams/nowhere/hours", {"timezone": "UTC"}, 404, "unknown team"),
    ("/handover/teams/service", {"languages": ["Deutsch"]}, 400, "language code"),
    ("/handover/teams/service", {"sla_policy": "gold"}, 400, "unknown SLA policy"),
    ("/handover/teams/service", {"business_hours": {"timezone": "UTC", "weekly": {"mon-sun": "closed"}}}, 400,
     "never open"),
    ("/handover/teams/service", {"colour": "red"}, 400, "Unknown field"),
    ("/handover/teams/service", {"members": ["nobody"]}, 404, "no agent named"),
    ("/handover/teams/service", {"members": [{"username": "erika", "capacity": -1}]}, 400, "capacity"),
    ("/handover/teams/bad%20name", {}, 400, "not a valid name"),
    ("/handover/sla-policies/gold", {"first_response_seconds": -5, "target_ratio": 0.8}, 400, "greater than 0"),
    ("/handover/sla-policies/gold", {"first_response_seconds": 5}, 400, "target_ratio"),
    ("/handover/sla-policies/gold", {"target_ratio": 1.5}, 400, "target_ratio"),
    ("/handover/sla-policies/gold", {"target_ratio": 0.8, "warn_ratio": 0.95, "red_ratio": 0.9}, 400, "warn_ratio"),
    ("/handover/canned-replies", {"shortcut": "has space", "text": "x"}, 400, "shortcut"),
    ("/handover/canned-replies", {"shortcut": "x", "text": "Hallo {order id}"}, 400, "placeholder"),
    ("/handover/canned-replies", {"shortcut": "x", "text": "x", "team": "nope"}, 400, "unknown team"),
    ("/handover/canned-replies", {"text": "x"}, 400, "shortcut"),
    ("/handover/canned-replies/404", {"text": "x"}, 404, "no canned reply"),
])
async def test_bad_edits_are_a_4xx_naming_the_problem(start, path: str, body: Any, status: int, words: str) -> None:
    app = await start()
    who = await _staff(app)
    _, response = await app.ctx.api.put("/handover/teams/service", headers=who["root"], json={})
    assert response.status == 201
    method = app.ctx.api.post if path == "/handover/canned-replies" else app.ctx.api.put
    _, response = await method(path, headers=who["root"], json=body)
    assert response.status == status, response.text
    assert words in response.text, response.json


async def test_sla_policies_are_admins_and_in_use_ones_stay(start) -> None:
    app = await start()
    api, who = app.ctx.api, await _staff(app)
    gold = {"first_response_seconds": 10, "next_response_seconds": 30, "target_ratio": 0.95}
    _, response = await api.put("/handover/sla-policies/gold", headers=who["sue"], json=gold)
    assert response.status == 403
    _, response = await api.put("/handover/sla-policies/gold", headers=who["root"], json=gold)
    assert response.status == 201 and response.json["first_response_seconds"] == 10
    _, response = await api.get("/handover/sla-policies/gold", headers=who["sue"])
    assert response.status == 200 and response.json["target_ratio"] == 0.95
    _, response = await api.get("/handover/sla-policies", headers=who["erika"])
    assert response.status == 403
    await api.put("/handover/teams/vip", headers=who["root"], json={"sla_policy": "gold"})
    _, response = await api.delete("/handover/sla-policies/gold", headers=who["root"])
    assert response.status == 409 and "vip" in response.json["error"]
    _, response = await api.delete("/handover/sla-policies/live_chat", headers=who["root"])
    assert response.status == 409
    await api.put("/handover/teams/vip", headers=who["root"], json={})
    _, response = await api.delete("/handover/sla-policies/gold", headers=who["root"])
    assert response.status == 204
    _, response = await api.get("/handover/sla-policies/gold", headers=who["root"])
    assert response.status == 404
    # every process's plugin follows: the deleted policy is gone from routing's settings too
    assert "gold" not in app.ctx.handover.plugin.settings.sla_policies


async def test_canned_replies_by_id_or_shortcut_and_agents_see_the_change(start) -> None:
    app = await start()
    api, who = app.ctx.api, await _staff(app)
    _, created = await api.post("/handover/canned-replies", headers=who["sue"],
                                json={"shortcut": "/tracking", "text": "Ihre Nummer: {tracking_number}",
                                      "language": "de"})
    assert created.status == 201 and created.json["shortcut"] == "tracking"
    _, again = await api.post("/handover/canned-replies", headers=who["sue"],
                              json={"shortcut": "tracking", "text": "x", "language": "de"})
    assert again.status == 409 and str(created.json["id"]) in again.json["error"]
    await api.post("/handover/canned-replies", headers=who["sue"],
                   json={"shortcut": "tracking", "text": "Your number: {tracking_number}", "language": "en"})
    _, ambiguous = await api.put("/handover/canned-replies/tracking", headers=who["sue"], json={"text": "y"})
    assert ambiguous.status == 409 and "language" in ambiguous.json["error"] + str(ambiguous.json)
    _, response = await api.put("/handover/canned-replies/tracking?language=de", headers=who["sue"],
                                json={"text": "Sendungsnummer: {tracking_number}"})
    assert response.status == 200 and response.json["id"] == created.json["id"]
    _, response = await api.put(f"/handover/canned-replies/{created.json['id']}", headers=who["erika"],
                                json={"text": "mine"})
    assert response.status == 403
    _, seen = await api.get("/handover/canned-replies", params={"language": "de"}, headers=who["erika"])
    assert [reply["text"] for reply in seen.json] == ["Sendungsnummer: {tracking_number}"]
    _, response = await api.delete(f"/handover/canned-replies/{created.json['id']}", headers=who["sue"])
    assert response.status == 204
    _, seen = await api.get("/handover/canned-replies", headers=who["erika"])
    assert [reply["language"] for reply in seen.json] == ["en"]


async def test_supervisors_see_queues_and_agents_and_reassign(start) -> None:
    app = await start()
    api, who = app.ctx.api, await _staff(app)
    await _agent(app, "max", display_name="Max <b>M</b>")
    maxi = await _login(app, "max")
    await _say(app, "dora", "agent please")
    _, response = await api.get("/handover/overview", headers=who["erika"])
    assert response.status == 403
    _, overview = await api.get("/handover/overview", headers=who["sue"])
    assert overview.status == 200, overview.text
    [queue] = overview.json["queues"]
    assert queue["team"] is None and queue["waiting"] == 1 and queue["longest_wait_seconds"] >= 0
    assert queue["sla_state"] in ("ok", "amber", "red") and queue["breaches_today"] == 0
    agents = {agent["username"]: agent for agent in overview.json["agents"]}
    assert agents["max"]["display_name"] == "Max <b>M</b>" and agents["max"]["load"] == 0
    assert agents["max"]["capacity"] == 3 and agents["max"]["status"] == "offline"
    assert [c["conversation_id"] for c in overview.json["conversations"]] == ["dora"]

    _, response = await api.post("/handover/conversations/dora/assign", headers=who["erika"], json={"agent": "max"})
    assert response.status == 403
    _, response = await api.post("/handover/conversations/dora/assign", headers=who["sue"], json={"agent": "nobody"})
    assert response.status == 404
    _, response = await api.post("/handover/conversations/dora/assign", headers=who["sue"],
                                 json={"agent": "erika", "note": "Bitte übernehmen"})
    assert response.status == 200 and response.json["owner"] == ["agent", "erika"]
    _, response = await api.post("/handover/conversations/dora/assign", headers=who["sue"], json={"agent": "max"})
    assert response.status == 200 and response.json["owner"] == ["agent", "max"]
    _, mine = await api.get("/handover/conversations", params={"state": "mine"}, headers=maxi)
    assert [c["conversation_id"] for c in mine.json] == ["dora"]
    _, overview = await api.get("/handover/overview", headers=who["sue"])
    assert {a["username"]: a["load"] for a in overview.json["agents"]}["max"] == 1
    _, tracker = await api.get("/conversations/dora/tracker", params={"token": "api-token"})
    moves = [event for event in tracker.json["events"] if event["event"] == "handover_transferred"]
    assert [(event["by"], event["to_agent"]) for event in moves] == [("sue", "erika"), ("sue", "max")]
    _, response = await api.post("/handover/conversations/nobody-here/assign", headers=who["sue"],
                                 json={"agent": "max"})
    assert response.status == 404


async def test_every_edit_route_refuses_without_login(start) -> None:
    app = await start()
    routes = [("get", "/handover/overview"), ("post", "/handover/conversations/x/assign"),
              ("put", "/handover/teams/x"), ("delete", "/handover/teams/x"), ("put", "/handover/teams/x/hours"),
              ("get", "/handover/sla-policies"), ("get", "/handover/sla-policies/x"),
              ("put", "/handover/sla-policies/x"), ("delete", "/handover/sla-policies/x"),
              ("post", "/handover/canned-replies"), ("put", "/handover/canned-replies/x"),
              ("delete", "/handover/canned-replies/x")]
    for method, path in routes:
        options = {"json": {}} if method in ("post", "put") else {}
        _, response = await getattr(app.ctx.api, method)(path, **options)
        assert response.status == 401, path


JUNK = [[], "x", 1, None, True, {"x": 1}, {"display_name": 5, "languages": 5}, {"members": "anna"},
        {"members": [5]}, {"business_hours": "always"}, {"timezone": 5}, {"weekly": []}, {"text": ""},
        {"shortcut": "", "text": "x"}, {"first_response_seconds": "fast", "target_ratio": 0.5},
        {"target_ratio": 0.5, "pause_outside_hours": "maybe"}, {"agent": 5}, {"agent": "x" * 500},
        {"text": "x" * 20_000, "shortcut": "long"}]


async def test_junk_is_refused_with_a_4xx_never_a_500(start) -> None:
    app = await start()
    who = await _staff(app)
    await app.ctx.api.put("/handover/teams/service", headers=who["root"], json={})
    await _say(app, "eve", "agent please")
    routes = [("put", "/handover/teams/service"), ("put", "/handover/teams/service/hours"),
              ("put", "/handover/sla-policies/gold"), ("post", "/handover/canned-replies"),
              ("put", "/handover/canned-replies/1"), ("post", "/handover/conversations/eve/assign")]
    for method, path in routes:
        for body in JUNK:
            _, response = await getattr(app.ctx.api, method)(path, headers=who["root"], json=body)
            assert 400 <= response.status < 500 and response.json["error"], (path, body, response.text)


async def test_supervisors_add_and_remove_team_members_and_edit_an_agents_skills(start) -> None:
    app = await start()
    api, who = app.ctx.api, await _staff(app)
    for team in ("service", "billing"):
        _, response = await api.put(f"/handover/teams/{team}", headers=who["root"], json={})
        assert response.status == 201
    _, response = await api.put("/handover/teams/service/members/erika", headers=who["erika"])
    assert response.status == 403 and "supervisor" in response.json["error"]  # agents do not
    _, response = await api.put("/handover/teams/service/members/erika", headers={"Cookie": who["sue"]["Cookie"]})
    assert response.status == 403 and response.json["reason"] == "CsrfTokenMissing"

    _, response = await api.put("/handover/teams/service/members/Erika", headers=who["sue"])
    assert response.status == 200, response.text
    assert response.json["username"] == "erika" and response.json["teams"] == ["service"]
    _, response = await api.put("/handover/teams/billing/members/erika", headers=who["sue"])
    _, again = await api.put("/handover/teams/billing/members/erika", headers=who["sue"])  # idempotent
    assert response.json["teams"] == again.json["teams"] == ["service", "billing"]
    _, response = await api.delete("/handover/teams/service/members/erika", headers=who["sue"])
    assert response.status == 200 and response.json["teams"] == ["billing"]
    _, me = await api.get("/handover/me", headers=who["erika"])
    assert me.json["teams"] == ["billing"]

    # The skills and languages an agent is routed by (PATCH /handover/agents/{name}, supervisors).
    _, response = await api.patch("/handover/agents/erika", headers=who["sue"],
                                  json={"skills": ["parcels", "returns"], "languages": ["de"]})
    assert response.status == 200 and (response.json["skills"], response.json["languages"]) == (
        ["parcels", "returns"], ["de"])
    _, response = await api.patch("/handover/agents/erika", headers=who["sue"], json={"languages": ["Deutsch"]})
    assert response.status == 400 and "language code" in response.json["error"]
    _, response = await api.patch("/handover/agents/erika", headers=who["erika"], json={"skills": []})
    assert response.status == 403


@pytest.mark.parametrize(("method", "path", "status", "words"), [
    ("put", "/handover/teams/nowhere/members/erika", 404, "unknown team 'nowhere'"),
    ("put", "/handover/teams/service/members/erica", 404, "did you mean 'erika'"),
    ("delete", "/handover/teams/servce/members/erika", 404, "did you mean 'service'"),
    ("delete", "/handover/teams/service/members/nobody", 404, "no agent named 'nobody'"),
])
async def test_membership_edits_of_unknown_teams_or_agents_are_a_404(start, method: str, path: str, status: int,
                                                                   words: str) -> None:
    app = await start()
    who = await _staff(app)
    await app.ctx.api.put("/handover/teams/service", headers=who["root"], json={})
    _, response = await getattr(app.ctx.api, method)(path, headers=who["sue"])
    assert response.status == status, response.text
    assert words in response.text, response.json
