"""Mounts the channels credentials.yml enables (besides REST, which is always served)."""

from __future__ import annotations

import logging
from typing import Any

from sanic import Sanic

from bot.channels.credentials import ChannelCredentials, SocketIOSettings, WebchatSettings
from bot.server.state import server_state

__all__ = ["install_channels"]

logger = logging.getLogger(__name__)


def install_channels(app: Sanic, credentials: ChannelCredentials | None) -> None:
    """Adds the web chat and socket.io blueprints and registers them as output channels."""
    if credentials is None:
        return
    state = server_state(app)
    if credentials.enabled("webchat"):
        from bot.channels.webchat import WebchatChannel
        from bot.server.webchat_channel import webchat_blueprint
        from bot.server.webchat_pages import pages_blueprint

        settings = credentials.webchat or WebchatSettings()
        if not settings.session_secret:
            logger.warning("webchat: no session_secret in %s; sessions will not survive a restart and "
                           "differ between workers", credentials.source or "credentials.yml")
        channel = WebchatChannel(settings)
        state.outputs.register(channel)
        app.blueprint(webchat_blueprint(channel))
        app.blueprint(pages_blueprint())
        _fan_out_across_processes(app, channel)
    if credentials.enabled("callback"):
        _install_callback(app, credentials)
    if credentials.enabled("socketio"):
        from bot.server.socketio_channel import install_socketio

        state.outputs.register(install_socketio(app, credentials.socketio or SocketIOSettings()))


def _install_callback(app: Sanic, credentials: ChannelCredentials) -> None:
    from bot.channels.callback import CallbackChannel
    from bot.channels.credentials import InvalidCredentials
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
