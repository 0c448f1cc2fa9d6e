"""PUT /conversations/{id}/tracker/events: Rasa 3.6's replace of a conversation's events."""

from __future__ import annotations

from tests.server.conftest import TOKEN

AUTH = {"token": TOKEN}
LISTEN = {"event": "action", "name": "action_listen"}
SESSION = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"}]


def _user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 1.0},
                                                         "entities": []}}


async def _say(app, sender: str, text: str) -> None:
    _, response = await app.asgi_client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status == 200, response.text


async def _events(app, sender: str) -> list[dict]:
    _, response = await app.asgi_client.get(f"/conversations/{sender}/tracker", params={**AUTH,
                                                                                        "include_events": "ALL"})
    assert response.status == 200, response.text
    return response.json["events"]


async def test_replace_sets_the_conversation_to_the_given_events(app) -> None:
    await _say(app, "rita", "hello")
    await _say(app, "rita", "bye")
    replacement = [*SESSION, LISTEN, _user("I am great", "mood_great"),
                   {"event": "slot", "name": "name", "value": "Rita"}]
    _, response = await app.asgi_client.put("/conversations/rita/tracker/events", params=AUTH, json=replacement)
    assert response.status == 200, response.text
    assert response.json["slots"]["name"] == "Rita"
    assert [e["event"] for e in response.json["events"]] == ["session_started", "action", "user", "slot"]
    stored = await _events(app, "rita")
    assert [e.get("text") for e in stored if e["event"] == "user"] == ["I am great"]
    # the conversation goes on from the replaced state: nothing of the old turns comes back
    await _say(app, "rita", "hello")
    texts = [e.get("text") for e in await _events(app, "rita") if e["event"] in ("user", "bot")]
    assert texts[0] == "I am great" and "bye" not in texts and texts[-1] == "Hey! How are you?"


async def test_a_process_holding_the_old_tracker_reads_the_replacement(make_agent, make_app) -> None:
    """Two servers on one database: the one that served the old turns must not keep its cached tracker."""
    from bot.server import create_app

    serving, other = make_app(auth_token=TOKEN), create_app(make_agent(), auth_token=TOKEN)
    await _say(serving, "sam", "hello")  # `serving` now caches sam's tracker
    _, response = await other.asgi_client.put("/conversations/sam/tracker/events", params=AUTH,
                                              json=[*SESSION, LISTEN, _user("bye", "goodbye")])
    assert response.status == 200, response.text
    await _say(serving, "sam", "I am great")
    texts = [e.get("text") for e in await _events(serving, "sam") if e["event"] == "user"]
    assert texts == ["bye", "I am great"]


async def test_one_bad_event_is_a_400_and_changes_nothing(app) -> None:
    await _say(app, "tom", "hello")
    before = await _events(app, "tom")
    for body, words in [
        ([LISTEN, {"event": "user", "timestamp": "yesterday"}], "body[1].timestamp"),
        ([LISTEN, {"event": "no_such_event"}], "body[1]"),
        ([LISTEN, {"name": "action_listen"}], "body[1]"),
        ({"event": "action", "name": "action_listen"}, "JSON list of events"),
    ]:
        _, response = await app.asgi_client.put("/conversations/tom/tracker/events", params=AUTH, json=body)
        assert response.status == 400, response.text
        assert words in response.json["error"] + str(response.json.get("detail")), response.json
    assert await _events(app, "tom") == before


async def test_an_empty_list_empties_the_conversation_and_the_token_is_needed(app) -> None:
    await _say(app, "uma", "hello")
    _, refused = await app.asgi_client.put("/conversations/uma/tracker/events", json=[])
    assert refused.status == 401
    _, response = await app.asgi_client.put("/conversations/uma/tracker/events", params=AUTH, json=[])
    assert response.status == 200 and response.json["events"] == []
    assert await _events(app, "uma") == []
