"""`/handover/` routes for supervisors: the live overview of queues and agents, and reassigning.

    GET  /handover/overview                          queues per team, agents, open conversations
    POST /handover/conversations/{id}/assign         {"agent", "note"?}: give it to a named agent

Assigning is the state machine's transfer to an agent (a `handover_transferred` event by the
supervisor), so ownership changes one way only, with its version check and tracker event. It
takes a queued, offered or assigned conversation; a supervisor may fill an agent past capacity,
as in Zendesk and Chatwoot (capacity limits what routing offers, not what a person decides).
"""

from __future__ import annotations

from http import HTTPStatus

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.server.errors import ApiError, bad_request, json_body
from handover.agent_model import UnknownAgent
from handover.api import (
    MAX_TEXT,
    conflict,
    conversation_summary,
    decode_id,
    json_object,
    optional_text,
    required_text,
)
from handover.auth import authenticate, require_role
from handover.overview import build_overview
from handover.ownership import IllegalTransition
from handover.runtime import runtime

__all__ = ["supervisor_blueprint"]


def supervisor_blueprint() -> Blueprint:
    bp = Blueprint("handover_supervisor", url_prefix="/handover")

    bp.exception(IllegalTransition)(conflict)

    @bp.get("/overview")
    async def overview(request: Request) -> HTTPResponse:
        """Queues per team (waiting, offered, longest wait, SLA state, breaches today) and agents (supervisors)."""
        rt = runtime(request.app)
        require_role(await authenticate(request, rt.directory), "supervisor")
        now = rt.service.clock()
        found = await rt.service.tracker_store.run_in_transaction(
            lambda conn: build_overview(conn, now, rt.plugin.first_response_state), write=False)
        return json(found)

    @bp.post("/conversations/<conversation_id:str>/assign")
    async def assign(request: Request, conversation_id: str) -> HTTPResponse:
        """Give a queued, offered or assigned conversation to a named agent (supervisors)."""
        rt = runtime(request.app)
        caller = await authenticate(request, rt.directory)
        require_role(caller, "supervisor")
        body = json_object(json_body(request))
        username = required_text(body, "agent", 64).strip().lower()
        note = optional_text(body, "note", MAX_TEXT)
        sender_id = decode_id(conversation_id)
        try:
            agent = await rt.directory.get_agent(username)
        except UnknownAgent as error:
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", error.message, hint=error.hint) from None
        if agent.disabled:
            raise bad_request(f"'{username}' is disabled and cannot take conversations.", "agent")
        row = await rt.service.row(sender_id)
        if row is None or row["state"] not in ("queued", "offered", "assigned"):
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No conversation '{sender_id}' with a person.",
                           hint="the bot has it; an agent takes it over by replying")
        return json(conversation_summary(await rt.transfer(caller.agent, sender_id, username, None, note)))

    return bp
