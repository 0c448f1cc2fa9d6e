"""Offers over the API on a real server: declining, an integration acting by token while offline, and the
live feed delivering an offer without reading the feed table."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from handover.routing import RoutingSettings
from tests.handover import test_api
from tests.handover.test_api import _agent, _say

# The real-server fixtures of the API tests, used here as they are.
make_app, start = test_api.make_app, test_api.start

WAIT = 60.0  # generous: the machine may be busy


async def _until(read: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], timeout: float = WAIT) -> Any:
    """Polls `read()` until `check` holds; returns the last value read."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = await read()
    while not check(value) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await read()
    return value


async def _token_agent(app: Any, name: str, status: str | None = "online", **options: Any) -> dict[str, str]:
    await _agent(app, name, **options)
    token = await app.ctx.handover.directory.issue_token(name, "test")
    headers = {"Authorization": f"Bearer {token}"}
    if status is not None:
        _, response = await app.ctx.api.put("/handover/presence", json={"status": status}, headers=headers)
        assert response.status == 200, response.text
    return headers


def _row(app: Any, sender: str) -> Callable[[], Awaitable[Any]]:
    return lambda: app.ctx.handover.service.row(sender)


async def test_a_declined_offer_goes_to_the_next_agent_and_comes_back_only_after_the_cooldown(start) -> None:
    app = await start(routing=RoutingSettings(tick_seconds=0.2, decline_cooldown_seconds=3))
    erika = await _token_agent(app, "erika")
    fritz = await _token_agent(app, "fritz")
    await _say(app, "kim", "agent please")
    row = await _until(_row(app, "kim"), lambda row: row and row["state"] == "offered")
    first, second = row["offered_to"], ({"erika", "fritz"} - {row["offered_to"]}).pop()
    headers = {"erika": erika, "fritz": fritz}

    _, response = await app.ctx.api.post("/handover/conversations/kim/decline", json={"reason": "no German"},
                                         headers=headers[first])
    assert response.status == 200, response.text
    row = await _until(_row(app, "kim"), lambda row: row["offered_to"] == second)
    assert row["state"] == "offered" and row["offered_to"] == second
    assert (await app.ctx.handover.directory.get_agent(first)).status == "online"  # not set away

    # The second declines too: nobody else may have it, and the first is not asked again at once.
    _, response = await app.ctx.api.post("/handover/conversations/kim/decline", headers=headers[second])
    assert response.status == 200, response.text
    await asyncio.sleep(1.0)
    assert (await app.ctx.handover.service.row("kim"))["state"] == "queued"
    # After the cooldown it is offered again.
    row = await _until(_row(app, "kim"), lambda row: row["state"] == "offered")
    assert row["state"] == "offered"
    events = [event["event"] for event in (await app.ctx.handover.service.tracker_store.get_events("kim"))]
    assert events.count("handover_declined") == 2


async def test_only_the_offered_agent_may_decline(start) -> None:
    app = await start()
    erika = await _token_agent(app, "erika")
    fritz = await _token_agent(app, "fritz", status=None)  # offline: never offered anything
    await _say(app, "kim", "agent please")
    await _until(_row(app, "kim"), lambda row: row and row["state"] == "offered")
    _, response = await app.ctx.api.post("/handover/conversations/kim/decline", headers=fritz)
    assert response.status == 409 and "erika" in response.json["error"]
    _, response = await app.ctx.api.post("/handover/conversations/kim/decline", json={"reason": 5}, headers=erika)
    assert response.status == 400 and "reason" in response.json["error"]
    _, response = await app.ctx.api.post("/handover/conversations/nobody/decline", headers=erika)
    assert response.status == 404


async def test_an_integration_that_accepts_by_token_while_offline_keeps_its_conversation(start) -> None:
    app = await start(routing=RoutingSettings(tick_seconds=0.2, offline_grace_seconds=0.5))
    desk = await _token_agent(app, "helpdesk", status=None)  # created offline; never sets a presence
    await _say(app, "kim", "agent please")
    await _until(_row(app, "kim"), lambda row: row and row["state"] == "queued")
    _, response = await app.ctx.api.post("/handover/conversations/kim/accept", headers=desk)
    assert response.status == 200, response.text
    assert (await app.ctx.handover.directory.get_agent("helpdesk")).status == "online"
    await asyncio.sleep(2.0)  # four grace periods: routing would have taken it back from an offline agent
    row = await app.ctx.handover.service.row("kim")
    assert (row["state"], row["agent"]) == ("assigned", "helpdesk")
    _, response = await app.ctx.api.post("/handover/conversations/kim/messages", json={"text": "Hello"}, headers=desk)
    assert response.status == 201


async def test_an_agent_who_set_away_stays_away_when_replying(start) -> None:
    app = await start()
    erika = await _token_agent(app, "erika", status="away")
    await _say(app, "kim", "agent please")
    await _until(_row(app, "kim"), lambda row: row and row["state"] == "queued")
    _, response = await app.ctx.api.post("/handover/conversations/kim/messages", json={"text": "Hi"}, headers=erika)
    assert response.status == 201
    assert (await app.ctx.handover.directory.get_agent("erika")).status == "away"


async def test_an_offer_reaches_the_live_feed_without_reading_the_feed_table(start) -> None:
    app = await start()
    erika = await _token_agent(app, "erika")
    service = app.ctx.handover.service
    reads = []
    original = service.feed_since

    async def counted(after_id: int) -> list[dict[str, Any]]:
        reads.append(after_id)
        return await original(after_id)

    service.feed_since = counted
    base = str(app.ctx.api.http.base_url).rstrip("/").replace("http://", "ws://")
    async with websockets.connect(f"{base}/handover/ws", additional_headers=erika) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await _say(app, "kim", "agent please")
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if frame.get("kind") == "offer" and frame["conversation_id"] == "kim":
                break
    assert frame["data"]["offered_to"] == "erika"
    assert reads == [], "a gap in the feed's ids made the connection read the table"
