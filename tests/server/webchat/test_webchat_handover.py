"""The web chat with the human side: an agent's typing reaches the widget, the widget's read receipts reach
the agent's live feed, and an operator reads how the proactive invitations did."""

from __future__ import annotations

import json

import httpx
import websockets

from .conftest import ESCALATING_INTENT, agent_session, handover_extension, until_frame

TOKEN = "operator-token"


async def test_agent_typing_reaches_the_widget_and_its_read_receipt_reaches_the_agent(start_server,
                                                                                      tmp_path) -> None:
    server = await start_server(extensions=[handover_extension(tmp_path)])
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        session = (await http.post("/webchat/session", json={})).json()
        conversation = session["conversation_id"]
        maria = await agent_session(server, "maria", "Maria")
        otto = await agent_session(server, "otto", "Otto")
        async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as widget:
            await until_frame(widget, lambda f: f["type"] == "ready")
            await widget.send(json.dumps({"type": "message", "id": "c-1", "text": f"/{ESCALATING_INTENT}"}))
            await until_frame(widget, lambda f: f["type"] == "messages"
                         and any(m.get("notice") == "handover" for m in f["messages"]))
            base = f"/handover/conversations/{conversation}"
            assert (await http.post(f"{base}/accept", headers=maria)).status_code == 200

            typing = await http.post(f"{base}/typing", json={"typing": True}, headers=maria)
            assert typing.status_code == 200 and typing.json() == {"delivered": True}
            frame = await until_frame(widget, lambda f: f["type"] == "typing")
            assert frame == {"type": "typing", "on": True, "agent": {"id": "maria", "name": "Maria"}}
            await http.post(f"{base}/typing", json={"typing": False}, headers=maria)
            assert (await until_frame(widget, lambda f: f["type"] == "typing"))["on"] is False
            # Bad input, another agent's conversation, no session, no such conversation: refused.
            assert (await http.post(f"{base}/typing", json={"typing": "yes"}, headers=maria)).status_code == 400
            assert (await http.post(f"{base}/typing", json={"typing": True}, headers=otto)).status_code == 403
            assert (await http.post(f"{base}/typing", json={"typing": True})).status_code == 401
            missing = await http.post("/handover/conversations/nobody/typing", json={"typing": True}, headers=maria)
            assert missing.status_code == 404

            sent = await http.post(f"{base}/messages", json={"text": "Maria here, one moment."}, headers=maria)
            assert sent.status_code == 201
            frame = await until_frame(widget, lambda f: f["type"] == "messages")
            reply = frame["messages"][-1]
            assert reply["from"] == "agent" and reply["agent"]["name"] == "Maria"
            # The customer's widget shows the reply: the agent's live feed learns it was read.
            origin = {"Origin": server.base, "Cookie": maria["Cookie"]}
            async with websockets.connect(f"{server.ws_base}/handover/ws", additional_headers=origin) as feed:
                hello = await until_frame(feed, lambda f: f["type"] == "hello")
                await widget.send(json.dumps({"type": "receipt", "status": "read", "watermark": reply["seq"]}))
                item = await until_frame(feed, lambda f: f["type"] == "event" and f["kind"] == "read")
                assert item["id"] > hello["last_id"] and item["conversation_id"] == conversation
                assert item["data"]["message_id"] == reply["id"] == f"m{reply['seq']}"
                assert item["data"]["watermark"] == reply["seq"]


async def test_an_operator_reads_invitation_counts_per_day_page_and_rule(start_server) -> None:
    server = await start_server(auth_token=TOKEN)
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        for page, actions in (("http://shop.test/product/7?ref=mail", ["shown", "accepted"]),
                              ("http://shop.test/product/7", ["shown", "dismissed"]),
                              ("http://shop.test/cart", ["shown"])):
            session = (await http.post("/webchat/session", json={})).json()
            for action in actions:
                response = await http.post("/webchat/frames", json={"token": session["token"], "frame": {
                    "type": "invitation", "rule": "idle_help", "action": action, "page": page}})
                assert response.status_code == 200, response.text
        refused = await http.get("/webchat/invitations")
        assert refused.status_code == 401
        stats = await http.get("/webchat/invitations", params={"token": TOKEN})
        assert stats.status_code == 200, stats.text
        body = stats.json()
        rows = [{key: row[key] for key in ("page", "rule", "shown", "accepted", "dismissed")} for row in body["counts"]]
        assert rows == [{"page": "shop.test/cart", "rule": "idle_help", "shown": 1, "accepted": 0, "dismissed": 0},
                        {"page": "shop.test/product/7", "rule": "idle_help", "shown": 2, "accepted": 1,
                         "dismissed": 1}]
        assert body["totals"] == {"shown": 3, "accepted": 1, "dismissed": 1}
        assert {row["day"] for row in body["counts"]} == {body["to"]}
        earlier = await http.get("/webchat/invitations", params={"token": TOKEN, "from": "2020-01-01",
                                                                  "to": "2020-01-31"})
        assert earlier.json()["counts"] == []
        bad = await http.get("/webchat/invitations", params={"token": TOKEN, "from": "yesterday"})
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]


async def test_invitation_counts_need_the_operators_api(start_server) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        response = await http.get("/webchat/invitations")
    assert response.status_code == 403 and "--auth-token" in response.json()["detail"]
