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


async def test_the_publisher_stays_with_the_served_model_after_put_model(make_agent, tiny_project, rabbit) -> None:
    from bot.server import create_app
    from bot.server.model_swap import replace_model
    from bot.server.state import server_state

    endpoints = load_endpoints_text(f"event_broker:\n  type: pika\n  url: 127.0.0.1\n  queues: [{rabbit.queue}]\n"
                                    f"  exchange_name: {rabbit.exchange}\n")
    old = make_agent(endpoints=endpoints)
    app = create_app(old)
    await old.start_background()
    new = await replace_model(app, tiny_project / "models")
    assert server_state(app).agent is new and new.publisher is old.publisher
    try:
        await new.handle_text("hello", sender_id="after-swap")
        received = await rabbit.collect(1)
    finally:
        await new.close()  # stops the publisher the old agent started
    assert {m["sender_id"] for m in received} == {"after-swap"}
    assert old.publisher._task is None
