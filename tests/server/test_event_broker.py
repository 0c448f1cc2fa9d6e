"""`bot run` with an event broker: every event of a handled message reaches RabbitMQ, in order."""

from __future__ import annotations

from bot.shared.endpoints import load_endpoints_text


async def test_a_handled_message_publishes_its_events(make_agent, rabbit) -> None:
    endpoints = load_endpoints_text("event_broker:\n" + "".join(
        f"  {key}: {value}\n" for key, value in rabbit.endpoint().items() if key != "queues")
        + f"  queues: [{rabbit.queue}]\n")
    agent = make_agent(endpoints=endpoints)
    await agent.start_background()
    try:
        replies = await agent.handle_text("hello", sender_id="anna")
        received = await rabbit.collect(1)
        stored = await agent.processor.tracker_store.get_events("anna", since_last_session_start=False)
        while len(received) < len(stored):
            received += await rabbit.collect(len(stored) - len(received), timeout=30)
    finally:
        await agent.close()
    assert replies
    assert [m["event"] for m in received] == [e["event"] for e in stored]
    assert [m["timestamp"] for m in received] == [e["timestamp"] for e in stored]
    assert {m["sender_id"] for m in received} == {"anna"}
    assert [m["_message_id"] for m in received] == [f"anna:{n}" for n in range(1, len(stored) + 1)]
