"""API authentication: token precedence, JWT as Rasa offers it, and 405 answers that say what is allowed."""

from __future__ import annotations

import jwt
import pytest

TOKEN = "s3cret-token"
SECRET = "jwt-secret-for-tests-only-0123456789"


async def test_a_wrong_query_token_does_not_beat_a_right_bearer_header(app) -> None:
    _, response = await app.asgi_client.get("/status", params={"token": "stale"},
                                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
    _, response = await app.asgi_client.get("/status", params={"token": TOKEN},
                                            headers={"Authorization": "Bearer stale"})
    assert response.status == 200
    _, response = await app.asgi_client.get("/status", params={"token": "stale"},
                                            headers={"Authorization": "Bearer stale"})
    assert response.status == 401 and response.json["error"] == "The token is wrong."


async def test_405_lists_the_allowed_methods(app) -> None:
    _, response = await app.asgi_client.get("/webhooks/rest/webhook")
    assert response.status == 405 and response.headers["allow"] == "POST"
    assert response.json["code"] == 405


@pytest.fixture
def jwt_app(make_app):
    return make_app(jwt_secret=SECRET, jwt_method="HS256")


def _jwt(user: dict, secret: str = SECRET, method: str = "HS256") -> dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode({"user": user}, secret, algorithm=method)}


async def test_an_admin_jwt_may_use_every_route(jwt_app) -> None:
    admin = _jwt({"username": "ops", "role": "admin"})
    _, response = await jwt_app.asgi_client.get("/status", headers=admin)
    assert response.status == 200
    _, response = await jwt_app.asgi_client.get("/conversations/anna/tracker", headers=admin)
    assert response.status == 200


async def test_a_users_jwt_may_use_only_its_own_conversation(jwt_app) -> None:
    anna = _jwt({"username": "anna maria", "role": "user"})
    _, response = await jwt_app.asgi_client.get("/conversations/anna%20maria/tracker", headers=anna)
    assert response.status == 200 and response.json["sender_id"] == "anna maria"
    _, response = await jwt_app.asgi_client.get("/conversations/bob/tracker", headers=anna)
    assert response.status == 403 and response.json["reason"] == "NotAuthorized"
    _, response = await jwt_app.asgi_client.get("/status", headers=anna)
    assert response.status == 403


async def test_a_jwt_signed_otherwise_or_missing_is_401(jwt_app) -> None:
    _, response = await jwt_app.asgi_client.get("/status", headers=_jwt({"role": "admin"}, secret="another-secret-0123456789-abcdef"))
    assert response.status == 401 and "JWT is not valid" in response.json["error"]
    _, response = await jwt_app.asgi_client.get("/status", headers=_jwt({"role": "admin"}, method="HS512"))
    assert response.status == 401
    _, response = await jwt_app.asgi_client.get("/status")
    assert response.status == 401 and response.json["error"] == "This endpoint needs a token."


async def test_token_and_jwt_together(make_app) -> None:
    app = make_app(auth_token=TOKEN, jwt_secret=SECRET)
    _, response = await app.asgi_client.get("/status", params={"token": TOKEN})
    assert response.status == 200
    _, response = await app.asgi_client.get("/status", headers=_jwt({"role": "admin"}))
    assert response.status == 200
