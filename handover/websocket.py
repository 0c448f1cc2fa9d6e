"""`GET /handover/ws`: the live feed for one agent's console, with catch-up after a lost connection.

Frames the server sends (JSON text):
  {"type": "hello", "agent": {...}, "last_id": N}    once, after authentication
  {"type": "event", "id": N, "kind": ..., "conversation_id": ..., "data": {...}, "created_at": ...}
Kinds: conversation (state changes of the queues you see), offer (to you), customer_message,
agent_message, note, agent_status, sla_warning, queue_notice. Connect with `?after=<last id you saw>`
and everything you missed arrives first, in id order, once; ids only grow. The feed table is
the source of truth: the broadcaster only wakes this loop, and a gap in ids is filled from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.parse
from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request

from bot.server.errors import ApiError
from handover.agent_model import Agent, has_role
from handover.auth import authenticate
from handover.runtime import runtime

__all__ = ["relevant", "websocket_blueprint"]

logger = logging.getLogger(__name__)


def relevant(agent: Agent, item: dict[str, Any]) -> bool:
    """Whether a feed item belongs on this agent's screen (supervisors see everything)."""
    if has_role(agent, "supervisor"):
        return True
    target = item.get("agent")
    if target is not None:
        return target == agent.username
    team = item.get("team")
    return team is None or not agent.teams or team in agent.teams


def websocket_blueprint() -> Blueprint:
    bp = Blueprint("handover_ws", url_prefix="/handover")

    @bp.websocket("/ws")
    async def feed(request: Request, ws: Any) -> None:
        rt = runtime(request.app)
        caller = await authenticate(request, rt.directory, check_csrf=False)
        if caller.via == "session":
            _same_origin(request)  # a cookie must not let another site open this feed
        try:
            after = int(request.args.get("after", "0") or 0)
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", "'after' must be a feed id (a whole number).",
                           {"parameter": "after", "in": "query"}) from None
        subscription = rt.service.broadcaster.subscribe()
        try:
            last = await rt.service.last_feed_id()
            await ws.send(json.dumps({"type": "hello", "agent": caller.agent.as_dict(), "last_id": last}))
            delivered = _Delivered()
            sent = await _catch_up(rt, ws, caller.agent, after, delivered) if after else last
            while True:
                item = await subscription.get()
                if subscription.overflowed or item["id"] > sent + 1:
                    subscription.overflowed = False
                    sent = await _catch_up(rt, ws, caller.agent, sent, delivered)
                # Ids come from a sequence, so a transaction can commit after a later id was sent: such
                # an item arrives below `sent` and is still new, unless a catch-up sent it already.
                if item["id"] not in delivered:
                    if relevant(caller.agent, item):
                        await ws.send(json.dumps({"type": "event", **item}, default=str))
                    delivered.add(item["id"])
                    sent = max(sent, item["id"])
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the connection closed; the console reconnects with ?after=
            logger.debug("handover websocket of %s ended: %s", caller.agent.username, error)
        finally:
            subscription.close()
            with contextlib.suppress(Exception):
                await ws.close()

    return bp


class _Delivered:
    """The ids this connection has handled lately (a bounded window), so no item goes out twice."""

    WINDOW = 10_000

    def __init__(self) -> None:
        self._ids: dict[int, None] = {}  # insertion-ordered: the oldest is dropped first

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._ids

    def add(self, item_id: int) -> None:
        self._ids[item_id] = None
        if len(self._ids) > self.WINDOW:
            del self._ids[next(iter(self._ids))]


async def _catch_up(rt: Any, ws: Any, agent: Agent, after: int, delivered: _Delivered) -> int:
    """Sends what came after `after` from the feed table (once); returns the last id seen."""
    last = after
    while True:
        items = await rt.service.feed_since(last)
        if not items:
            return last
        for item in items:
            if item["id"] not in delivered:
                if relevant(agent, item):
                    await ws.send(json.dumps({"type": "event", **item}, default=str))
                delivered.add(item["id"])
            last = item["id"]


def _same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urllib.parse.urlsplit(origin).netloc != request.host:
        raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden", "The console's WebSocket only accepts its own origin.")
