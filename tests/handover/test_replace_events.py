"""`PUT /conversations/{id}/tracker/events` keeps the handover row and the tracker telling the same story.

Refused (409, nothing stored) while a person has the conversation or when the new events would leave
it with one; otherwise the row takes the state the new events describe. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from handover.ownership import ownership_from_events
from tests.handover.conftest import API_TOKEN
from tests.handover.test_api import _agent, _login, _say

TOKEN = {"token": API_TOKEN}


async def _events(app: Any, sender: str) -> list[dict[str, Any]]:
    _, response = await app.ctx.api.get(f"/conversations/{sender}/tracker", params=TOKEN)
    assert response.status == 200, response.text
    return response.json["events"]


async def _replace(app: Any, sender: str, events: list[dict[str, Any]]) -> Any:
    _, response = await app.ctx.api.put(f"/conversations/{sender}/tracker/events", params=TOKEN, json=events)
    return response


async def test_a_conversation_with_a_person_is_not_rewritten_under_them(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _agent(app, "erika", languages=["de", "en"])
    erika = await _login(app, "erika")
    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    before = await _events(app, "anna")

    response = await _replace(app, "anna", [])  # queued: waiting for a person
    assert response.status == 409, response.text
    assert "queued" in response.json["error"] and "handback" in response.json["detail"]["hint"]
    assert response.json["detail"]["owner"][0] == "queue"
    await app.ctx.api.post("/handover/conversations/anna/accept", headers=erika)
    response = await _replace(app, "anna", before[:2])
    assert response.status == 409 and "'erika'" in response.json["error"]
    assert (await app.ctx.handover.service.row("anna"))["state"] == "assigned"
    assert len(await _events(app, "anna")) > len(before)  # nothing was replaced

    # Back with the bot: a rewind to before the handover is stored, and the row agrees with it.
    _, response = await app.ctx.api.post("/handover/conversations/anna/handback", json={"reason": "ok"},
                                         headers=erika)
    assert response.status == 200, response.text
    row = await app.ctx.handover.service.row("anna")
    first_handover = next(i for i, e in enumerate(before) if e["event"] == "handover")
    response = await _replace(app, "anna", before[:first_handover])
    assert response.status == 200, response.text
    replaced = await _events(app, "anna")
    assert not any(e["event"].startswith("hand") for e in replaced)
    after = await app.ctx.handover.service.row("anna")
    assert after["state"] == "bot" and after["version"] == row["version"] + 1 and after["last_agent"] == "erika"
    assert after["state"] == ownership_from_events(replaced).state.value
    # The customer is the bot's: it answers their next message.
    assert await _say(app, "anna", "Hallo") != []


async def test_new_events_that_hand_the_conversation_to_a_person_are_refused(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _say(app, "ben", "Hallo")
    history = await _events(app, "ben")
    handover = {"event": "handover", "timestamp": history[-1]["timestamp"] + 1, "reason": "restored"}
    response = await _replace(app, "ben", [*history, handover])
    assert response.status == 409, response.text
    assert "does not hand a conversation over" in response.json["error"]
    assert "POST /conversations/{id}/tracker/events" in response.json["detail"]["hint"]
    assert await _events(app, "ben") == history and await app.ctx.handover.service.row("ben") is None

    # Handed over and resolved within the new events: stored, and the bot keeps the conversation.
    closed = [*history, handover,
              {"event": "handover_accepted", "timestamp": handover["timestamp"] + 1, "agent": "erika"},
              {"event": "handover_resolved", "timestamp": handover["timestamp"] + 2, "by": "erika"}]
    response = await _replace(app, "ben", closed)
    assert response.status == 200, response.text
    assert (await app.ctx.handover.service.ownership("ben")).is_human is False
    assert await _say(app, "ben", "Hallo") != []
