"""`GET /handover/ws`: the live feed for one agent's console, with catch-up after a lost connection.

Frames the server sends (JSON text):
  {"type": "hello", "agent": {...}, "last_id": N}    once, after authentication
  {"type": "event", "id": N, "kind": ..., "conversation_id": ..., "data": {...}, "created_at": ...}
Kinds: conversation (state changes of the queues you see), offer (to you), customer_message,
agent_message, note, agent_status, sla_warning, queue_notice, read (the customer's widget showed the
messages up to `data.watermark`; `data.message_id` names the newest). Connect with `?after=<highest id you
saw>` and everything you missed arrives first, in id order. Ids commit in id order (see
`store.flush_feed`), so nothing below an id you saw can appear later. An id can arrive twice
around a reconnect: a client handles each id once.

The feed table is the source of truth: the broadcaster only wakes this loop. Items from several
writers (coroutines, processes) can arrive slightly out of order, so a gap in ids is first given
`GAP_GRACE_SECONDS` to fill by itself; only then (or when this connection's queue overflowed) is
it filled from the table. Ids of rolled-back transactions leave gaps that the read then closes.
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

GAP_GRACE_SECONDS = 0.5  # a missing id usually arrives within milliseconds from another writer


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
            await _follow(rt, ws, caller.agent, subscription, after or last, catch_up=bool(after))
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
        self.newest = 0

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._ids

    def add(self, item_id: int) -> None:
        self._ids[item_id] = None
        self.newest = max(self.newest, item_id)
        if len(self._ids) > self.WINDOW:
            del self._ids[next(iter(self._ids))]


async def _follow(rt: Any, ws: Any, agent: Agent, subscription: Any, start: int, *, catch_up: bool) -> None:
    """Sends every feed item above `start` once, in the order they arrive; gaps are filled from the table."""
    loop = asyncio.get_running_loop()
    delivered = _Delivered()
    # Every id up to `complete` was handled (sent, not relevant, or never committed).
    complete = await _catch_up(rt, ws, agent, start, delivered) if catch_up else start
    gap_since: float | None = None  # when the oldest unfilled gap above `complete` was seen
    while True:
        item = None
        wait = None if gap_since is None else max(gap_since + GAP_GRACE_SECONDS - loop.time(), 0.0)
        with contextlib.suppress(TimeoutError):
            item = await asyncio.wait_for(subscription.get(), wait)
        if item is not None and item["id"] not in delivered and item["id"] > complete:
            if relevant(agent, item):
                await ws.send(json.dumps({"type": "event", **item}, default=str))
            delivered.add(item["id"])
        while complete + 1 in delivered:
            complete += 1
        overdue = gap_since is not None and loop.time() >= gap_since + GAP_GRACE_SECONDS
        if subscription.overflowed or overdue:
            subscription.overflowed = False
            complete = max(complete, await _catch_up(rt, ws, agent, complete, delivered))
        gap_since = None if delivered.newest <= complete else (gap_since or loop.time())


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
