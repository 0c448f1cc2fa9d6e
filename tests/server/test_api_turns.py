"""The API's turns read their tracker under the conversation's lock (issue 18, item 5): a message
arriving meanwhile is never mixed into the answer, and "no such conversation" is decided there too."""

from __future__ import annotations

import asyncio

import pytest

from bot.shared.errors import UnknownConversation

TOKEN = "s3cret-token"


async def test_execute_answers_with_the_tracker_of_its_own_turn(make_agent) -> None:
    agent = make_agent()
    processor = agent.processor
    await agent.handle_text("hello", sender_id="anna")
    execute = asyncio.create_task(processor.execute_action("anna", "utter_greet", "rest", "api", 1.0,
                                                           existing_only=True))
    await asyncio.sleep(0)  # the action holds the conversation's lock; the message queues behind it
    message = asyncio.create_task(agent.handle_text("hello again", sender_id="anna"))
    turn, _ = await asyncio.gather(execute, message)
    texts = [e.text for e in turn.tracker.events if getattr(e, "text", None) is not None and e.type_name == "user"]
    assert texts == ["hello"]  # the later message is not in this turn's answer
    stored = await processor.conversation_events("anna")  # the latest session, as the tracker shows it
    assert [e.as_dict() for e in turn.tracker.events] == stored[:len(turn.tracker.events)]
    assert [e["text"] for e in stored if e["event"] == "user"] == ["hello", "hello again"]
    await agent.close()


async def test_unknown_conversations_are_refused_without_storing_anything(make_agent, make_app) -> None:
    agent = make_agent()
    with pytest.raises(UnknownConversation):
        await agent.processor.execute_action("nobody", "utter_greet", existing_only=True)
    with pytest.raises(UnknownConversation):
        await agent.processor.predict_next("nobody")
    assert await agent.processor.tracker_store.conversation_ids() == []
    app = make_app(auth_token=TOKEN)
    _, response = await app.asgi_client.post("/conversations/nobody/execute", params={"token": TOKEN},
                                             json={"name": "utter_greet"})
    assert response.status == 404 and "no conversation 'nobody'" in response.json["message"]
