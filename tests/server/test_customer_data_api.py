"""GET/DELETE /customers/{id}/data: admins export and erase a customer's data; nobody else can."""

from __future__ import annotations

import jwt as pyjwt

TOKEN = "s3cret-token"
SECRET = "jwt-secret"


async def _converse(app, sender: str) -> None:
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hello"})
    assert response.status == 200


async def test_an_admin_exports_then_erases_a_customer(app) -> None:
    await _converse(app, "anna maria")
    await _converse(app, "bob")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    _, response = await app.asgi_client.get("/customers/anna%20maria/data", headers=auth)
    assert response.status == 200
    events = response.json["conversations"][0]["events"]
    assert response.json["customer_id"] == "anna maria"
    assert any(e["event"] == "user" and e["text"] == "hello" for e in events)

    _, response = await app.asgi_client.delete("/customers/anna%20maria/data", headers=auth)
    assert response.status == 200
    assert response.json["erased"]["conversations"] == 1 and response.json["erased"]["events"] == len(events)
    _, response = await app.asgi_client.get("/customers/anna%20maria/data", headers=auth)
    assert response.status == 404
    _, response = await app.asgi_client.get("/conversations/anna%20maria/tracker", headers=auth)
    assert response.json["events"] == []
    _, response = await app.asgi_client.get("/customers/bob/data", headers=auth)
    assert response.status == 200  # only she was erased

    # Her next message starts a new conversation, not one built on the erased tracker kept in memory.
    await _converse(app, "anna maria")
    _, response = await app.asgi_client.get("/customers/anna%20maria/data", headers=auth)
    assert [e["event"] for e in response.json["conversations"][0]["events"]][:2] == ["action", "session_started"]


async def test_only_admins_reach_customer_data(make_app) -> None:
    app = make_app(auth_token=TOKEN, jwt_secret=SECRET)
    _, response = await app.asgi_client.delete("/customers/anna/data")
    assert response.status == 401
    user = {"Authorization": "Bearer " + pyjwt.encode({"user": {"username": "anna"}}, SECRET, "HS256")}
    _, response = await app.asgi_client.delete("/customers/anna/data", headers=user)
    assert response.status == 403  # even her own: erasure is an operator's decision, recorded in the audit log
    admin = {"Authorization": "Bearer " + pyjwt.encode({"user": {"role": "admin"}}, SECRET, "HS256")}
    _, response = await app.asgi_client.get("/customers/anna/data", headers=admin)
    assert response.status == 404

    open_app = make_app(enable_api=True)  # the API without any authentication configured
    _, response = await open_app.asgi_client.delete("/customers/anna/data")
    assert response.status == 403 and "--auth-token" in str(response.json)
