"""`bot run --credentials`: the file decides which channels are mounted; a bad file stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.credentials import InvalidCredentials
from bot.cli.run import RunSettings, build_app


def _paths(app) -> set[str]:
    return {route.path for route in app.router.routes}


def test_credentials_mount_the_web_chat_and_socketio(make_agent, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nsocketio:\nwebchat:\n  allowed_origins: [https://shop.test]\n")
    app = build_app(RunSettings(credentials=str(credentials)), make_agent())
    assert {"webchat/session", "webchat/ws", "webchat/widget.js", "chat", "socket.io"} <= _paths(app)
    assert sorted(app.ctx.bot.outputs.names()) == ["socketio", "webchat"]


def test_without_a_credentials_file_only_rest_is_served(make_agent, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no credentials.yml here
    app = build_app(RunSettings(), make_agent())
    assert "webchat/session" not in _paths(app) and app.ctx.bot.outputs.names() == []


def test_a_named_file_must_exist_and_be_valid(make_agent, tmp_path: Path) -> None:
    with pytest.raises(InvalidCredentials, match="not found"):
        build_app(RunSettings(credentials=str(tmp_path / "nope.yml")), make_agent())
    bad = tmp_path / "credentials.yml"
    bad.write_text("webchat:\n  alowed_origins: [x]\n")
    with pytest.raises(InvalidCredentials) as error:
        build_app(RunSettings(credentials=str(bad)), make_agent())
    assert error.value.location == f"{bad}:2"
