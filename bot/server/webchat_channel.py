"""`/webchat/...`: the web chat widget's endpoints (WebSocket, long polling, sessions).

    POST /webchat/session   {token?, customer?} -> token, history, invitations
    WS   /webchat/ws?token=...&after=<seq>                frames both ways (bot/channels/webchat.py)
    POST /webchat/frames    {token, frame}                the same frames without a WebSocket
    GET  /webchat/poll?token=...&after=<seq>&wait=<s>     long polling: frames since `after`
    GET  /webchat/invitations?from=YYYY-MM-DD&to=...      invitation counts (operators: the API's auth)

`customer` is the shop's signed customer id (bot/channels/customer_identity.py): 403 when the
signature is wrong, 401 `CustomerIdExpired` when it is out of date.

Pages on other origins reach these only when their origin is in `allowed_origins`
(credentials.yml); a WebSocket from another origin is closed with code 4403.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty
from sanic.response import json as json_response

from bot.channels.customer_identity import ExpiredCustomerId, verify_customer_claim
from bot.channels.invitation_stats import ACTIONS, count_invitations, invitation_events
from bot.channels.invitations import active_rules
from bot.channels.merging import ANONYMOUS_PREFIX, merge_anonymous
from bot.channels.signing import customer_conversation_id
from bot.channels.webchat import (
    CHANNEL_NAME,
    HISTORY_LIMIT,
    MAX_FRAME_BYTES,
    FrameError,
    WebchatChannel,
    WebchatConnection,
    wire_messages,
)
from bot.core.messages import UserMessage
from bot.server.auth import authenticate
from bot.server.errors import ApiError, bad_request, json_body
from bot.server.logging import message_log
from bot.server.state import server_state
from bot.shared.core.events import InvitationEvent, MessageReceipt
from bot.shared.errors import ChannelAuthError

__all__ = ["webchat_blueprint"]

logger = logging.getLogger(__name__)

MAX_POLL_WAIT = 30.0  # seconds a long poll waits for news (under common proxies' idle limits)
_CLOSE_UNAUTHORISED, _CLOSE_FORBIDDEN_ORIGIN = 4401, 4403
_CLOSE_POLICY, _CLOSE_UNSUPPORTED, _CLOSE_TOO_BIG = 1008, 1003, 1009
_STRIKES = 20  # malformed or rate-limited frames a connection may send before it is closed


def webchat_blueprint(channel: WebchatChannel) -> Blueprint:
    """The web chat's routes for one app; `channel` is also registered as an output channel."""
    blueprint = Blueprint("webchat", url_prefix="/webchat")

    @blueprint.middleware("request")
    async def refuse_foreign_origins(request: Request) -> HTTPResponse | None:
        if request.method == "OPTIONS":  # a CORS preflight: the response middleware adds the headers
            return empty(status=204)
        if not _origin_allowed(request, channel):
            raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden", "This page's origin may not use the web chat.",
                           hint="add the shop's origin to 'allowed_origins' under 'webchat:' in credentials.yml")
        return None

    @blueprint.middleware("response")
    async def cors_headers(request: Request, response: HTTPResponse) -> None:
        origin = request.headers.get("origin")
        if origin and _origin_allowed(request, channel):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Vary"] = "Origin"

    @blueprint.route("/session", methods=["POST", "OPTIONS"])
    async def session(request: Request) -> HTTPResponse:
        """Opens or resumes a conversation: a signed token, its history and the invitation rules.

        With a customer id and the token of an anonymous chat, that chat continues in the customer's
        conversation (bot/channels/merging.py).
        """
        body = _object_body(request)
        customer = body.get("customer")
        processor = server_state(request.app).require_agent().processor
        store = processor.tracker_store
        merged: dict[str, Any] | None = None
        if customer is not None:
            conversation_id = customer_conversation_id(_verified_customer(channel, customer))
            anonymous = _anonymous_conversation(channel, body.get("token"))
            if anonymous is not None:
                result = await merge_anonymous(store, processor.lock_store, anonymous, conversation_id)
                if result.deferred:  # a person still handles the anonymous chat: it stays there for now
                    conversation_id = anonymous
                merged = {"from": anonymous, "copied": result.copied, "deferred": result.deferred}
        elif body.get("token") is not None:
            conversation_id = _conversation(channel, body.get("token"))
        else:
            conversation_id = channel.tokens.new_conversation_id()
        events, last = await store.read_since(conversation_id, 0)
        history = wire_messages(events, 1)[-HISTORY_LIMIT:]
        rules = await active_rules(channel)
        reply = {"token": channel.tokens.issue(conversation_id), "conversation_id": conversation_id,
                 "customer": customer is not None and not (merged or {}).get("deferred"),
                 "messages": history, "last_seq": last, "invitations": rules,
                 "max_message_chars": channel.settings.max_message_chars}
        if merged is not None:
            reply["merged"] = merged
        return json_response(reply)

    @blueprint.route("/frames", methods=["POST", "OPTIONS"])
    async def frames(request: Request) -> HTTPResponse:
        """One widget frame over plain HTTP (where WebSockets are blocked)."""
        body = _object_body(request)
        conversation_id = _conversation(channel, body.get("token"))
        if not channel.rate.allow(conversation_id):
            raise ApiError(HTTPStatus.TOO_MANY_REQUESTS, "TooManyRequests", "Too many frames; slow down.",
                           hint=f"at most {channel.settings.rate_limit_per_minute} messages a minute")
        try:
            frame = channel.parse_frame(body.get("frame"))
        except FrameError as error:
            raise bad_request(error.message, f"frame.{error.field}" if error.field else "frame") from None
        reply = await _dispatch(request, channel, conversation_id, frame)
        return json_response(reply or {"type": "ok"})

    @blueprint.route("/poll", methods=["GET", "OPTIONS"])
    async def poll(request: Request) -> HTTPResponse:
        """Frames newer than `after`, waiting up to `wait` seconds for the first one."""
        conversation_id = _conversation(channel, request.args.get("token"))
        after = _int_arg(request, "after", 0)
        wait = min(float(_int_arg(request, "wait", 25)), MAX_POLL_WAIT)
        collected: list[dict[str, Any]] = []
        news = asyncio.Event()

        async def collect(frame: dict[str, Any]) -> None:
            collected.append(frame)
            news.set()

        store = server_state(request.app).require_agent().processor.tracker_store
        connection = WebchatConnection(conversation_id, collect, store.read_since, last_seq=after)
        channel.connect(connection)
        try:
            await connection.sync()
            if not collected and wait > 0:
                try:
                    await asyncio.wait_for(news.wait(), timeout=wait)
                except TimeoutError:
                    pass
        finally:
            channel.disconnect(connection)
        return json_response({"frames": collected, "last_seq": connection.last_seq})

    @blueprint.get("/invitations")
    async def invitations(request: Request) -> HTTPResponse:
        """Proactive invitations shown, accepted and dismissed per day, page and rule (for operators)."""
        settings = server_state(request.app).settings
        if not settings.api_enabled:
            raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden", "Invitation counts are for operators.",
                           hint="start 'bot run' with --auth-token (or --jwt-secret) and pass it as ?token=")
        authenticate(request, settings.auth_token, settings.jwt)
        today = dt.datetime.now(dt.UTC).date()
        first = _date_arg(request, "from", today - dt.timedelta(days=29))
        last = _date_arg(request, "to", today)
        if last < first:
            raise bad_request("'to' is before 'from'.", "to", "query")
        since = dt.datetime.combine(first, dt.time(), dt.UTC).timestamp()
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
        store = server_state(request.app).require_agent().processor.tracker_store
        rows = count_invitations(await invitation_events(store, since, until))
        totals = {action: sum(row[action] for row in rows) for action in ACTIONS}
        return json_response({"from": first.isoformat(), "to": last.isoformat(), "counts": rows, "totals": totals})

    @blueprint.websocket("/ws")
    async def websocket(request: Request, ws: Any) -> None:
        """The widget's live connection: catch-up first, then frames both ways."""
        if not _origin_allowed(request, channel):
            await ws.close(_CLOSE_FORBIDDEN_ORIGIN, "origin not allowed")
            return
        try:
            conversation_id = channel.tokens.verify(request.args.get("token"))
        except ChannelAuthError as error:
            await ws.close(_CLOSE_UNAUTHORISED, error.message[:120])
            return
        after = max(0, _int_arg(request, "after", 0, close_ok=True))

        async def push(frame: dict[str, Any]) -> None:
            await ws.send(json.dumps(frame))

        store = server_state(request.app).require_agent().processor.tracker_store
        connection = WebchatConnection(conversation_id, push, store.read_since, last_seq=after)
        await connection.sync()
        channel.connect(connection)
        await push({"type": "ready", "last_seq": connection.last_seq})  # catch-up done
        try:
            await _serve_websocket(request, ws, channel, connection)
        finally:
            channel.disconnect(connection)

    return blueprint


async def _serve_websocket(request: Request, ws: Any, channel: WebchatChannel,
                           connection: WebchatConnection) -> None:
    strikes = 0
    while True:
        raw = await ws.recv()
        if raw is None:
            return
        if isinstance(raw, bytes):
            await ws.close(_CLOSE_UNSUPPORTED, "frames are JSON text")
            return
        if len(raw) > MAX_FRAME_BYTES:
            await ws.close(_CLOSE_TOO_BIG, "frame too large")
            return
        try:
            frame = channel.parse_frame(json.loads(raw))
            if frame["type"] == "message" and not channel.rate.allow(connection.conversation_id):
                raise FrameError("Too many messages; slow down.", "rate_limited")
        except (ValueError, RecursionError, FrameError) as error:
            strikes += 1
            if strikes > _STRIKES:
                await ws.close(_CLOSE_POLICY, "too many bad or rate-limited frames")
                return
            message = error.message if isinstance(error, FrameError) else "A frame must be JSON."
            await ws.send(json.dumps({"type": "error", "error": message,
                                      "detail": {"field": getattr(error, "field", None)}}))
            continue
        reply = await _dispatch(request, channel, connection.conversation_id, frame)
        if reply is not None:
            await ws.send(json.dumps(reply))


async def _dispatch(request: Request, channel: WebchatChannel, conversation_id: str,
                    frame: dict[str, Any]) -> dict[str, Any] | None:
    """Acts on one valid frame; returns the reply frame for its sender, if any."""
    state = server_state(request.app)
    processor = state.require_agent().processor
    kind = frame["type"]
    if kind == "ping":
        return {"type": "pong"}
    if kind == "message":
        if not channel.first_time(conversation_id, frame["id"]):
            return {"type": "ack", "id": frame["id"], "duplicate": True}
        metadata = {key: value for key, value in (("display_text", frame["title"]), ("page", frame["page"]))
                    if value}
        message = UserMessage(frame["text"], conversation_id, CHANNEL_NAME, message_id=frame["id"],
                              metadata=metadata or None)
        await channel.broadcast(conversation_id, {"type": "typing", "on": True})
        try:
            with message_log(conversation_id, CHANNEL_NAME, enabled=state.settings.log_messages):
                replies = await processor.handle_message(message)
        finally:
            await channel.broadcast(conversation_id, {"type": "typing", "on": False})
        await channel.send(conversation_id, replies)
        return {"type": "ack", "id": frame["id"]}
    if kind == "receipt":
        _, last = await processor.tracker_store.read_since(conversation_id, frame["watermark"])
        if frame["watermark"] > last:  # a number no message has: a broken or hostile client
            return {"type": "error", "error": "'watermark' is beyond the newest message.",
                    "detail": {"field": "watermark"}}
        if channel.advance_watermark(conversation_id, frame["status"], frame["watermark"]):
            await processor.append_events(conversation_id, [MessageReceipt(frame["status"], frame["watermark"])])
        return None
    if kind == "invitation":
        await processor.append_events(conversation_id, [InvitationEvent(frame["rule"], frame["action"],
                                                                        frame["page"])])
        return None
    raise AssertionError(f"unhandled frame type {kind}")


def _object_body(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "body")
    return body


def _verified_customer(channel: WebchatChannel, claim: Any) -> str:
    """The customer id the shop signed; 401 `CustomerIdExpired` when its time is up, 403 when forged."""
    settings = channel.settings
    try:
        return verify_customer_claim(settings.customer_secret, claim, jwt_method=settings.customer_jwt_method)
    except ExpiredCustomerId as error:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "CustomerIdExpired", error.message,
                       {"parameter": "customer", "hint": error.hint}) from None
    except ChannelAuthError as error:
        raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden", error.message,
                       {"parameter": "customer", "hint": error.hint}) from None


def _anonymous_conversation(channel: WebchatChannel, token: Any) -> str | None:
    """The anonymous chat a still valid session token names, to merge; None for anything else."""
    if token is None:
        return None
    try:
        conversation_id = channel.tokens.verify(token)
    except ChannelAuthError:  # an old or broken token: nothing to merge, the login still counts
        return None
    return conversation_id if conversation_id.startswith(ANONYMOUS_PREFIX) else None


def _conversation(channel: WebchatChannel, token: Any) -> str:
    try:
        return channel.tokens.verify(token)
    except ChannelAuthError as error:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized", error.message, hint=error.hint) from None


def _date_arg(request: Request, name: str, default: dt.date) -> dt.date:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"'{name}' must be a date as YYYY-MM-DD.", name, "query") from None


def _int_arg(request: Request, name: str, default: int, *, close_ok: bool = False) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        if close_ok:
            return default
        raise bad_request(f"'{name}' must be a whole number.", name, "query") from None


def _origin_allowed(request: Request, channel: WebchatChannel) -> bool:
    """No Origin (not a browser), the server's own origin, or one the operator allowed."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    allowed = channel.settings.allowed_origins
    if "*" in allowed or origin.rstrip("/") in (o.rstrip("/") for o in allowed):
        return True
    return urlsplit(origin).netloc.lower() == (request.headers.get("host") or "").lower()

