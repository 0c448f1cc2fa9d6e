"""Fuzzing the web chat's HTTP and WebSocket endpoints: 4xx or close codes, never a crash, nothing half stored."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import CREDENTIALS

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
frames = json_values | st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["message", "receipt", "invitation", "ping", "x"]) | json_values,
    "id": json_values | st.from_regex(r"[a-z0-9]{1,70}", fullmatch=True), "text": json_values,
    "status": st.sampled_from(["read", "delivered"]) | json_values, "watermark": json_values,
    "rule": st.sampled_from(["idle_help", "full_cart"]) | json_values, "action": json_values})


@pytest.fixture
def fuzz_app(make_agent):
    from bot.channels.credentials import parse_credentials
    from bot.server import create_app
    from bot.shared.yaml_io import read_yaml

    credentials = parse_credentials(read_yaml(CREDENTIALS.replace("{shop_port}", "1")), "credentials.yml")
    return create_app(make_agent(), credentials=credentials)


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values | st.fixed_dictionaries({}, optional={"token": json_values, "customer": json_values,
                                                              "frame": frames}))
def test_random_bodies_over_http_are_never_500(fuzz_app, loop, body: Any) -> None:
    for path in ("/webchat/session", "/webchat/frames"):
        _, response = loop.run_until_complete(fuzz_app.asgi_client.post(path, content=json.dumps(body).encode()))
        assert response.status in (200, 400, 401, 403, 429), (path, body, response.status, response.text)
        assert response.json.get("error") or response.status == 200


def _garbage(rng: random.Random) -> str:
    choices = [
        lambda: "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(0, 40))),
        lambda: json.dumps(rng.choice([None, 1, [], "x", {"type": None}, {"type": "message"}])),
        lambda: json.dumps({"type": "message", "id": "c" * rng.randrange(65, 80), "text": "hi"}),
        lambda: json.dumps({"type": "receipt", "status": "read", "watermark": rng.randrange(-5, 0)}),
        lambda: "[" * 5000 + "]" * 5000,
        lambda: json.dumps({"type": "message", "id": "ok", "text": "x" * 3000}),
    ]
    return rng.choice(choices)()


async def test_malformed_frames_get_errors_then_the_connection_is_closed(start_server) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.base) as client:
        session = (await client.post("/webchat/session", json={})).json()
    rng = random.Random(16)
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as ws:
        for _ in range(20):
            await ws.send(_garbage(rng))
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            while frame["type"] in ("ready", "typing"):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert frame["type"] == "error" and frame["error"]
        await ws.send("{")
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            for _ in range(5):
                await asyncio.wait_for(ws.recv(), 30)
        assert closed.value.rcvd.code == 1008
    assert await server.processor.tracker_store.get_events(session["conversation_id"]) == []


@pytest.mark.parametrize(("payload", "code"), [(b"\x00\x01binary", 1003), ("x" * (70 * 1024), 1009)])
async def test_binary_and_oversized_frames_close_the_connection(start_server, payload: Any, code: int) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.base) as client:
        session = (await client.post("/webchat/session", json={})).json()
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as ws:
        await ws.send(payload)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            for _ in range(5):
                await asyncio.wait_for(ws.recv(), 30)
    assert closed.value.rcvd.code == code


async def test_a_flood_from_one_client_is_rate_limited(start_server) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.base) as client:
        session = (await client.post("/webchat/session", json={})).json()
    errors = acks = 0
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as ws:
        for index in range(40):
            await ws.send(json.dumps({"type": "message", "id": f"f{index}", "text": "/goodbye"}))
        closed_by_server = False
        try:
            while acks + errors < 40:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                acks += frame["type"] == "ack"
                errors += frame["type"] == "error"
        except websockets.exceptions.ConnectionClosed as closed:
            closed_by_server = closed.rcvd is not None and closed.rcvd.code == 1008
    assert acks < 40 and (errors > 0 or closed_by_server)
    events = await server.processor.tracker_store.get_events(session["conversation_id"],
                                                              since_last_session_start=False)
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == acks  # every accepted message whole, every refused one not at all
    async with httpx.AsyncClient(base_url=server.base) as client:
        statuses = [(await client.post("/webchat/frames", json={"token": session["token"], "frame": {
            "type": "ping"}})).status_code for _ in range(30)]
    assert 429 in statuses and all(status in (200, 429) for status in statuses)
