"""The packet's previous conversations: a returning customer's earlier handlings, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.handover.test_api import _agent, _login, _say


async def test_a_returning_customers_packet_lists_their_earlier_conversations(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _agent(app, "erika", languages=["de", "en"])
    erika = await _login(app, "erika")

    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    first = await app.ctx.handover.service.row("anna")
    assert first["packet"]["customer"] == {"id": "anna", "previous_conversations": []}
    await app.ctx.api.post("/handover/conversations/anna/accept", headers=erika)
    assert await _say(app, "anna", "Wo ist mein Paket?") == []  # to erika, not the bot
    _, response = await app.ctx.api.post("/handover/conversations/anna/resolve", headers=erika)
    assert response.status == 200, response.text

    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    _, response = await app.ctx.api.get("/handover/conversations/anna", headers=erika)
    [earlier] = response.json["packet"]["customer"]["previous_conversations"]
    assert earlier["conversation_id"] == "anna" and isinstance(earlier["id"], int)
    assert (earlier["reason"], earlier["resolution"], earlier["agent"]) == ("asked_for_human", "resolved", "erika")
    assert earlier["summary"] == {"last_intent": "track_parcel"} and earlier["channel"] == "rest"
    assert earlier["started_at"] == pytest.approx(first["queued_at"])
    assert earlier["started_at"] <= earlier["ended_at"]

    # handed back this time: the newest comes first
    await app.ctx.api.post("/handover/conversations/anna/accept", headers=erika)
    await app.ctx.api.post("/handover/conversations/anna/handback", json={"reason": "solved"}, headers=erika)
    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    row = await app.ctx.handover.service.row("anna")
    history = row["packet"]["customer"]["previous_conversations"]
    assert [(h["resolution"], h["agent"]) for h in history] == [("handed_back", "erika"), ("resolved", "erika")]
    assert history[0]["summary"]["last_intent"] == "human_handoff"

    await _say(app, "ben", "agent please")  # another customer has a history of their own
    assert (await app.ctx.handover.service.row("ben"))["packet"]["customer"]["previous_conversations"] == []
