"""Rasa's socket.io channel (python-socketio), so rasa-webchat and Chatroom connect unchanged.

The protocol is Rasa's: a client may ask `session_request` (answered with `session_confirm`
and, with `session_persistence`, joins the room of that session id), sends `user_message_evt`
events `{"message", "session_id", "customData"}` and receives `bot_message_evt` events in
Rasa's shapes (`{"text"}`, `{"text", "quick_replies"}`, `{"attachment": ...}`, custom JSON).
Replies come from the shared rendering (bot/channels/rendering.py), mapped to Rasa's shapes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, json

from bot.channels.credentials import SocketIOSettings
from bot.channels.rendering import message_parts
from bot.core.messages import UserMessage
from bot.server.logging import message_log
from bot.server.state import server_state
from bot.shared.errors import BotError

__all__ = ["SocketIOOutput", "install_socketio", "rasa_socketio_messages"]

logger = logging.getLogger(__name__)

CHANNEL_NAME = "socketio"
MAX_MESSAGE_CHARS = 10_000


def rasa_socketio_messages(message: Mapping[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(data, emit options) per socket.io emit for one bot message, as Rasa's SocketIOOutput sends it."""
    emits: list[tuple[Any, dict[str, Any]]] = []
    for part in message_parts(message):
        kind = part["type"]
        if kind == "text":
            emits.extend(({"text": piece}, {}) for piece in part["text"].strip().split("\n\n"))
        elif kind in ("buttons", "quick_replies"):
            replies = [{"content_type": "text", "title": b["title"], "payload": b["payload"]} if "payload" in b
                       else {"content_type": "text", "title": b["title"], "type": "web_url", "url": b["url"]}
                       for b in part["buttons"]]
            emits.append(({"text": part["text"], "quick_replies": replies}, {}))
        elif kind == "image":
            emits.append(({"attachment": {"type": "image", "payload": {"src": part["url"]}}}, {}))
        elif kind == "file":
            emits.append(({"attachment": {"type": "file", "payload": {"src": part["url"], "name": part["name"]}}},
                          {}))
        elif kind == "carousel":
            # Rasa sends one template per element, the element itself under "elements".
            emits.extend(({"attachment": {"type": "template", "payload": {"template_type": "generic",
                                                                           "elements": element}}}, {})
                         for element in part["elements"])
        elif kind == "custom":
            custom = dict(part["custom"])
            if "data" in custom:  # Rasa passes such a payload as emit's keyword arguments
                emits.append((custom.pop("data"), custom))
            else:
                emits.append((custom, {}))
    return emits


class SocketIOOutput:
    """Emits bot messages to a socket.io room (the session id, or the socket id without persistence)."""

    name = CHANNEL_NAME

    def __init__(self, sio: Any, settings: SocketIOSettings) -> None:
        self.sio = sio
        self.settings = settings

    async def emit(self, room: str, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            for data, options in rasa_socketio_messages(message):
                options.setdefault("room", room)
                options.pop("namespace", None)
                await self.sio.emit(self.settings.bot_message_evt, data, namespace=self.settings.namespace,
                                    **{k: v for k, v in options.items() if k in ("room", "to", "skip_sid")})

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        """`OutputChannel.send`: emits to the conversation's room; True when a client of this process is in it.

        Across processes (a Redis client manager) the emit goes to every process's clients of the
        room, so it is sent even when none of them is connected here.
        """
        namespace = self.settings.namespace or "/"
        here = any(True for _ in self.sio.manager.get_participants(namespace, recipient_id))
        if here or self.across_processes:
            await self.emit(recipient_id, messages)
        return here

    @property
    def across_processes(self) -> bool:
        from socketio.async_pubsub_manager import AsyncPubSubManager

        return isinstance(self.sio.manager, AsyncPubSubManager)


def install_socketio(app: Sanic, settings: SocketIOSettings) -> SocketIOOutput:
    """Attaches a python-socketio server to `app` at `socketio_path`; returns its output channel."""
    import socketio

    if settings.jwt_key:
        raise BotError("'socketio.jwt_key' (JWT-authenticated socket.io) is not supported yet",
                       hint="remove jwt_key from credentials.yml, or use the web chat's signed customer ids")
    origins = settings.cors_allowed_origins
    sio = socketio.AsyncServer(async_mode="sanic", cors_allowed_origins=origins,
                               max_http_buffer_size=64 * 1024)
    sio.attach(app, socketio_path=settings.socketio_path)
    output = SocketIOOutput(sio, settings)
    namespace = settings.namespace

    @sio.on("session_request", namespace=namespace)
    async def session_request(sid: str, data: Any = None) -> None:
        data = data if isinstance(data, dict) else {}
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or not session_id or len(session_id) > 255:
            session_id = uuid.uuid4().hex
        if settings.session_persistence:
            await sio.enter_room(sid, session_id, namespace=namespace)
        await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

    @sio.on(settings.user_message_evt, namespace=namespace)
    async def handle_message(sid: str, data: Any = None) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            logger.warning("socketio: ignored a '%s' event without a 'message' text", settings.user_message_evt)
            return
        if settings.session_persistence:
            sender_id = data.get("session_id")
            if not isinstance(sender_id, str) or not sender_id or len(sender_id) > 255:
                logger.warning("socketio: a message without a session_id was ignored; clients must send "
                               "'session_request' first when session_persistence is on")
                return
        else:
            sender_id = sid
        text = data["message"][:MAX_MESSAGE_CHARS]
        metadata = data.get(settings.metadata_key)
        message = UserMessage(text, sender_id, CHANNEL_NAME,
                              metadata=dict(metadata) if isinstance(metadata, dict) else None)
        state = server_state(app)
        processor = state.require_agent().processor
        with message_log(sender_id, CHANNEL_NAME, enabled=state.settings.log_messages):
            replies = await processor.handle_message(message)
        await output.emit(sender_id, replies)

    health = Blueprint("socketio_webhook", url_prefix="/webhooks/socketio", strict_slashes=False)

    @health.get("/")
    async def status(request: Request) -> HTTPResponse:
        """Rasa's channel health check."""
        return json({"status": "ok"})

    app.blueprint(health)

    async def share_rooms(app: Sanic, _loop: Any = None) -> None:
        """With Redis locks (several processes), rooms and emits span processes through that Redis."""
        lock_store = server_state(app).require_agent().processor.lock_store
        redis = getattr(lock_store, "redis", None)
        if redis is None or sio.manager_initialized:
            return
        manager = socketio.AsyncRedisManager(redis_url_of(redis), channel=f"{getattr(lock_store, 'key_prefix', '')}socketio")
        manager.set_server(sio)
        sio.manager = manager

    app.register_listener(share_rooms, "after_server_start")  # the agent (and its lock store) is loaded then
    return output


def redis_url_of(client: Any) -> str:
    """A redis:// URL for the server a redis-py client talks to (its own connection options left out)."""
    from urllib.parse import quote

    options = client.connection_pool.connection_kwargs
    if options.get("path"):
        return f"unix://{options['path']}?db={options.get('db', 0)}"
    scheme = "rediss" if "SSL" in client.connection_pool.connection_class.__name__ else "redis"
    auth = ""
    if options.get("password"):
        auth = f"{quote(options.get('username') or '', safe='')}:{quote(options['password'], safe='')}@"
    return f"{scheme}://{auth}{options.get('host', 'localhost')}:{options.get('port', 6379)}/{options.get('db', 0)}"
