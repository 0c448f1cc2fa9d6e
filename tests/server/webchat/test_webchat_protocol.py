"""The web chat over a real server: sessions, WebSocket catch-up, long polling, receipts, signatures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

from bot.channels.signing import customer_signature

from .conftest import CUSTOMER_SECRET


async def _session(server: Any, **body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base) as client:
        response = await client.post("/webchat/session", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def _until(ws: Any, kind: str, timeout: float = 30.0) -> dict[str, Any]:
    """The next frame of `kind` (other frames, e.g. typing, are skipped)."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


async def test_a_message_round_trip_then_catch_up_after_reconnect(start_server) -> None:
    server = await start_server()
    session = await _session(server)
    url = f"{server.ws_base}/webchat/ws?token={session['token']}&after=0"
    async with websockets.connect(url) as ws:
        assert (await _until(ws, "ready"))["last_seq"] == 0
        await ws.send(json.dumps({"type": "message", "id": "c-1", "text": "hello"}))
        frame = await _until(ws, "messages")
        customer, bot = frame["messages"]
        assert customer["from"] == "customer" and customer["id"] == "c-1" and customer["text"] == "hello"
        assert bot["from"] == "bot" and bot["parts"] == [
            {"type": "buttons", "text": "Hey! How are you?", "buttons": [{"title": "great", "payload": "/mood_great"}]}]
        assert (await _until(ws, "ack"))["id"] == "c-1"
        # A button click: the payload goes to the bot, the title is what the history shows.
        await ws.send(json.dumps({"type": "message", "id": "c-2", "text": "/mood_great", "title": "great"}))
        frame = await _until(ws, "messages")
        assert [m.get("text") for m in frame["messages"]] == ["great", None]
        assert frame["messages"][1]["parts"] == [{"type": "text", "text": "Great, carry on!"}]
        seen = frame["last_seq"]
    # A resend of an already handled message id (e.g. after a lost ack) is not handled twice.
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}&after={seen}") as ws:
        assert (await _until(ws, "ready"))["last_seq"] == seen
        await ws.send(json.dumps({"type": "message", "id": "c-2", "text": "/mood_great", "title": "great"}))
        assert (await _until(ws, "ack")) == {"type": "ack", "id": "c-2", "duplicate": True}
    # Catch-up from an older position: exactly what came after it, nothing twice.
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}&after=0") as ws:
        frame = await _until(ws, "messages")
        assert [m["id"] for m in frame["messages"]].count("c-2") == 1
        assert len(frame["messages"]) == 4
    resumed = await _session(server, token=session["token"])
    assert resumed["conversation_id"] == session["conversation_id"] and len(resumed["messages"]) == 4


async def test_long_polling_carries_the_same_frames(start_server) -> None:
    server = await start_server()
    session = await _session(server)
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        waiting = asyncio.create_task(client.get("/webchat/poll", params={"token": session["token"], "after": 0,
                                                                            "wait": 20}))
        sent = await client.post("/webchat/frames", json={"token": session["token"], "frame": {
            "type": "message", "id": "p-1", "text": "hello"}})
        assert sent.status_code == 200 and sent.json() == {"type": "ack", "id": "p-1"}
        polled = (await waiting).json()
        kinds = [frame["type"] for frame in polled["frames"]]
        assert "messages" in kinds or "typing" in kinds
        later = await client.get("/webchat/poll", params={"token": session["token"], "after": 0, "wait": 0})
        messages = [m for f in later.json()["frames"] if f["type"] == "messages" for m in f["messages"]]
        assert [m["from"] for m in messages] == ["customer", "bot"]


async def test_receipts_are_stored_as_events(start_server) -> None:
    server = await start_server()
    session = await _session(server)
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as ws:
        await ws.send(json.dumps({"type": "message", "id": "r-1", "text": "hello"}))
        frame = await _until(ws, "messages")
        bot_seq = frame["messages"][-1]["seq"]
        await ws.send(json.dumps({"type": "receipt", "status": "delivered", "watermark": bot_seq}))
        await ws.send(json.dumps({"type": "receipt", "status": "read", "watermark": bot_seq}))
        await ws.send(json.dumps({"type": "receipt", "status": "read", "watermark": bot_seq}))  # not again
        await ws.send(json.dumps({"type": "receipt", "status": "read", "watermark": 10_000}))
        assert "beyond" in (await _until(ws, "error"))["error"]
    events = await server.processor.tracker_store.get_events(session["conversation_id"])
    receipts = [(e["status"], e["watermark"]) for e in events if e["event"] == "receipt"]
    assert receipts == [("delivered", bot_seq), ("read", bot_seq)]


async def test_signed_customer_ids_share_one_conversation_and_bad_signatures_are_refused(start_server) -> None:
    server = await start_server()
    good = {"id": "customer-4711", "signature": customer_signature(CUSTOMER_SECRET, "customer-4711")}
    phone, laptop = await _session(server, customer=good), await _session(server, customer=good)
    assert phone["conversation_id"] == laptop["conversation_id"] and phone["token"] != ""
    async with httpx.AsyncClient(base_url=server.base) as client:
        forged = await client.post("/webchat/session", json={"customer": {"id": "customer-4711",
                                                                          "signature": "0" * 64}})
        assert forged.status_code == 403 and "signature" in forged.json()["error"]
        unsigned = await client.post("/webchat/session", json={"customer": {"id": "customer-4711"}})
        assert unsigned.status_code == 403
        tampered = phone["token"].replace(phone["conversation_id"], "customer-" + "0" * 40)
        refused = await client.post("/webchat/session", json={"token": tampered})
        assert refused.status_code == 401 and refused.json()["error"]
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with websockets.connect(f"{server.ws_base}/webchat/ws?token={tampered}") as ws:
            await ws.recv()
    assert closed.value.rcvd.code == 4401


async def test_foreign_origins_are_refused_and_allowed_ones_get_cors(start_server, shop_port) -> None:
    server = await start_server()
    shop = f"http://127.0.0.1:{shop_port}"
    async with httpx.AsyncClient(base_url=server.base) as client:
        allowed = await client.post("/webchat/session", json={}, headers={"Origin": shop})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == shop
        preflight = await client.options("/webchat/session", headers={
            "Origin": shop, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == shop
        foreign = await client.post("/webchat/session", json={}, headers={"Origin": "http://evil.test"})
        assert foreign.status_code == 403 and "allowed_origins" in json.dumps(foreign.json())
    token = allowed.json()["token"]
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(f"{server.ws_base}/webchat/ws?token={token}", origin="http://evil.test"):
            pass
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={token}", origin=shop) as ws:
        assert (await _until(ws, "ready"))["type"] == "ready"


async def test_agent_messages_pushed_through_the_output_seam_arrive_live(start_server) -> None:
    from bot.server.state import server_state
    from bot.shared.core.events import BotUttered

    server = await start_server()
    session = await _session(server)
    conversation = session["conversation_id"]
    outputs = server_state(server.app).outputs
    assert set(outputs.names()) == {"socketio", "webchat"}
    message = {"recipient_id": conversation, "text": "Hallo, ich bin Maria.",
               "metadata": {"agent": {"id": "a-7", "name": "Maria"}}}
    assert await outputs.get("webchat").send(conversation, [message]) is False  # nobody connected yet
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as ws:
        await _until(ws, "ready")
        # What the human side does: store the agent's message, then push it to the customer.
        await server.processor.append_events(conversation, [BotUttered(
            message["text"], metadata=message["metadata"])])
        assert await outputs.get("webchat").send(conversation, [message]) is True
        frame = await _until(ws, "messages")
        (shown,) = frame["messages"]
        assert shown["from"] == "agent" and shown["agent"] == {"id": "a-7", "name": "Maria"}
        assert shown["parts"] == [{"type": "text", "text": "Hallo, ich bin Maria."}]


def test_a_request_the_client_left_is_not_logged_as_a_server_error(caplog) -> None:
    """A long poll or socket.io poll whose browser went away: Sanic cancels it; that is no error."""
    from sanic.exceptions import RequestCancelled

    from bot.server.errors import response_for_exception

    response = response_for_exception(RequestCancelled())
    assert response.status == 499
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
