"""The `/handover/` API: what the agent console and outside helpdesks use (listed in /openapi.json).

Routes (a contract; tests, docs and integrations use them):
  POST /handover/login, POST /handover/logout, GET /handover/session, GET /handover/me, PUT /handover/presence
  GET  /handover/conversations?state=queued|offered|mine|all, GET /handover/conversations/{id}
  POST /handover/conversations/{id}/accept | decline | messages | notes | transfer | handback | resolve | typing
  GET  /handover/agents (supervisor), GET /handover/ws (WebSocket, see handover.websocket)
Roles are checked here, on the server, for every route; the console only hides what this refuses.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.server.errors import ApiError, bad_request, json_body, response_for_exception
from handover.auth import COOKIE, Caller, authenticate, require_role
from handover.ownership import IllegalTransition
from handover.runtime import HandoverRuntime, runtime

__all__ = ["MAX_TEXT", "caller_of", "conversation_summary", "decode_id", "handover_blueprint", "json_object",
           "optional_text", "required_text", "visible_row"]

MAX_TEXT = 10_000
STATES = ("queued", "offered", "mine", "all")


async def conflict(request: Request, error: IllegalTransition) -> HTTPResponse:
    """The request was fine but the conversation's state refuses it (someone else accepted first): 409."""
    state = {"state": error.state.value, "owner": list(error.ownership.owner)}
    return response_for_exception(ApiError(HTTPStatus.CONFLICT, "Conflict", error.message, state), request)


def handover_blueprint() -> Blueprint:
    """A fresh blueprint of the agent API (Sanic binds a blueprint to one app)."""
    bp = Blueprint("handover_api", url_prefix="/handover")

    bp.exception(IllegalTransition)(conflict)

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        """Log in with username and password: a session cookie (HttpOnly, SameSite) and the CSRF token."""
        rt = runtime(request.app)
        body = json_object(json_body(request))
        username, password = required_text(body, "username", 64), required_text(body, "password", 1024)
        keys = [f"user:{username.lower()}", f"addr:{request.remote_addr or request.ip}"]
        now = rt.service.clock()
        for key in keys:
            wait = rt.login_limiter.check(key, now)
            if wait is not None:
                raise ApiError(HTTPStatus.TOO_MANY_REQUESTS, "TooManyLogins",
                               f"Too many failed logins; try again in {int(wait) + 1} seconds.")
        agent = await rt.directory.authenticate(username, password)
        if agent is None:
            for key in keys:
                rt.login_limiter.record_failure(key, now)
            raise ApiError(HTTPStatus.UNAUTHORIZED, "LoginFailed", "Wrong username or password.")
        for key in keys:
            rt.login_limiter.reset(key)
        session_id, csrf = await rt.directory.create_session(agent)
        response = json({"csrf_token": csrf, "agent": agent.as_dict()})
        response.add_cookie(COOKIE, session_id, httponly=True, samesite="Strict", path="/",
                            secure=request.scheme == "https", max_age=int(rt.directory.session_absolute_seconds))
        return response

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        """End the session (the cookie is cleared)."""
        caller = await caller_of(request)
        if caller.session_id:
            await runtime(request.app).directory.end_session(caller.session_id)
        response = json({"ok": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    @bp.get("/session")
    async def session(request: Request) -> HTTPResponse:
        """The agent and the CSRF token of the live session, for a console page that was reloaded."""
        caller = await caller_of(request)
        # A page of the same origin reads it (the cookie is SameSite=Strict, and no CORS answer ever
        # allows credentials), so a reload keeps the agent logged in without the token in storage.
        # The session's own token, not a new one: the agent's other tabs keep theirs.
        response = json({"agent": caller.agent.as_dict(), "csrf_token": caller.csrf_token,
                         "expires_at": caller.expires_at})
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/me")
    async def me(request: Request) -> HTTPResponse:
        """The logged-in agent."""
        return json((await caller_of(request)).agent.as_dict())

    @bp.put("/presence")
    async def presence(request: Request) -> HTTPResponse:
        """Set yourself online, away or offline."""
        caller = await caller_of(request)
        status = required_text(json_object(json_body(request)), "status", 16)
        if status not in ("online", "away", "offline"):
            raise bad_request("'status' must be 'online', 'away' or 'offline'.", "status")
        agent = await runtime(request.app).set_presence(caller.agent.username, status)
        return json(agent.as_dict())

    @bp.get("/conversations")
    async def conversations(request: Request) -> HTTPResponse:
        """Conversations with people: queued (your teams), offered (to you), mine, or all (supervisors)."""
        caller = await caller_of(request)
        state = request.args.get("state", "mine")
        if state not in STATES:
            raise bad_request(f"'state' must be one of {', '.join(STATES)}.", "state", "query")
        if state == "all":
            require_role(caller, "supervisor")
        rows = await runtime(request.app).conversations_for(caller.agent, state)
        return json([conversation_summary(row) for row in rows])

    @bp.get("/conversations/<conversation_id:str>")
    async def conversation(request: Request, conversation_id: str) -> HTTPResponse:
        """One conversation with its packet, transcript and private notes."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        return json({**conversation_summary(row), **await rt.details(row["sender_id"])})

    @bp.post("/conversations/<conversation_id:str>/accept")
    async def accept(request: Request, conversation_id: str) -> HTTPResponse:
        """Take a conversation that is queued or offered to you ("assign to me")."""
        rt = runtime(request.app)
        arrived_at = rt.service.clock()  # the offer timeout is judged by this, not by when a busy server gets to it
        caller = await caller_of(request)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        return json(conversation_summary(await rt.accept(caller.agent, row["sender_id"], arrived_at)))

    @bp.post("/conversations/<conversation_id:str>/decline")
    async def decline(request: Request, conversation_id: str) -> HTTPResponse:
        """Turn down an offer made to you: it goes to the next agent; you stay online."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        _, reason = _reason_body(request)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        return json(conversation_summary(await rt.decline(caller.agent, row["sender_id"], reason)))

    @bp.post("/conversations/<conversation_id:str>/messages")
    async def message(request: Request, conversation_id: str) -> HTTPResponse:
        """Reply to the customer; replying takes the conversation if nobody has it."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        text = required_text(json_object(json_body(request)), "text", MAX_TEXT)
        sender_id = decode_id(conversation_id)
        await _actionable(rt, caller, sender_id, taking=True)
        event = await rt.agent_message(caller.agent, sender_id, text)
        return json({"event": event}, status=201)

    @bp.post("/conversations/<conversation_id:str>/typing")
    async def typing(request: Request, conversation_id: str) -> HTTPResponse:
        """Tell the customer the agent is typing (or stopped); nothing is stored, channels without it ignore it."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        on = json_object(json_body(request)).get("typing")
        if not isinstance(on, bool):
            raise bad_request("'typing' must be true or false.", "typing")
        sender_id = decode_id(conversation_id)
        await _actionable(rt, caller, sender_id)
        row = await visible_row(rt, caller, sender_id)
        return json({"delivered": await rt.agent_typing(caller.agent, row, on)})

    @bp.post("/conversations/<conversation_id:str>/notes")
    async def note(request: Request, conversation_id: str) -> HTTPResponse:
        """A private note for colleagues; never sent to the customer."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        text = required_text(json_object(json_body(request)), "text", MAX_TEXT)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        return json(await rt.add_note(caller.agent, row["sender_id"], text), status=201)

    @bp.post("/conversations/<conversation_id:str>/transfer")
    async def transfer(request: Request, conversation_id: str) -> HTTPResponse:
        """Transfer to an agent or a team, with a note for them."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        body = json_object(json_body(request))
        to_agent = optional_text(body, "agent", 64)
        to_team = optional_text(body, "team", 64)
        note_text = optional_text(body, "note", MAX_TEXT)
        if (to_agent is None) == (to_team is None):
            raise bad_request("Give exactly one of 'agent' or 'team'.", "agent")
        sender_id = decode_id(conversation_id)
        await _actionable(rt, caller, sender_id)
        return json(conversation_summary(await rt.transfer(caller.agent, sender_id, to_agent, to_team, note_text)))

    @bp.post("/conversations/<conversation_id:str>/handback")
    async def handback(request: Request, conversation_id: str) -> HTTPResponse:
        """Hand the conversation back to the bot, optionally setting slots it continues with."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        body, reason = _reason_body(request)
        slots = body.get("slots")
        slots = {} if slots is None else slots
        if not isinstance(slots, Mapping) or not all(isinstance(k, str) for k in slots):
            raise bad_request("'slots' must be an object of slot names to values.", "slots")
        sender_id = decode_id(conversation_id)
        await _actionable(rt, caller, sender_id)
        return json(conversation_summary(await rt.hand_back(caller.agent, sender_id, reason, dict(slots))))

    @bp.post("/conversations/<conversation_id:str>/resolve")
    async def resolve(request: Request, conversation_id: str) -> HTTPResponse:
        """Close the conversation; the customer's next message goes to the bot."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        sender_id = decode_id(conversation_id)
        await _actionable(rt, caller, sender_id)
        return json(conversation_summary(await rt.resolve(caller.agent, sender_id)))

    @bp.get("/agents")
    async def agents(request: Request) -> HTTPResponse:
        """Agents with their status and load (supervisors)."""
        caller = await caller_of(request)
        require_role(caller, "supervisor")
        return json(await runtime(request.app).agents_overview())

    return bp


async def caller_of(request: Request) -> Caller:
    return await authenticate(request, runtime(request.app).directory)


async def visible_row(rt: HandoverRuntime, caller: Caller, sender_id: str) -> dict[str, Any]:
    row = await rt.service.row(sender_id)
    if row is None or not rt.may_see(caller.agent, row):
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No conversation '{sender_id}' with a person.")
    return row


async def _actionable(rt: HandoverRuntime, caller: Caller, sender_id: str, *, taking: bool = False) -> None:
    """Agents act on their own conversations (or, replying, on ones nobody has); supervisors on any."""
    row = await rt.service.row(sender_id)
    if row is None and not taking:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No conversation '{sender_id}' with a person.")
    if caller.agent.role != "agent" or row is None:
        if row is None and caller.agent.role == "agent" and not await rt.conversation_exists(sender_id):
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No conversation '{sender_id}'.")
        return
    if row["state"] == "assigned" and row["agent"] != caller.agent.username:
        raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden",
                       f"'{row['agent']}' has this conversation; ask them or a supervisor to transfer it.")
    if not rt.may_see(caller.agent, row):
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No conversation '{sender_id}' with a person.")


def conversation_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    owner = {"assigned": ["agent", row.get("agent")], "queued": ["queue", row.get("team")],
             "offered": ["queue", row.get("team")]}.get(row["state"], ["bot", None])
    return {"conversation_id": row["sender_id"], "state": row["state"], "owner": owner, "version": row["version"],
            "reason": row.get("reason"), "priority": row.get("priority"), "team": row.get("team"),
            "agent": row.get("agent"), "offered_to": row.get("offered_to"), "queued_at": row.get("queued_at"),
            "offer_expires_at": row.get("offer_expires_at"), "channel": row.get("channel"),
            "language": row.get("language"), "labels": row.get("labels") or [], "packet": row.get("packet") or {}}


def decode_id(conversation_id: str) -> str:
    """Path ids arrive percent-encoded ("anna%20maria"); decode once, the same for every route."""
    decoded = urllib.parse.unquote(conversation_id)
    if not decoded or len(decoded) > 255:
        raise bad_request("The conversation id must have 1 to 255 characters.", "conversation_id", "path")
    return decoded


def json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "body")
    return body


def required_text(body: Mapping[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"'{name}' is required and must be a non-empty string.", name)
    if len(value) > limit:
        raise bad_request(f"'{name}' is longer than {limit} characters.", name)
    if any(0xD800 <= ord(char) <= 0xDFFF or char == "\x00" for char in value):
        raise bad_request(f"'{name}' contains characters that cannot be stored (NUL or a lone surrogate).", name)
    return value


def _reason_body(request: Request) -> tuple[dict[str, Any], str | None]:
    """An optional JSON object body and its optional "reason" (decline, hand back)."""
    body = json_object(json_body(request)) if request.body else {}
    return body, optional_text(body, "reason", 256)


def optional_text(body: Mapping[str, Any], name: str, limit: int) -> str | None:
    if body.get(name) is None:
        return None
    return required_text(body, name, limit)
