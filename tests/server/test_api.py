"""The HTTP API: token auth, enabling, tracker JSON, conversations endpoints, parse, status, errors."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import TOKEN

WEBHOOK = "/webhooks/rest/webhook"
AUTH = {"token": TOKEN}
BEARER = {"Authorization": f"Bearer {TOKEN}"}


async def _say(app, sender: str, text: str) -> list[dict]:
    _, response = await app.asgi_client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200, response.text
    return response.json


# -- authentication ------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("get", "/status"), ("get", "/domain"), ("get", "/conversations/x/tracker"),
    ("post", "/conversations/x/tracker/events"), ("post", "/conversations/x/messages"),
    ("post", "/conversations/x/trigger_intent"), ("post", "/conversations/x/execute"),
    ("post", "/conversations/x/predict"), ("post", "/model/parse"),
])
async def test_api_routes_need_the_token(app, method: str, path: str) -> None:
    _, response = await getattr(app.asgi_client, method)(path)
    assert response.status == 401
    assert response.json["reason"] == "NotAuthenticated" and response.json["detail"]["parameter"] == "token"
    _, response = await getattr(app.asgi_client, method)(path, params={"token": "wrong"})
    assert response.status == 401 and response.json["error"] == "The token is wrong."
    _, response = await getattr(app.asgi_client, method)(path, headers={"Authorization": "Bearer wrong"})
    assert response.status == 401


async def test_right_token_by_query_or_bearer_header(app) -> None:
    _, by_query = await app.asgi_client.get("/status", params=AUTH)
    _, by_header = await app.asgi_client.get("/status", headers=BEARER)
    assert by_query.status == by_header.status == 200
    assert by_query.json == by_header.json
    _, basic = await app.asgi_client.get("/status", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status == 401


@pytest.mark.parametrize("path", ["/", "/version", "/health", "/openapi.json", "/webhooks/rest/"])
async def test_open_routes_need_no_token(app, path: str) -> None:
    _, response = await app.asgi_client.get(path)
    assert response.status == 200


async def test_api_is_off_without_token_or_enable_api(make_app) -> None:
    app = make_app()
    _, response = await app.asgi_client.get("/conversations/x/tracker")
    assert response.status == 404
    assert (await app.asgi_client.post(WEBHOOK, json={"message": "hi"}))[1].status == 200
    open_app = make_app(enable_api=True)
    _, response = await open_app.asgi_client.get("/conversations/x/tracker")
    assert response.status == 200  # --enable-api without a token: open, as in Rasa


# -- trackers ------------------------------------------------------------------------------------
async def test_tracker_json_has_rasas_shape(app) -> None:
    await _say(app, "t1", "hello")
    _, response = await app.asgi_client.get("/conversations/t1/tracker", params=AUTH)
    tracker = response.json
    assert set(tracker) >= {"sender_id", "slots", "latest_message", "latest_event_time", "followup_action",
                            "paused", "events", "latest_input_channel", "active_loop", "latest_action_name"}
    assert tracker["sender_id"] == "t1" and tracker["paused"] is False
    assert tracker["latest_message"]["intent"]["name"] == "greet"
    assert tracker["latest_action_name"] == "action_listen"
    # From the latest session start on, as Rasa's SQL tracker store reads it.
    kinds = [e["event"] for e in tracker["events"] if e["event"] != "user_featurization"]
    assert kinds == ["session_started", "action", "user", "action", "bot", "action"]
    assert [e["text"] for e in tracker["events"] if e["event"] == "bot"] == ["Hey! How are you?"]


async def test_unknown_conversation_is_an_empty_tracker_and_is_not_stored(app) -> None:
    _, response = await app.asgi_client.get("/conversations/nobody/tracker", params=AUTH)
    assert response.status == 200
    assert response.json["events"] == [] and response.json["sender_id"] == "nobody"
    agent = app.ctx.bot.agent
    assert await agent.processor.tracker_store.get_events("nobody") == []


async def test_include_events_and_until(app) -> None:
    await _say(app, "t2", "hello")
    middle = time.time()
    await _say(app, "t2", "bye")
    _, none = await app.asgi_client.get("/conversations/t2/tracker", params={**AUTH, "include_events": "NONE"})
    assert none.json["events"] is None
    _, every = await app.asgi_client.get("/conversations/t2/tracker", params={**AUTH, "include_events": "all"})
    _, earlier = await app.asgi_client.get("/conversations/t2/tracker", params={**AUTH, "until": str(middle)})
    assert len(earlier.json["events"]) < len(every.json["events"])
    assert earlier.json["latest_message"]["intent"]["name"] == "greet"
    _, bad = await app.asgi_client.get("/conversations/t2/tracker", params={**AUTH, "include_events": "SOME"})
    assert bad.status == 400 and bad.json["detail"] == {"parameter": "include_events", "in": "query"}
    _, bad = await app.asgi_client.get("/conversations/t2/tracker", params={**AUTH, "until": "yesterday"})
    assert bad.status == 400 and bad.json["detail"]["parameter"] == "until"


async def test_conversation_ids_may_contain_slashes(app) -> None:
    await _say(app, "team/a/1", "hello")
    _, response = await app.asgi_client.get("/conversations/team/a/1/tracker", params=AUTH)
    assert response.json["sender_id"] == "team/a/1" and response.json["events"]


async def test_append_events(app) -> None:
    await _say(app, "t3", "hello")
    events = [{"event": "slot", "name": "name", "value": "Ada"}, {"event": "bot", "text": "hi Ada"}]
    _, response = await app.asgi_client.post("/conversations/t3/tracker/events", params=AUTH, json=events)
    assert response.status == 200
    assert response.json["slots"]["name"] == "Ada"
    assert response.json["events"][-1]["text"] == "hi Ada"
    _, single = await app.asgi_client.post("/conversations/t3/tracker/events", params=AUTH,
                                           json={"event": "slot", "name": "name", "value": "Grace"})
    assert single.json["slots"]["name"] == "Grace"
    _, stored = await app.asgi_client.get("/conversations/t3/tracker", params=AUTH)
    assert stored.json["slots"]["name"] == "Grace"


@pytest.mark.parametrize(("body", "parameter"), [
    ([], "body"), ([1], "body[0]"), ({"event": "no_such_event"}, "body"),
    ([{"event": "slot", "value": 1}], "body[0]"), ("text", "body"),
])
async def test_append_malformed_events_is_400(app, body, parameter: str) -> None:
    _, response = await app.asgi_client.post("/conversations/t4/tracker/events", params=AUTH, json=body)
    assert response.status == 400, response.text
    assert response.json["detail"]["parameter"] == parameter


# -- messages, trigger_intent, execute, predict ---------------------------------------------------
async def test_add_message_logs_without_acting(app) -> None:
    _, response = await app.asgi_client.post("/conversations/m1/messages", params=AUTH,
                                             json={"text": "hello", "sender": "user"})
    assert response.status == 200
    kinds = [e["event"] for e in response.json["events"]]
    assert kinds[-1] == "user" and "bot" not in kinds
    _, predicted = await app.asgi_client.post("/conversations/m1/predict", params=AUTH)
    assert predicted.status == 200
    assert predicted.json["scores"][0] == {"action": "utter_greet", "score": 1.0}
    assert predicted.json["policy"] and predicted.json["tracker"]["sender_id"] == "m1"
    _, executed = await app.asgi_client.post("/conversations/m1/execute", params=AUTH,
                                             json={"name": "utter_greet", "policy": "manual", "confidence": 0.9})
    assert executed.status == 200
    assert executed.json["messages"][0]["text"] == "Hey! How are you?"
    action = [e for e in executed.json["tracker"]["events"] if e.get("name") == "utter_greet"][0]
    assert action["policy"] == "manual" and action["confidence"] == 0.9


async def test_add_message_with_parse_data_skips_nlu(app) -> None:
    body = {"text": "whatever", "sender": "user", "parse_data": {"intent": {"name": "goodbye", "confidence": 1}}}
    _, response = await app.asgi_client.post("/conversations/m2/messages", params=AUTH, json=body)
    assert response.json["latest_message"]["intent"]["name"] == "goodbye"


@pytest.mark.parametrize(("body", "parameter"), [
    ({"sender": "user"}, "text"), ({"text": 5, "sender": "user"}, "text"),
    ({"text": "hi", "sender": "bot"}, "sender"), ({"text": "hi"}, "sender"),
    ({"text": "hi", "sender": "user", "parse_data": "greet"}, "parse_data"),
])
async def test_add_message_bad_bodies(app, body, parameter: str) -> None:
    _, response = await app.asgi_client.post("/conversations/m3/messages", params=AUTH, json=body)
    assert response.status == 400 and response.json["detail"]["parameter"] == parameter


async def test_trigger_intent(app) -> None:
    _, response = await app.asgi_client.post("/conversations/ti/trigger_intent", params=AUTH,
                                             json={"name": "greet"})
    assert response.status == 200
    assert response.json["messages"] == [{"recipient_id": "ti", "text": "Hey! How are you?",
                                          "buttons": [{"title": "great", "payload": "/mood_great"}]}]
    assert response.json["tracker"]["latest_message"]["intent"]["name"] == "greet"
    _, response = await app.asgi_client.post("/conversations/ti2/trigger_intent", params=AUTH,
                                             json={"name": "goodbye", "entities": {"name": "Ada"}})
    user = [e for e in response.json["tracker"]["events"] if e["event"] == "user"][-1]
    assert user["parse_data"]["entities"] == [{"entity": "name", "value": "Ada"}]
    assert {"event": "slot", "name": "name", "value": "Ada"}.items() <= next(
        e for e in response.json["tracker"]["events"] if e["event"] == "slot").items()
    _, unknown = await app.asgi_client.post("/conversations/ti/trigger_intent", params=AUTH, json={"name": "dance"})
    assert unknown.status == 404
    _, missing = await app.asgi_client.post("/conversations/ti/trigger_intent", params=AUTH, json={})
    assert missing.status == 400 and missing.json["detail"]["parameter"] == "name"
    _, wrong = await app.asgi_client.post("/conversations/ti/trigger_intent", params=AUTH,
                                          json={"name": "greet", "entities": ["x"]})
    assert wrong.status == 400 and wrong.json["detail"]["parameter"] == "entities"


async def test_execute_and_predict_errors(app) -> None:
    _, response = await app.asgi_client.post("/conversations/ghost/predict", params=AUTH)
    assert response.status == 404
    await _say(app, "ex", "hello")
    _, response = await app.asgi_client.post("/conversations/ex/execute", params=AUTH, json={"name": "utter_nope"})
    assert response.status == 404 and response.json["detail"]["parameter"] == "name"
    _, response = await app.asgi_client.post("/conversations/ex/execute", params=AUTH,
                                             json={"name": "utter_greet", "confidence": "high"})
    assert response.status == 400 and response.json["detail"]["parameter"] == "confidence"
    _, response = await app.asgi_client.post("/conversations/ex/execute", params=AUTH, content=b"nope")
    assert response.status == 400


# -- model, status, version, health ----------------------------------------------------------------
async def test_parse(app) -> None:
    _, response = await app.asgi_client.post("/model/parse", params=AUTH, json={"text": "bye", "message_id": "m"})
    assert response.status == 200
    assert response.json["intent"]["name"] == "goodbye" and response.json["text"] == "bye"
    assert response.json["message_id"] == "m"
    _, bad = await app.asgi_client.post("/model/parse", params=AUTH, json={"text": ["bye"]})
    assert bad.status == 400 and bad.json["detail"]["parameter"] == "text"
    _, missing = await app.asgi_client.post("/model/parse", params=AUTH, json={})
    assert missing.status == 400


async def test_status_version_domain(app, tiny_project) -> None:
    _, status = await app.asgi_client.get("/status", params=AUTH)
    assert status.json["model_file"].startswith(str(tiny_project / "models"))
    assert status.json["model_id"] and status.json["num_active_training_jobs"] == 0
    _, version = await app.asgi_client.get("/version")
    assert set(version.json) == {"version", "minimum_compatible_version"}
    _, domain = await app.asgi_client.get("/domain", params=AUTH)
    assert "greet" in domain.json["intents"]


async def test_health_reports_each_store(app) -> None:
    _, response = await app.asgi_client.get("/health")
    assert response.status == 200
    assert {name: check["status"] for name, check in response.json["checks"].items()} == {
        "model": "ok", "tracker_store": "ok", "lock_store": "ok"}


async def test_health_fails_when_a_store_fails(app) -> None:
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    app.ctx.bot.agent.processor.lock_store.lock = broken
    _, response = await app.asgi_client.get("/health")
    assert response.status == 503
    assert response.json["status"] == "failed"
    assert response.json["checks"]["lock_store"]["status"] == "failed"
    # the error text (hosts, SQL, passwords) goes to the log, not to anonymous callers
    assert response.json["checks"]["lock_store"]["detail"] == "unreachable"
    assert "redis is down" not in response.text


async def test_a_broken_tracker_store_fails_the_start(app) -> None:
    """The database is opened at startup, so a wrong URL stops the server instead of the first message."""
    async def broken() -> int:
        raise ConnectionError("database is down")

    app.ctx.bot.agent.processor.tracker_store.count_conversations = broken
    with pytest.raises(ConnectionError):
        await app.asgi_client.get("/health")


async def test_cors(make_app) -> None:
    app = make_app(cors=["https://shop.example"])
    _, response = await app.asgi_client.options(WEBHOOK, headers={"Origin": "https://shop.example"})
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    _, response = await app.asgi_client.post(WEBHOOK, json={"message": "hi"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
