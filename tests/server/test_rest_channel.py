"""The REST channel: round trip, malformed bodies, and random JSON that must never give a 500."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.rest import ChannelRequestError, RestInput

WEBHOOK = "/webhooks/rest/webhook"


async def test_round_trip_returns_bot_messages_in_rest_shape(app) -> None:
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "alice", "message": "hello"})
    assert response.status == 200
    assert response.json == [{"recipient_id": "alice", "text": "Hey! How are you?",
                              "buttons": [{"title": "great", "payload": "/mood_great"}]}]
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "alice", "message": "/mood_great"})
    assert response.json == [{"recipient_id": "alice", "text": "Great, carry on!"}]


async def test_messages_are_stored_with_channel_and_metadata(app) -> None:
    await app.asgi_client.post(WEBHOOK, json={"sender": "bob", "message": "bye", "metadata": {"page": "faq"}})
    _, response = await app.asgi_client.get("/conversations/bob/tracker", params={"token": "s3cret-token"})
    user = [e for e in response.json["events"] if e["event"] == "user"]
    assert user[0]["text"] == "bye" and user[0]["input_channel"] == "rest"
    assert user[0]["metadata"] == {"page": "faq"}
    assert response.json["latest_input_channel"] == "rest"


async def test_channel_health_is_open(app) -> None:
    for path in ("/webhooks/rest/", "/webhooks/rest"):
        _, response = await app.asgi_client.get(path)
        assert response.status == 200 and response.json == {"status": "ok"}


@pytest.mark.parametrize(("body", "field"), [
    (b"", "body"),
    (b"{not json", "body"),
    (b"\xff\xfe", "body"),
    (b"[1, 2]", "body"),
    (b'{"sender": "x"}', "message"),
    (b'{"sender": "x", "message": 3}', "message"),
    (b'{"sender": {"a": 1}, "message": "hi"}', "sender"),
    (b'{"sender": true, "message": "hi"}', "sender"),
    (b'{"sender": "", "message": "hi"}', "sender"),
    (b'{"sender": "x", "message": "hi", "metadata": [1]}', "metadata"),
])
async def test_malformed_bodies_are_400_naming_the_field(app, body: bytes, field: str) -> None:
    _, response = await app.asgi_client.post(WEBHOOK, content=body)
    assert response.status == 400
    assert response.json["detail"]["parameter"] == field
    assert response.json["reason"] == "BadRequest" and response.json["code"] == 400
    assert response.json["error"]


async def test_missing_sender_joins_the_default_conversation(app) -> None:
    _, response = await app.asgi_client.post(WEBHOOK, json={"message": "hello"})
    assert response.status == 200 and response.json[0]["recipient_id"] == "default"


async def test_wrong_method_and_unknown_path_are_json(app) -> None:
    _, response = await app.asgi_client.get(WEBHOOK)
    assert response.status == 405 and response.json["code"] == 405
    _, response = await app.asgi_client.get("/no/such/path")
    assert response.status == 404 and response.json["reason"] == "NotFound"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
webhook_bodies = json_values | st.fixed_dictionaries(
    {}, optional={"sender": json_values, "message": json_values, "metadata": json_values})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=webhook_bodies)
def test_random_json_never_gives_a_server_error(body) -> None:
    """The channel adapter either accepts a body or names the bad field; it never raises otherwise."""
    try:
        message = RestInput().parse(body)
    except ChannelRequestError as error:
        assert error.message
        return
    assert isinstance(message.text, str) and isinstance(message.sender_id, str)


@pytest.fixture
def event_loop_for_hypothesis():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=webhook_bodies | st.sampled_from([
    {"sender": "p", "message": '/greet{"name": [1, {}]}'}, {"sender": "p", "message": "/" * 50},
    {"sender": "p", "message": ""}, {"sender": 12, "message": "x" * 5000}, {"message": "/greet@2"}]))
def test_random_json_bodies_over_http_are_never_500(app, event_loop_for_hypothesis, body) -> None:
    """Random bodies sent to the real app (one event loop for all examples: the stores bind to it)."""
    _, response = event_loop_for_hypothesis.run_until_complete(
        app.asgi_client.post(WEBHOOK, content=json.dumps(body).encode()))
    # 413: over the message limit (the 5,000-character example)
    assert response.status in (200, 400, 413), (body, response.status, response.text)


async def test_input_channel_may_be_named_by_the_client(app) -> None:
    await app.asgi_client.post(WEBHOOK, json={"sender": "w", "message": "hello", "input_channel": "website"})
    _, response = await app.asgi_client.get("/conversations/w/tracker", params={"token": "s3cret-token"})
    assert response.json["latest_input_channel"] == "website"
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "w", "message": "hi", "input_channel": 1})
    assert response.status == 400 and response.json["detail"]["parameter"] == "input_channel"


async def test_a_busy_conversation_is_503_not_400(app) -> None:
    from bot.stores import LockError

    async def busy(message):
        raise LockError("conversation 'z' is busy", hint="retry")

    await app.asgi_client.get("/health")  # starts the app once so the agent is in place
    app.ctx.bot.agent.processor.handle_message = busy
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "z", "message": "hi"})
    assert response.status == 503 and response.headers["retry-after"] == "1"
    assert response.json["reason"] == "ServiceUnavailable"


async def test_a_bug_is_a_json_500_that_names_no_internals(app) -> None:
    async def bug(message):
        raise KeyError("secret internal detail")

    await app.asgi_client.get("/health")
    app.ctx.bot.agent.processor.handle_message = bug
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": "z", "message": "hi"})
    assert response.status == 500 and response.json["reason"] == "ServerError"
    assert "secret" not in response.text


async def test_warm_up_runs_the_model_and_stores_nothing(make_agent) -> None:
    agent = make_agent()
    await agent.warm_up()
    assert await agent.processor.tracker_store.count_conversations() == 0
    assert await agent.processor.tracker_store.get_events("warm-up") == []
    await agent.close()
