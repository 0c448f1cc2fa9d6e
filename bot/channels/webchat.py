"""The web chat channel: what the widget and the server say to each other, without the transport.

The tracker store is the source of truth for what the customer sees. Every message shown in
the widget is a stored event, numbered by the store (`seq`); the widget remembers the highest
number it has and asks for what is newer after a reconnect, so nothing is lost or shown twice,
whichever process or device serves it. Live delivery only says "there is something new":
each open connection then reads the store from its own position (`WebchatConnection.sync`).

Frames (JSON objects) the widget sends, over the WebSocket or `POST /webchat/frames`:

    {"type": "message", "id": "<client id>", "text": "...", "title": "<button title>", "page": "..."}
    {"type": "receipt", "status": "delivered" | "read", "watermark": <seq>}
    {"type": "invitation", "rule": "<name>", "action": "shown" | "accepted" | "dismissed", "page": "..."}
    {"type": "ping"}

and what it receives: `{"type": "messages", "messages": [...], "last_seq": n}`, `{"type": "ack",
"id": ...}`, `{"type": "typing", "on": bool, "agent"?: {"id", "name"}}` (the bot, or an agent in the
console), `{"type": "error", "error": ..., "detail": ...}`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.credentials import WebchatSettings
from bot.channels.live import LiveConnections
from bot.channels.rendering import message_parts
from bot.channels.signing import SessionTokens
from bot.core.messages import bot_message_for_channel
from bot.shared.errors import BotError

__all__ = ["CHANNEL_NAME", "FrameError", "RateLimiter", "WebchatChannel", "WebchatConnection", "wire_messages"]

CHANNEL_NAME = "webchat"
MAX_FRAME_BYTES = 64 * 1024  # a message of max_message_chars in JSON fits many times over
HISTORY_LIMIT = 200  # messages a new session shows of a long history
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_SEEN_IDS = 10_000  # client message ids remembered to drop a resent message


class FrameError(BotError):
    """A frame from the widget is malformed; `field` names the offending key."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def wire_messages(events: list[dict[str, Any]], first_seq: int) -> list[dict[str, Any]]:
    """What the widget shows of stored events, `events[i]` being number `first_seq + i`."""
    shown: list[dict[str, Any]] = []
    for offset, event in enumerate(events):
        seq, kind = first_seq + offset, event.get("event")
        when = event.get("timestamp")
        metadata = event.get("metadata") if isinstance(event.get("metadata"), Mapping) else {}
        if kind == "user":
            text = event.get("text") or ""
            shown.append({"seq": seq, "id": event.get("message_id") or f"u{seq}", "from": "customer",
                          "text": metadata.get("display_text") or text, "time": when})
        elif kind in ("bot", "agent"):
            if metadata.get("delivered") is False:  # kept for the record only (see bot/channels/output.py)
                continue
            message = bot_message_for_channel(event, "")
            agent = metadata.get("agent") if isinstance(metadata.get("agent"), Mapping) else None
            item: dict[str, Any] = {"seq": seq, "id": f"m{seq}", "from": "agent" if agent or kind == "agent"
                                    else "bot", "parts": message_parts(message), "time": when}
            if agent:
                item["agent"] = {"id": agent.get("id"), "name": agent.get("name")}
            if item["parts"]:
                shown.append(item)
        elif kind in ("handover", "handback"):
            shown.append({"seq": seq, "id": f"n{seq}", "from": "system", "notice": kind, "time": when})
    return shown


class RateLimiter:
    """A token bucket per key: `per_minute` frames, bursts of up to a quarter of that."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(3.0, per_minute / 4)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > 100_000:  # forget the oldest idle clients
            self._buckets.popitem(last=False)
        return allowed


@dataclass(eq=False)  # one object per connection: kept in sets, compared by identity
class WebchatConnection:
    """One open widget connection (a WebSocket or a waiting long poll) and how far it has seen."""

    conversation_id: str
    push: Callable[[dict[str, Any]], Awaitable[None]]
    read_since: Callable[[str, int], Awaitable[tuple[list[dict[str, Any]], int]]]
    last_seq: int = 0
    handle: int | None = field(default=None, repr=False)
    # Two syncs at once would read the same events and show them twice.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def sync(self, pushed: list[dict[str, Any]] | None = None) -> int:
        """Sends what the store has beyond `last_seq`; returns how many messages were sent.

        `pushed` are messages an outside sender handed over (the human side). They are stored
        before they are sent, so the store shows them; only a message that was never stored (a
        passing notice) is sent as it is, without a number.
        """
        async with self._lock:
            return await self._sync(pushed)

    async def _sync(self, pushed: list[dict[str, Any]] | None) -> int:
        events, last = await self.read_since(self.conversation_id, self.last_seq)
        shown = wire_messages(events, self.last_seq + 1) if events else []
        self.last_seq = max(self.last_seq, last)
        if shown:
            await self.push({"type": "messages", "messages": shown, "last_seq": self.last_seq})
        elif pushed:
            extra = [{"id": f"x{time.time_ns()}", "from": "agent" if (m.get("metadata") or {}).get("agent")
                      else "bot", "parts": message_parts(m)} for m in pushed]
            await self.push({"type": "messages", "messages": extra, "last_seq": self.last_seq})
            return len(extra)
        return len(shown)


class WebchatChannel:
    """Settings, session tokens, open connections and per-client limits of the web chat."""

    name = CHANNEL_NAME

    def __init__(self, settings: WebchatSettings) -> None:
        self.settings = settings
        self.tokens = SessionTokens(settings.session_secret, ttl=settings.session_ttl_days * 24 * 3600)
        self.live = LiveConnections(CHANNEL_NAME)
        self.rate = RateLimiter(settings.rate_limit_per_minute)
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._open: dict[str, set[WebchatConnection]] = {}
        self._watermarks: OrderedDict[tuple[str, str], int] = OrderedDict()
        # Set by the human side: may this invitation rule be offered now (its team open, its queue
        # below the rule's limit)? handover/invitation_gate.py
        self.invitation_gate: Callable[[Any], Awaitable[bool]] | None = None
        # Tells other `bot run` processes about news (bot/channels/fanout.py); None: one process.
        self.fanout: Any = None

    async def send(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        """`OutputChannel.send`: every open connection of the conversation catches up now.

        True when a connection of this process took the messages; connections in other processes
        hear of it through the fan-out and catch up from the store.
        """
        delivered = await self.live.send(recipient_id, messages)
        if self.fanout is not None:
            await self.fanout.publish(recipient_id)
        return delivered

    async def news(self, conversation_id: str, frame: dict[str, Any] | None = None) -> None:
        """Another process stored something for `conversation_id` (this process's connections catch
        up), or passed on a frame that is not stored (shown as it is)."""
        if frame is not None:
            await self.broadcast(conversation_id, frame)
        else:
            await self.live.send(conversation_id, [])

    async def typing(self, recipient_id: str, on: bool, agent: Mapping[str, Any] | None = None) -> bool:
        """An agent's "typing…" for the customer's open widgets, here and in the other processes.

        True when a widget connected to this process showed it (as `send`); other processes'
        widgets are told through the fan-out either way.
        """
        frame: dict[str, Any] = {"type": "typing", "on": on}
        if agent:
            frame["agent"] = {"id": agent.get("id"), "name": agent.get("name")}
        shown = bool(self._open.get(recipient_id))
        await self.broadcast(recipient_id, frame)
        if self.fanout is not None:
            await self.fanout.publish(recipient_id, frame)
        return shown

    def connect(self, connection: WebchatConnection) -> None:
        connection.handle = self.live.connect(connection.conversation_id, connection.sync)
        self._open.setdefault(connection.conversation_id, set()).add(connection)

    def disconnect(self, connection: WebchatConnection) -> None:
        if connection.handle is not None:
            self.live.disconnect(connection.conversation_id, connection.handle)
        connections = self._open.get(connection.conversation_id)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self._open[connection.conversation_id]

    async def broadcast(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """Sends a passing frame (typing) to every open connection of the conversation."""
        for connection in list(self._open.get(conversation_id, ())):
            try:
                await connection.push(frame)
            except Exception:  # a closing connection; its own loop cleans it up
                pass

    def advance_watermark(self, conversation_id: str, status: str, watermark: int) -> bool:
        """True when `watermark` is beyond the last one stored for this status (a receipt worth storing)."""
        key = (conversation_id, status)
        if self._watermarks.get(key, 0) >= watermark:
            return False
        self._watermarks[key] = watermark
        self._watermarks.move_to_end(key)
        if len(self._watermarks) > _SEEN_IDS:
            self._watermarks.popitem(last=False)
        return True

    def first_time(self, conversation_id: str, client_id: str) -> bool:
        """False for a message id this process has already handled (a resend after a reconnect)."""
        key = (conversation_id, client_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        return True

    def parse_frame(self, frame: Any) -> dict[str, Any]:
        """A validated frame; FrameError names the first thing wrong."""
        if not isinstance(frame, Mapping):
            raise FrameError("A frame must be a JSON object.")
        kind = frame.get("type")
        if kind == "message":
            text, client_id = frame.get("text"), frame.get("id")
            if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
                raise FrameError("'id' must be 1 to 64 letters, digits, '-' or '_'.", "id")
            if not isinstance(text, str) or not text.strip():
                raise FrameError("'text' must be a non-empty string.", "text")
            if len(text) > self.settings.max_message_chars:
                raise FrameError(f"'text' is longer than {self.settings.max_message_chars} characters.", "text")
            return {"type": kind, "id": client_id, "text": text,
                    "title": _optional_text(frame, "title", 200), "page": _optional_text(frame, "page", 2000)}
        if kind == "receipt":
            status, watermark = frame.get("status"), frame.get("watermark")
            if status not in ("delivered", "read"):
                raise FrameError("'status' must be 'delivered' or 'read'.", "status")
            if isinstance(watermark, bool) or not isinstance(watermark, int) or watermark < 1:
                raise FrameError("'watermark' must be a positive message number.", "watermark")
            return {"type": kind, "status": status, "watermark": watermark}
        if kind == "invitation":
            rule, action = frame.get("rule"), frame.get("action")
            if not isinstance(rule, str) or rule not in {r.name for r in self.settings.invitations}:
                raise FrameError("'rule' must name an invitation rule of this server.", "rule")
            if action not in ("shown", "accepted", "dismissed"):
                raise FrameError("'action' must be 'shown', 'accepted' or 'dismissed'.", "action")
            return {"type": kind, "rule": rule, "action": action, "page": _optional_text(frame, "page", 2000)}
        if kind == "ping":
            return {"type": kind}
        raise FrameError("'type' must be 'message', 'receipt', 'invitation' or 'ping'.", "type")


def _optional_text(frame: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = frame.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise FrameError(f"'{key}' must be a string of at most {limit} characters.", key)
    return value
