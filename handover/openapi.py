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
            ok={"type": "array", "items": _CANNED_REPLY})},
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
    }


SECURITY_SCHEMES = {"HandoverSession": {"type": "apiKey", "in": "cookie", "name": "handover_session"}}
