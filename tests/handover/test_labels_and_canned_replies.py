"""Labels on conversations and canned replies with {slot} placeholders, over the real server, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from handover.labels import InvalidLabels, parse_labels
from handover.placeholders import fill_placeholders
from tests.handover.test_api import TOKEN, _agent, _login, _say


async def _set_slot(app: Any, sender: str, name: str, value: Any) -> None:
    _, response = await app.ctx.api.post(f"/conversations/{sender}/tracker/events", params={"token": TOKEN},
                                         json={"event": "slot", "name": name, "value": value})
    assert response.status == 200, response.text


async def test_an_agent_labels_a_conversation_and_other_consoles_hear_it(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _agent(app, "erika")
    await _agent(app, "sabine", role="supervisor")
    erika, sabine = await _login(app, "erika"), await _login(app, "sabine")
    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    ws_url = app.ctx.base.replace("http", "ws") + "/handover/ws"
    async with websockets.connect(ws_url, additional_headers={"Cookie": sabine["Cookie"]}) as feed:
        json.loads(await feed.recv())  # hello
        _, response = await app.ctx.api.put("/handover/conversations/anna/labels",
                                            json={"labels": ["  Rückerstattung ", "vip", "vip"]}, headers=erika)
        assert response.status == 200, response.text
        assert response.json["conversation_id"] == "anna" and response.json["labels"] == ["Rückerstattung", "vip"]
        item = await _next_of_kind(feed, "labels")
    assert item["conversation_id"] == "anna"
    assert item["data"] == {"labels": ["Rückerstattung", "vip"], "previous": [], "agent": "erika"}

    for path, params in (("/handover/conversations/anna", {}), ("/handover/conversations", {"state": "queued"})):
        _, response = await app.ctx.api.get(path, params=params, headers=sabine)
        items = response.json if isinstance(response.json, list) else [response.json]
        assert [c["labels"] for c in items if c["conversation_id"] == "anna"] == [["Rückerstattung", "vip"]]

    _, response = await app.ctx.api.get("/conversations/anna/tracker", params={"token": TOKEN})
    [event] = [e for e in response.json["events"] if e["event"] == "handover_labels_set"]
    assert event["labels"] == ["Rückerstattung", "vip"] and event["by"] == "erika"

    _, response = await app.ctx.api.put("/handover/conversations/anna/labels", json={"labels": []}, headers=erika)
    assert response.status == 200 and response.json["labels"] == []
    assert await _say(app, "anna", "Danke") == []  # the tracker with the label events still replays


async def _next_of_kind(feed: Any, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(feed.recv(), 30))
        if message.get("kind") == kind:
            return message


@pytest.mark.parametrize(("body", "problem"), [
    ({}, "required"),
    ({"labels": "vip"}, "list"),
    ({"labels": ["vip", 3]}, "label 2"),
    ({"labels": ["   "]}, "empty"),
    ({"labels": ["x" * 41]}, "40"),
    ({"labels": [f"l{n}" for n in range(21)]}, "at most 20"),
    ([], "JSON object"),
])
async def test_bad_labels_are_a_400_naming_the_problem(helpdesk_app: Any, body: Any, problem: str) -> None:
    app = helpdesk_app
    await _agent(app, "erika")
    erika = await _login(app, "erika")
    await _say(app, "anna", "agent please")
    _, response = await app.ctx.api.put("/handover/conversations/anna/labels", json=body, headers=erika)
    assert response.status == 400 and problem in response.json["error"], response.text


async def test_labels_refuse_strangers_and_unknown_conversations(helpdesk_app: Any) -> None:
    app = helpdesk_app
    _, response = await app.ctx.api.put("/handover/conversations/anna/labels", json={"labels": ["vip"]})
    assert response.status == 401 and response.json["error"]
    await _agent(app, "erika", teams=[])
    erika = await _login(app, "erika")
    _, response = await app.ctx.api.put("/handover/conversations/nobody/labels", json={"labels": ["vip"]},
                                        headers=erika)
    assert response.status == 404 and "nobody" in response.json["error"]


async def test_canned_replies_are_filled_from_the_conversations_slots(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _agent(app, "erika")
    erika = await _login(app, "erika")
    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    await _set_slot(app, "anna", "tracking_number", "JJD0099")

    _, response = await app.ctx.api.get("/handover/canned-replies", params={"conversation_id": "anna"}, headers=erika)
    assert response.status == 200, response.text
    by_shortcut = {reply["shortcut"]: reply for reply in response.json}
    assert by_shortcut["tracking"]["rendered"] == "Ich sehe mir Ihre Sendung JJD0099 an, de."
    assert by_shortcut["tracking"]["missing"] == []
    assert by_shortcut["order"]["rendered"] == "Ich prüfe die Bestellung {order_id} mit Sendung JJD0099."
    assert by_shortcut["order"]["missing"] == ["order_id"]
    assert by_shortcut["order"]["text"].startswith("Ich prüfe die Bestellung {order_id}")

    _, response = await app.ctx.api.get("/handover/canned-replies", headers=erika)  # as before: no rendering
    assert response.status == 200 and all("rendered" not in reply for reply in response.json)
    _, response = await app.ctx.api.get("/handover/canned-replies", params={"conversation_id": "nobody"},
                                        headers=erika)
    assert response.status == 404 and response.json["error"]


def test_labels_are_trimmed_deduplicated_and_bounded() -> None:
    assert parse_labels([" a ", "b", "a"]) == ["a", "b"]
    assert parse_labels([f"l{n}" for n in range(20)]) == [f"l{n}" for n in range(20)]
    for bad in (None, {"a": 1}, ["a\nb"], ["\ud800"]):
        with pytest.raises(InvalidLabels):
            parse_labels(bad)


def test_placeholders_fill_what_has_a_value_and_name_the_rest() -> None:
    text = "Order {order_id}, parcel {tracking_number}, items {items}, again {order_id}"
    assert fill_placeholders(text, {"tracking_number": "JJD1", "items": ["a", "b"], "order_id": None}) == (
        "Order {order_id}, parcel JJD1, items a, b, again {order_id}", ["order_id"])
    assert fill_placeholders("no placeholders", {}) == ("no placeholders", [])
