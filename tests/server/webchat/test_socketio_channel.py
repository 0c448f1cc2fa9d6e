"""Rasa's socket.io channel, spoken by a real socket.io client (python-socketio's, as rasa-webchat speaks it)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from bot.server.socketio_channel import rasa_socketio_messages


class RasaWebchatLikeClient:
    """A socket.io client doing what rasa-webchat does: session_request, then user_uttered with session_id."""

    def __init__(self, base: str) -> None:
        import socketio

        self.client = socketio.Client(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client.on("session_confirm", lambda data: self._record("session_confirm", data))
        self.client.on("bot_uttered", lambda data: self._record("bot_uttered", data))
        self.base = base

    def _record(self, event: str, data: Any) -> None:
        with self._lock:
            self.received.append((event, data))

    def events(self, name: str) -> list[Any]:
        with self._lock:
            return [data for event, data in self.received if event == name]

    def wait_for(self, name: str, count: int, timeout: float = 30.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.events(name)) >= count:
                return self.events(name)
            time.sleep(0.05)
        raise AssertionError(f"only {self.events(name)} of {count} '{name}' events after {timeout}s")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_session_persistence_and_bot_messages_in_rasa_shapes(start_server, transport: str) -> None:
    server = await start_server()
    client = RasaWebchatLikeClient(server.base)

    def conversation() -> tuple[list[Any], list[Any]]:
        client.client.connect(server.base, socketio_path="/socket.io", transports=[transport])
        try:
            client.client.emit("session_request", {"session_id": "sess-42"})
            confirm = client.wait_for("session_confirm", 1)
            client.client.emit("user_uttered", {"message": "hello", "session_id": "sess-42",
                                                "customData": {"language": "en"}})
            client.wait_for("bot_uttered", 1)
            client.client.emit("user_uttered", {"message": "/mood_great", "session_id": "sess-42"})
            return confirm, client.wait_for("bot_uttered", 2)
        finally:
            client.client.disconnect()

    confirm, bot = await asyncio.to_thread(conversation)
    assert confirm == ["sess-42"]
    assert bot == [{"text": "Hey! How are you?",
                    "quick_replies": [{"content_type": "text", "title": "great", "payload": "/mood_great"}]},
                   {"text": "Great, carry on!"}]
    events = await server.processor.tracker_store.get_events("sess-42")
    user = [e for e in events if e["event"] == "user"]
    assert [e["input_channel"] for e in user] == ["socketio", "socketio"]
    assert user[0]["metadata"] == {"language": "en"}


async def test_a_new_session_id_is_made_and_bad_events_are_ignored(start_server) -> None:
    server = await start_server()
    client = RasaWebchatLikeClient(server.base)

    def conversation() -> list[Any]:
        client.client.connect(server.base, transports=["websocket"])
        try:
            client.client.emit("session_request", None)
            (session_id,) = client.wait_for("session_confirm", 1)
            client.client.emit("user_uttered", "not an object")
            client.client.emit("user_uttered", {"message": 42, "session_id": session_id})
            client.client.emit("user_uttered", {"message": "hello"})  # no session id with persistence
            client.client.emit("user_uttered", {"message": "hello", "session_id": session_id})
            return [session_id, client.wait_for("bot_uttered", 1)]
        finally:
            client.client.disconnect()

    session_id, bot = await asyncio.to_thread(conversation)
    assert len(session_id) == 32 and len(bot) == 1
    assert await server.processor.tracker_store.get_events("hello") == []


async def test_agent_messages_reach_the_session_room_through_the_output_seam(start_server) -> None:
    from bot.server.state import server_state

    server = await start_server()
    output = server_state(server.app).outputs.get("socketio")
    assert await output.send("sess-7", [{"recipient_id": "sess-7", "text": "hi"}]) is False
    client = RasaWebchatLikeClient(server.base)
    await asyncio.to_thread(client.client.connect, server.base, transports=["websocket"])
    try:
        await asyncio.to_thread(client.client.emit, "session_request", {"session_id": "sess-7"})
        await asyncio.to_thread(client.wait_for, "session_confirm", 1)
        message = {"recipient_id": "sess-7", "text": "Maria here.\n\nHow can I help?",
                   "metadata": {"agent": {"id": "a1", "name": "Maria"}}}
        assert await output.send("sess-7", [message]) is True
        received = await asyncio.to_thread(client.wait_for, "bot_uttered", 2)
        assert received == [{"text": "Maria here."}, {"text": "How can I help?"}]
    finally:
        await asyncio.to_thread(client.client.disconnect)


def test_rasa_shapes_of_images_attachments_elements_and_custom_payloads() -> None:
    emits = rasa_socketio_messages({
        "image": "https://cdn.test/a.png",
        "attachment": {"type": "file", "payload": {"url": "https://cdn.test/invoice.pdf"}},
        "elements": [{"title": "Parcel", "subtitle": "JJD00", "buttons": [{"title": "Track", "payload": "/track"}]}],
        "custom": {"data": {"kind": "map"}, "note": "x"},
    })
    assert emits[0] == ({"kind": "map"}, {"note": "x"})
    assert emits[1] == ({"attachment": {"type": "image", "payload": {"src": "https://cdn.test/a.png"}}}, {})
    assert emits[2][0]["attachment"]["payload"]["src"] == "https://cdn.test/invoice.pdf"
    assert emits[3][0]["attachment"]["payload"] == {"template_type": "generic", "elements": {
        "title": "Parcel", "subtitle": "JJD00", "buttons": [{"title": "Track", "payload": "/track"}]}}
    assert rasa_socketio_messages({"image": "javascript:alert(1)"}) == []


async def test_without_session_persistence_the_socket_is_the_conversation_and_junk_is_ignored(start_server) -> None:
    server = await start_server("rest:\nsocketio:\n  user_message_evt: user_message\n  bot_message_evt: bot_message\n")
    junk = [None, 1, "x", [], {"message": None}, {"message": ["a"]}, {"message": {"x": 1}},
            {"customData": "not an object", "message": "hello"}]

    def conversation() -> tuple[str, list[Any]]:
        import socketio

        client = socketio.Client(reconnection=False)
        received: list[Any] = []
        client.on("bot_message", received.append)
        client.connect(server.base, transports=["websocket"])
        try:
            for payload in junk:
                client.emit("user_message", payload)
            deadline = time.monotonic() + 30
            while not received and time.monotonic() < deadline:
                time.sleep(0.05)
            return client.get_sid(), received
        finally:
            client.disconnect()

    sid, received = await asyncio.to_thread(conversation)
    assert received[0]["text"] == "Hey! How are you?"  # the one valid message, answered
    events = await server.processor.tracker_store.get_events(sid)
    user = [e for e in events if e["event"] == "user"]
    assert [(e["text"], e["input_channel"], e.get("metadata")) for e in user] == [("hello", "socketio", {})]
