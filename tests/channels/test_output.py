"""The output seam: the registry of push channels and the live connections behind them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.live import LiveConnections
from bot.channels.output import OutputChannel, OutputChannels


def test_registry_keys_channels_by_name() -> None:
    outputs = OutputChannels()
    webchat, socketio = LiveConnections("webchat"), LiveConnections("socketio")
    outputs.register(webchat)
    outputs.register(socketio)
    outputs.register(webchat)  # registering the same object again is harmless
    assert outputs.get("webchat") is webchat and outputs.get("socketio") is socketio
    assert outputs.get("rest") is None and outputs.get(None) is None
    assert outputs.names() == ["socketio", "webchat"] and len(outputs) == 2 and "webchat" in outputs


def test_registry_refuses_a_second_channel_of_one_name_and_non_channels() -> None:
    outputs = OutputChannels()
    outputs.register(LiveConnections("webchat"))
    with pytest.raises(ValueError, match="webchat"):
        outputs.register(LiveConnections("webchat"))
    with pytest.raises(TypeError, match="OutputChannel"):
        outputs.register(object())  # type: ignore[arg-type]


async def test_live_connections_deliver_to_every_open_connection_of_the_conversation() -> None:
    live = LiveConnections("webchat")
    assert isinstance(live, OutputChannel)
    tab1: list[Any] = []
    tab2: list[Any] = []
    other: list[Any] = []

    async def collect(into: list[Any], messages: list[dict[str, Any]]) -> None:
        into.extend(messages)

    h1 = live.connect("anna", lambda m: collect(tab1, m))
    live.connect("anna", lambda m: collect(tab2, m))
    live.connect("ben", lambda m: collect(other, m))
    message = {"recipient_id": "anna", "text": "Hallo, hier ist Maria.", "metadata": {"agent": {"id": "a1",
                                                                                           "name": "Maria"}}}
    assert await live.send("anna", [message]) is True
    assert tab1 == [message] and tab2 == [message] and other == []
    live.disconnect("anna", h1)
    live.disconnect("anna", h1)
    assert live.connected("anna") == 1
    assert await live.send("nobody", [message]) is False


async def test_a_broken_connection_is_dropped_and_does_not_count_as_delivered() -> None:
    live = LiveConnections("socketio")

    async def broken(messages: list[dict[str, Any]]) -> None:
        raise ConnectionResetError("peer went away")

    live.connect("anna", broken)
    assert await live.send("anna", [{"recipient_id": "anna", "text": "hi"}]) is False
    assert live.connected("anna") == 0


def test_server_state_starts_with_no_outputs() -> None:
    from bot.server import create_app
    from bot.server.state import server_state

    async def no_agent() -> None:
        return None

    app = create_app(agent_loader=no_agent, name="outputs_test")
    assert isinstance(server_state(app).outputs, OutputChannels)
    assert server_state(app).outputs.names() == []
