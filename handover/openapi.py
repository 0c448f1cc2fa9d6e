"""The `/handover/` routes in the server's OpenAPI document (merged in by `bot run`'s /openapi.json)."""

from __future__ import annotations

from typing import Any

__all__ = ["handover_paths"]

_ERROR = {"$ref": "#/components/responses/Error"}
_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "The conversation (sender) id, percent-encoded."}
_USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
_AUTH = [{"HandoverSession": []}, {"BearerToken": []}]
_CONVERSATION = {"type": "object", "properties": {
    "conversation_id": {"type": "string"}, "state": {"type": "string",
                                                     "enum": ["bot", "queued", "offered", "assigned", "resolved"]},
    "owner": {"type": "array", "items": {"type": "string", "nullable": True}},
    "reason": {"type": "string", "nullable": True}, "priority": {"type": "integer"},
    "team": {"type": "string", "nullable": True}, "queued_at": {"type": "number", "nullable": True},
    "labels": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
    "packet": {"type": "object"}}}
_LABELS_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["labels"], "properties": {"labels": _CONVERSATION["properties"]["labels"]}}}}}
_SUGGESTIONS = {"type": "object", "properties": {
    "conversation_id": {"type": "string"},
    "for_message": {"type": "object", "nullable": True, "properties": {
        "text": {"type": "string"}, "timestamp": {"type": "number"},
        "intent": {"type": "object", "nullable": True, "properties": {
            "name": {"type": "string"}, "confidence": {"type": "number"}}}}},
    "suggestions": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "text": {"type": "string"}, "response": {"type": "string"},
        "source": {"type": "string", "enum": ["response_selector", "policy", "intent"]},
        "confidence": {"type": "number"}}}}}}
_SUGGESTION_ID = {"name": "suggestion_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CANNED_REPLY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "shortcut": {"type": "string"}, "text": {"type": "string"},
    "language": {"type": "string", "nullable": True}, "team": {"type": "string", "nullable": True},
    "source": {"type": "string", "nullable": True},
    "rendered": {"type": "string", "description": "With conversation_id: the text with its slots filled in."},
    "missing": {"type": "array", "items": {"type": "string"},
                "description": "With conversation_id: placeholders whose slot has no value."}}}


def _text_body(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = {"type": "object", "properties": {name: {"type": "string"} for name in names}}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, *, body: dict[str, Any] | None = None, params: list[Any] | None = None,
        ok: dict[str, Any] | None = None, auth: bool = True, status: str = "200") -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "tags": ["Handover"],
        "responses": {status: {"description": "Success", "content": {"application/json": {
            "schema": ok or {"type": "object"}}}},
            "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "409": _ERROR},
    }
    if auth:
        operation["security"] = _AUTH
    if body is not None:
        operation["requestBody"] = body
    if params:
        operation["parameters"] = params
    return operation


def _feedback_op(summary: str) -> dict[str, Any]:
    operation = _op(summary, params=[_ID, _SUGGESTION_ID])
    operation["responses"] = {"204": {"description": "Recorded"},
                              **{k: v for k, v in operation["responses"].items() if k != "200"}}
    return operation


def handover_paths() -> dict[str, Any]:
    """The agent API's paths (see docs/agent.md)."""
    state = {"name": "state", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["queued", "offered", "mine", "all"], "default": "mine"}}
    after = {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"},
             "description": "The last feed id seen; what came after it is sent first."}
    base = "/handover/conversations/{conversation_id}"
    return {
        "/handover/login": {"post": _op("Log in: a session cookie and the CSRF token",
                                        body=_text_body("username", "password", required=("username", "password")),
                                        auth=False)},
        "/handover/logout": {"post": _op("End the session")},
        "/handover/session": {"get": _op(
            "The session's agent and CSRF token (a reloaded console page; 401 once it ended)",
            ok={"type": "object", "properties": {
                "agent": {"type": "object"}, "csrf_token": {"type": "string", "nullable": True},
                "expires_at": {"type": "number", "nullable": True}}})},
        "/handover/me": {"get": _op("The logged-in agent")},
        "/handover/presence": {"put": _op("Set online, away or offline", body=_text_body("status",
                                                                                          required=("status",)))},
        "/handover/agents": {"get": _op("Agents with status and load (supervisors)",
                                        ok={"type": "array", "items": {"type": "object"}}),
                             "post": _op("Create an agent (admins)", status="201",
                                         body=_text_body("username", "password", "role",
                                                         required=("username", "password")))},
        "/handover/conversations": {"get": _op("Conversations with people", params=[state],
                                               ok={"type": "array", "items": _CONVERSATION})},
        base: {"get": _op("One conversation with its transcript and notes", params=[_ID], ok=_CONVERSATION)},
        f"{base}/accept": {"post": _op("Take the conversation", params=[_ID], ok=_CONVERSATION)},
        f"{base}/decline": {"post": _op("Decline an offer made to you (it goes to the next agent)", params=[_ID],
                                        ok=_CONVERSATION, body=_text_body("reason"))},
        f"{base}/messages": {"post": _op("Reply to the customer", params=[_ID], status="201",
                                         body=_text_body("text", required=("text",)))},
        f"{base}/typing": {"post": _op(
            "Show or hide 'typing…' to the customer (channels that can)", params=[_ID],
            ok={"type": "object", "properties": {"delivered": {"type": "boolean"}}},
            body={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"typing": {"type": "boolean"}}, "required": ["typing"]}}}})},
        f"{base}/notes": {"post": _op("A private note", params=[_ID], status="201",
                                      body=_text_body("text", required=("text",)))},
        f"{base}/transfer": {"post": _op("Transfer to an agent or a team", params=[_ID], ok=_CONVERSATION,
                                         body=_text_body("agent", "team", "note"))},
        f"{base}/handback": {"post": _op("Hand back to the bot", params=[_ID], ok=_CONVERSATION,
                                         body=_text_body("reason"))},
        f"{base}/resolve": {"post": _op("Resolve", params=[_ID], ok=_CONVERSATION)},
        "/handover/ws": {"get": _op("The live feed (WebSocket upgrade)", params=[after])},
        "/handover/teams": {"get": _op("Teams with languages, skills, hours and SLA policy",
                                       ok={"type": "array", "items": {"type": "object"}})},
        "/handover/canned-replies": {"get": _op("Canned replies for a team and language", params=[
            {"name": "team", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "language", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "conversation_id", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Fill {slot} placeholders from this conversation's current slots."}],
            ok={"type": "array", "items": _CANNED_REPLY}),
            "post": _op("Add a canned reply (supervisors)", status="201",
                        body=_object_body(_REPLY, required=("shortcut", "text")))},
        f"{base}/suggestions": {"get": _op("Suggested replies for the customer's latest message", params=[_ID],
                                           ok=_SUGGESTIONS)},
        f"{base}/suggestions/{{suggestion_id}}/used": {"post": _feedback_op("You inserted the suggestion")},
        f"{base}/suggestions/{{suggestion_id}}/dismissed": {"post": _feedback_op("You waved the suggestion away")},
        f"{base}/labels": {"put": _op("Set the conversation's labels", params=[_ID], ok=_CONVERSATION,
                                      body=_LABELS_BODY)},
        "/handover/agents/{username}": {"patch": _op(
            "Change an agent (supervisors; the role: admins)", params=[_USERNAME],
            body={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})},
        "/handover/agents/{username}/disable": {"post": _op("Disable an agent (admins)", params=[_USERNAME])},
        **_supervisor_paths(base),
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _object_body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_NAMES = {"type": "array", "items": {"type": "string"}}
_HOURS = {"type": "object", "description": "As in handover.yml: timezone (IANA), weekly, holidays, special_days.",
          "properties": {"timezone": {"type": "string", "example": "Europe/Berlin"},
                         "weekly": {"type": "object", "additionalProperties": _NAMES,
                                    "example": {"mon-fri": ["08:00-18:00"]}},
                         "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
                         "special_days": {"type": "object", "additionalProperties": _NAMES}}}
_TEAM = {"display_name": {"type": "string"}, "languages": _NAMES, "skills": _NAMES, "sla_policy": {"type": "string"},
         "business_hours": _HOURS,
         "members": {"type": "array", "description": "The whole membership: usernames or {username, capacity}.",
                     "items": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {
                         "username": {"type": "string"}, "capacity": {"type": "integer", "minimum": 0}}}]}}}
_POLICY = {key: {"type": "number", "exclusiveMinimum": 0} for key in
           ("first_response_seconds", "next_response_seconds", "resolution_seconds")} | {
    "target_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "warn_ratio": {"type": "number"}, "red_ratio": {"type": "number"}, "pause_outside_hours": {"type": "boolean"}}
_REPLY = {"shortcut": {"type": "string"}, "text": {"type": "string"}, "language": {"type": "string", "nullable": True},
          "team": {"type": "string", "nullable": True}}
_REPLY_FILTERS = [{"name": key, "in": "query", "required": False, "schema": {"type": "string"},
                   "description": "Tells apart replies that share a shortcut."} for key in ("language", "team")]


def _supervisor_paths(base: str) -> dict[str, Any]:
    """The supervisor's overview and reassigning, and the editing routes (handover/config_api.py)."""
    team = _path_param("name", "The team's name.")
    policy = _path_param("name", "The SLA policy's name.")
    reply = _path_param("reference", "The canned reply's id, or its shortcut.")
    return {
        "/handover/overview": {"get": _op("Live queues per team and agents (supervisors)")},
        f"{base}/assign": {"post": _op("Reassign to a named agent (supervisors)", params=[_ID], ok=_CONVERSATION,
                                       body=_text_body("agent", "note", required=("agent",)))},
        "/handover/teams/{name}": {
            "put": _op("Create (admins) or change (supervisors) a team", params=[team],
                       body=_object_body(_TEAM)),
            "delete": _op("Remove a team (admins)", params=[team], status="204")},
        "/handover/teams/{name}/hours": {"put": _op("Set a team's business hours (supervisors)", params=[team],
                                                    body=_object_body(_HOURS["properties"]))},
        "/handover/teams/{name}/members/{username}": {
            "put": _op("Add an agent to a team (supervisors); answers the agent", params=[team, _USERNAME]),
            "delete": _op("Take an agent out of a team (supervisors); answers the agent", params=[team, _USERNAME])},
        "/handover/sla-policies": {"get": _op("SLA policies (supervisors)",
                                              ok={"type": "array", "items": {"type": "object"}})},
        "/handover/sla-policies/{name}": {
            "get": _op("One SLA policy (supervisors)", params=[policy]),
            "put": _op("Create or replace an SLA policy (admins)", params=[policy], body=_object_body(_POLICY)),
            "delete": _op("Remove an SLA policy no team uses (admins)", params=[policy], status="204")},
        "/handover/canned-replies/{reference}": {
            "put": _op("Change a canned reply (supervisors)", params=[reply, *_REPLY_FILTERS],
                       body=_object_body(_REPLY)),
            "delete": _op("Remove a canned reply (supervisors)", params=[reply, *_REPLY_FILTERS], status="204")},
    }


SECURITY_SCHEMES = {"HandoverSession": {"type": "apiKey", "in": "cookie", "name": "handover_session"}}
