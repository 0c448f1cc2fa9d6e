"""Hostile and oversized requests: clear 4xx answers, nothing stored, the server stays responsive."""

from __future__ import annotations

import pytest

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


# -- bad input at the boundary: 400 naming the field, never a 500 ------------------------------------
API = "/conversations"


async def test_lone_surrogates_and_nul_are_400(app) -> None:
    for body in (b'{"sender": "sur\\ud800", "message": "hi"}', b'{"sender": "anna", "message": "hi \\udfff"}',
                 b'{"sender": "nul\\u0000", "message": "hi"}', b'{"sender": "x", "message": "hi", '
                 b'"metadata": {"k": "\\ud800"}}'):
        _, response = await app.asgi_client.post(WEBHOOK, content=body)
        assert response.status == 400, (body, response.text)
        assert response.json["detail"]["parameter"] in ("sender", "message", "metadata.k"), response.json


async def test_nan_and_infinity_are_not_json(app) -> None:
    body = b'[{"event": "user", "text": "hi", "timestamp": NaN}]'
    _, response = await app.asgi_client.post(f"{API}/anna/tracker/events", params=TOKEN, content=body)
    assert response.status == 400 and "NaN" in response.json["error"]


async def test_long_conversation_ids_are_400_on_every_route(app) -> None:
    long_id = "x" * 300
    for method, path, body in (("get", f"{API}/{long_id}/tracker", None),
                               ("post", f"{API}/{long_id}/messages", {"text": "hi", "sender": "user"}),
                               ("post", f"{API}/{long_id}/tracker/events", {"event": "slot", "name": "a", "value": 1}),
                               ("post", f"{API}/{long_id}/predict", None)):
        _, response = await getattr(app.asgi_client, method)(path, params=TOKEN, **({"json": body} if body else {}))
        assert response.status == 400, (path, response.text)
        assert response.json["detail"]["parameter"] == "conversation_id"


@pytest.mark.parametrize("event", [
    {"event": "user", "text": "hi", "timestamp": "yesterday"},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": 5}}},
    {"event": "user", "text": "hi", "parse_data": {"entities": "Berlin"}},
    {"event": "user", "text": "hi", "parse_data": "greet"},
    {"event": "slot", "name": 3, "value": 1},
    {"event": "action", "name": ["a"]},
])
async def test_malformed_events_are_400_and_nothing_is_stored(app, event) -> None:
    _, response = await app.asgi_client.post(f"{API}/ev/tracker/events", params=TOKEN, json=event)
    assert response.status == 400, response.text
    assert response.json["detail"]["parameter"].startswith("body")
    _, response = await app.asgi_client.get(f"{API}/ev/tracker", params=TOKEN)
    assert response.status == 200 and response.json["events"] == []


@pytest.mark.parametrize("parse_data", [
    {"intent": {"name": 5}},
    {"intent": "greet", "entities": "Berlin"},
    {"intent": "greet", "entities": [{"entity": 3}]},
    {"intent": "greet", "intent_ranking": "x"},
])
async def test_bad_parse_data_in_messages_is_400(app, parse_data) -> None:
    body = {"text": "hi", "sender": "user", "parse_data": parse_data}
    _, response = await app.asgi_client.post(f"{API}/pd/messages", params=TOKEN, json=body)
    assert response.status == 400, response.text
    assert response.json["detail"]["parameter"].startswith("parse_data")
    _, response = await app.asgi_client.post(f"{API}/pd/predict", params=TOKEN)
    assert response.status == 404  # nothing was stored


async def test_conversation_ids_are_percent_decoded_once_on_every_route(app) -> None:
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "anna maria", "message": "hello"})
    assert response.status == 200
    _, response = await app.asgi_client.get(f"{API}/anna%20maria/tracker", params=TOKEN)
    assert [e["text"] for e in response.json["events"] if e["event"] == "user"] == ["hello"]
    assert response.json["sender_id"] == "anna maria"
    _, response = await app.asgi_client.post(f"{API}/anna%20maria/messages", params=TOKEN,
                                             json={"text": "bye", "sender": "user"})
    assert response.json["sender_id"] == "anna maria"
    _, response = await app.asgi_client.post(f"{API}/anna%20maria/predict", params=TOKEN)
    assert response.status == 200
    _, response = await app.asgi_client.get(f"{API}/50%2525/tracker", params=TOKEN)  # "50%25" decoded once
    assert response.json["sender_id"] == "50%25"
