"""Mounts the channels credentials.yml enables (REST is always served); the registry names them."""

from __future__ import annotations

import logging
from typing import Any

from sanic import Sanic

from bot.channels.credentials import ChannelCredentials, InvalidCredentials, SocketIOSettings, WebchatSettings
from bot.channels.registry import channel_entry
from bot.server.state import server_state

__all__ = ["install_callback", "install_channels", "install_rest", "install_socketio", "install_webchat"]

logger = logging.getLogger(__name__)


def install_channels(app: Sanic, credentials: ChannelCredentials | None) -> None:
    """Mounts each channel of credentials.yml by its entry in bot/channels/registry.py."""
    if credentials is None:
        return
    for name in credentials.sections:
        custom = credentials.custom.get(name)
        if custom is not None:
            from bot.server.rasa_channels import install_rasa_channel

            install_rasa_channel(app, custom, credentials.sections[name])
        else:
            channel_entry(name, error=InvalidCredentials)(app, credentials, name)


def install_rest(app: Sanic, credentials: ChannelCredentials, name: str) -> None:
    """Rasa's REST channel is always served (create_app mounts it)."""


def install_webchat(app: Sanic, credentials: ChannelCredentials, name: str) -> None:
    """This project's web chat: its channel, pages and, with Redis locks, fan-out across processes."""
    from bot.channels.webchat import WebchatChannel
    from bot.server.webchat_channel import webchat_blueprint
    from bot.server.webchat_pages import pages_blueprint

    settings = credentials.webchat or WebchatSettings()
    if not settings.session_secret:
        logger.warning("webchat: no session_secret in %s; sessions will not survive a restart and "
                       "differ between workers", credentials.source or "credentials.yml")
    channel = WebchatChannel(settings)
    server_state(app).outputs.register(channel)
    app.blueprint(webchat_blueprint(channel))
    app.blueprint(pages_blueprint())
    _fan_out_across_processes(app, channel)


def install_socketio(app: Sanic, credentials: ChannelCredentials, name: str) -> None:
    """Rasa's socket.io channel (rasa-webchat, Chatroom)."""
    from bot.server.socketio_channel import install_socketio as mount

    server_state(app).outputs.register(mount(app, credentials.socketio or SocketIOSettings()))


def install_callback(app: Sanic, credentials: ChannelCredentials, name: str) -> None:
    """Rasa's callback channel: replies are POSTed to `url`."""
    from bot.channels.callback import CallbackChannel
    from bot.server.callback_channel import callback_blueprint

    url = (credentials.sections.get("callback") or {}).get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidCredentials(f"'callback.url' must be the http(s) URL the bot's messages are POSTed to, "
                                 f"not {url!r}", location=credentials.source,
                                 hint='write  callback:\n  url: "http://localhost:5034/bot"')
    channel = CallbackChannel(url)
    server_state(app).outputs.register(channel)
    app.blueprint(callback_blueprint(channel))


def _fan_out_across_processes(app: Sanic, channel: Any) -> None:
    """With Redis locks (several processes), news of a conversation reaches every process's connections."""

    async def start(app: Sanic, _loop: Any = None) -> None:
        from bot.channels.fanout import RedisFanout

        lock_store = server_state(app).require_agent().processor.lock_store
        redis = getattr(lock_store, "redis", None)
        if redis is None:  # in-process locks: one process, nothing to fan out
            return
        channel.fanout = RedisFanout(redis, f"{getattr(lock_store, 'key_prefix', '')}webchat-news", channel.news)
        await channel.fanout.start()

    async def stop(app: Sanic, _loop: Any = None) -> None:
        if channel.fanout is not None:
            await channel.fanout.close()

    # After the agent is loaded (a before_server_start listener of create_app).
    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
