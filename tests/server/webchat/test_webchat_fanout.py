"""Two `bot run` processes sharing stores and Redis: news of a conversation reaches the customer live
whichever process stored it (the customer's other device, an agent's reply sent from another process)."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest
import websockets

from .conftest import until_frame

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def shared_agents(tiny_project, tmp_path):
    """Two agents as two processes would have them: one SQLite file, one Redis (own key prefix)."""
    import redis

    from bot.core.agent import Agent
    from bot.stores import create_tracker_store
    from bot.stores.redis_lock_store import RedisLockStore

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}); start it (scripts/services.sh)")
    prefix = f"test-{uuid.uuid4().hex[:8]}"

    def build():
        store = create_tracker_store({"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "shared.db")})
        return Agent.load(tiny_project / "models", tracker_store=store,
                          lock_store=RedisLockStore.from_url(REDIS_URL, key_prefix=prefix), project_dir=tmp_path)

    return build(), build()


async def test_news_stored_by_one_process_reaches_a_customer_connected_to_the_other(start_server,
                                                                                    shared_agents) -> None:
    from bot.server.state import server_state
    from bot.shared.core.events import BotUttered

    first, second = shared_agents
    server_a = await start_server(agent=first)
    server_b = await start_server(agent=second)
    async with httpx.AsyncClient(base_url=server_a.base) as client:
        session = (await client.post("/webchat/session", json={})).json()
    conversation = session["conversation_id"]
    async with websockets.connect(f"{server_a.ws_base}/webchat/ws?token={session['token']}") as ws:
        await until_frame(ws, lambda f: f["type"] == "ready")
        # The customer's other tab talks to process B (long polling, a load balancer's choice).
        async with httpx.AsyncClient(base_url=server_b.base, timeout=60) as client:
            sent = await client.post("/webchat/frames", json={"token": session["token"], "frame": {
                "type": "message", "id": "other-tab-1", "text": "hello"}})
        assert sent.status_code == 200
        frame = await until_frame(ws, lambda f: f["type"] == "messages")
        assert [m["from"] for m in frame["messages"]] == ["customer", "bot"]
        # An agent's reply stored and pushed by process B: B has no connection, A shows it live.
        message = {"recipient_id": conversation, "text": "Maria here.", "metadata": {"agent": {"id": "a1",
                                                                                             "name": "Maria"}}}
        await server_b.processor.append_events(conversation, [BotUttered(message["text"],
                                                                          metadata=message["metadata"])])
        assert await server_state(server_b.app).outputs.get("webchat").send(conversation, [message]) is False
        frame = await until_frame(ws, lambda f: f["type"] == "messages")
        assert frame["messages"][0]["agent"] == {"id": "a1", "name": "Maria"}
        # The agent types in a console served by B: "Maria is typing…" reaches the widget on A.
        webchat_b = server_state(server_b.app).outputs.get("webchat")
        assert await webchat_b.typing(conversation, True, {"id": "a1", "name": "Maria"}) is False  # not here
        frame = await until_frame(ws, lambda f: f["type"] == "typing")
        assert frame == {"type": "typing", "on": True, "agent": {"id": "a1", "name": "Maria"}}


async def test_a_socketio_room_spans_processes(start_server, shared_agents) -> None:
    from bot.server.state import server_state

    from .test_socketio_channel import RasaWebchatLikeClient

    first, second = shared_agents
    server_a = await start_server(agent=first)
    server_b = await start_server(agent=second)
    client = RasaWebchatLikeClient(server_a.base)
    await asyncio.to_thread(client.client.connect, server_a.base, transports=["websocket"])
    try:
        await asyncio.to_thread(client.client.emit, "session_request", {"session_id": "room-9"})
        await asyncio.to_thread(client.wait_for, "session_confirm", 1)
        output_b = server_state(server_b.app).outputs.get("socketio")
        assert output_b.across_processes
        message = {"recipient_id": "room-9", "text": "Maria here."}
        assert await output_b.send("room-9", [message]) is False  # nobody in the room on process B ...
        assert await asyncio.to_thread(client.wait_for, "bot_uttered", 1) == [{"text": "Maria here."}]  # ... A
    finally:
        await asyncio.to_thread(client.client.disconnect)
