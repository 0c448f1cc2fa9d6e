"""`/handover/` routes for managing the team: agents (supervisors and admins), teams and canned replies.

Teams, business hours, SLA policies and canned replies are written in handover.yml (config as code,
synced at start); here agents read them, and supervisors and admins manage agent accounts.
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.server.errors import ApiError, bad_request, json_body
from handover.agent_model import AgentExists, InvalidAgentInput, UnknownAgent
from handover.api import decode_id, visible_row
from handover.auth import Caller, authenticate, require_role
from handover.config_store import list_canned_replies, list_teams
from handover.placeholders import fill_placeholders
from handover.runtime import runtime

__all__ = ["admin_blueprint"]

_AGENT_FIELDS = ("role", "teams", "skills", "languages", "capacity", "display_name")


def admin_blueprint() -> Blueprint:
    bp = Blueprint("handover_admin", url_prefix="/handover")

    @bp.get("/teams")
    async def teams(request: Request) -> HTTPResponse:
        """Teams with their languages, skills, business hours and SLA policy."""
        await _caller(request)
        found = await list_teams(runtime(request.app).service.tracker_store)
        return json([dataclasses.asdict(team) for team in found])

    @bp.get("/canned-replies")
    async def canned_replies(request: Request) -> HTTPResponse:
        """Canned replies for a team and language (plus those for every team or language).

        With `conversation_id`, each reply also comes `rendered` with that conversation's current
        slots and lists the placeholders still `missing` a value.
        """
        caller = await _caller(request)
        rt = runtime(request.app)
        found = await list_canned_replies(rt.service.tracker_store,
                                          team=request.args.get("team"), language=request.args.get("language"))
        replies = [dataclasses.asdict(reply) for reply in found]
        conversation_id = request.args.get("conversation_id")
        if conversation_id is None:
            return json(replies)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        slots = await rt.current_slots(row["sender_id"])
        for reply in replies:
            reply["rendered"], reply["missing"] = fill_placeholders(reply["text"], slots)
        return json(replies)

    @bp.post("/agents")
    async def create_agent(request: Request) -> HTTPResponse:
        """Creates an agent account (admins)."""
        caller = await _caller(request)
        require_role(caller, "admin")
        body = _object(json_body(request))
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise bad_request("'username' and 'password' are required strings.", "username")
        options = _agent_changes(body)
        agent = await _directory_call(runtime(request.app).directory.create_agent(username, password, **options))
        return json(agent.as_dict(), status=201)

    @bp.patch("/agents/<username:str>")
    async def update_agent(request: Request, username: str) -> HTTPResponse:
        """Changes an agent's teams, skills, languages, capacity, name (supervisors) or role (admins)."""
        caller = await _caller(request)
        require_role(caller, "supervisor")
        changes = _agent_changes(_object(json_body(request)))
        if "role" in changes:
            require_role(caller, "admin")
        agent = await _directory_call(runtime(request.app).directory.update_agent(username, **changes))
        return json(agent.as_dict())

    @bp.post("/agents/<username:str>/disable")
    async def disable_agent(request: Request, username: str) -> HTTPResponse:
        """Disables an account and ends its sessions (admins)."""
        caller = await _caller(request)
        require_role(caller, "admin")
        agent = await _directory_call(runtime(request.app).directory.disable(username))
        return json(agent.as_dict())

    return bp


async def _caller(request: Request) -> Caller:
    return await authenticate(request, runtime(request.app).directory)


async def _directory_call(call: Any) -> Any:
    try:
        return await call
    except UnknownAgent as error:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", error.message, hint=error.hint) from None
    except AgentExists as error:
        raise ApiError(HTTPStatus.CONFLICT, "Conflict", error.message, hint=error.hint) from None
    except InvalidAgentInput as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", error.message, hint=error.hint) from None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "body")
    return body


def _agent_changes(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(_AGENT_FIELDS) - {"username", "password"}
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(sorted(unknown))}; allowed: {', '.join(_AGENT_FIELDS)}.",
                          sorted(unknown)[0])
    changes = {key: body[key] for key in _AGENT_FIELDS if body.get(key) is not None}
    if "capacity" in changes and (isinstance(changes["capacity"], bool) or not isinstance(changes["capacity"], int)):
        raise bad_request("'capacity' must be a whole number.", "capacity")
    return changes
