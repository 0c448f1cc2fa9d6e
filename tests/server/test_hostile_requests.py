"""Hostile and oversized requests: clear 4xx answers, nothing stored, the server stays responsive."""

from __future__ import annotations

from bot.shared.limits import DEFAULT_MAX_CHARACTERS, DEFAULT_MAX_TOKENS, MessageLimits

WEBHOOK = "/webhooks/rest/webhook"
TOKEN = {"token": "s3cret-token"}


async def _user_texts(app, sender: str) -> list[str]:
    _, response = await app.asgi_client.get(f"/conversations/{sender}/tracker", params=TOKEN)
    return [e["text"] for e in response.json["events"] if e["event"] == "user"]


async def test_a_message_over_the_character_limit_is_413_and_not_stored(app) -> None:
    text = "hello " + "x" * DEFAULT_MAX_CHARACTERS
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "big", "message": text})
    assert response.status == 413
    assert response.json["reason"] == "PayloadTooLarge"
    assert response.json["detail"]["limit"] == DEFAULT_MAX_CHARACTERS
    assert response.json["detail"]["unit"] == "characters"
    assert str(len(text)) in response.json["error"]
    assert await _user_texts(app, "big") == []
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "big", "message": "hello"})
    assert response.status == 200 and response.json


async def test_a_message_with_too_many_tokens_is_413(app) -> None:
    # 8,000 words raised DIET's memory from 238 MB to 3.2 GB before there was a limit.
    text = " ".join(["hi"] * (DEFAULT_MAX_TOKENS + 1))
    assert len(text) <= DEFAULT_MAX_CHARACTERS
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "words", "message": text})
    assert response.status == 413 and response.json["detail"]["unit"] == "tokens"
    _, response = await app.asgi_client.post("/model/parse", params=TOKEN, json={"text": text})
    assert response.status == 413


async def test_the_limits_are_configurable(make_app) -> None:
    app = make_app(auth_token="s3cret-token", message_limits=MessageLimits(max_characters=10, max_tokens=None))
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "c", "message": "hello there!"})
    assert response.status == 413 and response.json["detail"]["limit"] == 10
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "c", "message": "hello"})
    assert response.status == 200
