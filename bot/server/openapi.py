"""The OpenAPI 3.1 document of the server (served at `GET /openapi.json`).

Request bodies come from the pydantic models that validate them (bot/server/requests.py), so the
document and the server's 400s cannot disagree; paths and response shapes are written here.

Shapes follow Rasa's HTTP API specification so clients generated from either work with both.
A test checks that every route the app registers is listed here, and nothing else.
"""

from __future__ import annotations

from typing import Any

import bot
from bot.server.requests import request_schemas
from bot.server.training_api import TrainParameters
from bot.server.training_payload import TrainJsonBody

__all__ = ["OPEN_PATHS", "openapi_document"]

_ERROR = {"$ref": "#/components/responses/Error"}
_TRACKER = {"description": "The tracker", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Tracker"}}}}
_CONVERSATION_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}
_INCLUDE_EVENTS = {"name": "include_events", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": ["AFTER_RESTART", "ALL", "APPLIED", "NONE"],
                              "default": "AFTER_RESTART"}}
_UNTIL = {"name": "until", "in": "query", "required": False, "schema": {"type": "number"},
          "description": "Only events with a timestamp up to this one are replayed."}


def _json(schema: dict[str, Any], description: str = "Success") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(summary: str, ok: dict[str, Any], *, tag: str, params: list[Any] | None = None,
        body: dict[str, Any] | None = None, errors: tuple[int, ...] = (400,)) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {"200": ok}}
    for status in errors:
        operation["responses"][str(status)] = _ERROR
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    return operation


_NLU_YAML = {"type": "string", "description": "Rasa NLU YAML (a top-level 'nlu:' list of intents and examples)"}
_STORIES_YAML = {"type": "string", "description": "Rasa test stories YAML (a top-level 'stories:' list)"}
_TRAIN_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "description": field.description,
     "schema": {k: v for k, v in (schema["anyOf"][0] if "anyOf" in schema else schema).items() if k != "title"}}
    for name, field in TrainParameters.model_fields.items()
    for schema in [TrainParameters.model_json_schema()["properties"][name]]]
_TRACKER_AND_MESSAGES = _json({"type": "object", "properties": {
    "tracker": _ref("Tracker"), "messages": {"type": "array", "items": _ref("BotMessage")}}})

# Paths that never need the token.
OPEN_PATHS = {
    "/": {"get": _op("Greeting with the version", {"description": "Text", "content": {
        "text/plain": {"schema": {"type": "string"}}}}, tag="Server", errors=())},
    "/version": {"get": _op("Framework version", _json({"type": "object", "properties": {
        "version": {"type": "string"}, "minimum_compatible_version": {"type": "string"}}}),
        tag="Server", errors=())},
    "/health": {"get": _op("Health of the model and stores", _json(_ref("Health")), tag="Server",
                           errors=(503,))},
    "/openapi.json": {"get": _op("This document", _json({"type": "object"}), tag="Server", errors=())},
    "/webhooks/rest/": {"get": _op("REST channel health", _json({"type": "object"}), tag="Channels",
                                   errors=())},
    "/webhooks/rest/webhook": {"post": _op(
        "Send a user message; get the bot's replies", _json({"type": "array", "items": _ref("BotMessage")}),
        tag="Channels", body=_body(_ref("RestMessage")), errors=(400, 503))},
}

_CUSTOMER_ID = {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "string"},
                "description": "The customer's conversation (sender) id."}
_API_PATHS = {
    "/customers/{customer_id}/data": {
        "get": _op("Everything stored about a customer (GDPR export; admins only)",
                   _json({"type": "object"}), tag="Customer data", params=[_CUSTOMER_ID],
                   errors=(401, 403, 404, 503)),
        "delete": _op("Erase everything stored about a customer (GDPR; admins only)",
                      _json({"type": "object", "properties": {"erased": {"type": "object"}}}),
                      tag="Customer data", params=[_CUSTOMER_ID], errors=(401, 403, 503)),
    },
    "/status": {"get": _op("The loaded model", _json(_ref("Status")), tag="Server", errors=(401, 503))},
    "/domain": {"get": _op("The loaded domain", _json({"type": "object"}), tag="Domain", errors=(401, 503))},
    "/model/parse": {"post": _op("Parse a message with the NLU model", _json(_ref("ParseResult")),
                                 tag="Model", body=_body(_ref("ParseBody")), errors=(400, 401, 413, 503))},
    "/conversations/{conversation_id}/tracker": {"get": _op(
        "A conversation's tracker (empty for an unknown conversation)", _TRACKER, tag="Tracker",
        params=[_CONVERSATION_ID, _INCLUDE_EVENTS, _UNTIL], errors=(400, 401, 503))},
    "/conversations/{conversation_id}/tracker/events": {"post": _op(
        "Append events to a conversation", _TRACKER, tag="Tracker", params=[_CONVERSATION_ID, _INCLUDE_EVENTS],
        body=_body({"oneOf": [_ref("EventBody"), {"type": "array", "minItems": 1, "items": _ref("EventBody")}]}),
        errors=(400, 401, 503)), "put": _op(
        "Replace a conversation's events (all checked first: one bad event changes nothing)", _TRACKER,
        tag="Tracker", params=[_CONVERSATION_ID, _INCLUDE_EVENTS], body=_body(_ref("EventsBody")),
        errors=(400, 401, 409, 503))},
    "/conversations/{conversation_id}/messages": {"post": _op(
        "Add a user message without running actions", _TRACKER, tag="Tracker",
        params=[_CONVERSATION_ID, _INCLUDE_EVENTS], body=_body(_ref("MessageBody")), errors=(400, 401, 413, 503))},
    "/conversations/{conversation_id}/trigger_intent": {"post": _op(
        "Inject an intent as if the user sent it", _TRACKER_AND_MESSAGES, tag="Tracker",
        params=[_CONVERSATION_ID, _INCLUDE_EVENTS], body=_body(_ref("TriggerIntentBody")),
        errors=(400, 401, 404, 503))},
    "/conversations/{conversation_id}/execute": {"post": _op(
        "Run an action, then continue predicting", _TRACKER_AND_MESSAGES, tag="Tracker",
        params=[_CONVERSATION_ID, _INCLUDE_EVENTS], body=_body(_ref("ExecuteBody")),
        errors=(400, 401, 404, 503))},
    "/model": {"put": {
        "summary": "Serve another model archive (a path on the server or a model server URL), no restart",
        "tags": ["Model"], "requestBody": _body({"type": "object", "properties": {
            "model_file": {"type": "string"},
            "model_server": {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}}}),
        "responses": {"204": {"description": "The new model is served"}, "400": _ERROR, "401": _ERROR,
                      "409": _ERROR, "503": _ERROR}}},
    "/model/train": {"post": {
        "summary": "Train a model from a training payload; answers with the archive (204 with callback_url)",
        "tags": ["Model"], "parameters": _TRAIN_PARAMETERS,
        "requestBody": {"required": True, "content": {
            "application/x-yaml": {"schema": {"type": "string", "description": (
                "one YAML document: config (language, pipeline, policies), domain and data (nlu, stories, rules)")}},
            "application/json": {"schema": _ref("TrainJsonBody")}}},
        "responses": {"200": {"description": "The model archive; its name is in the `filename` header",
                              "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}},
                      "204": {"description": "Training started; the archive will be POSTed to callback_url"},
                      "400": _ERROR, "401": _ERROR, "500": _ERROR}}},
    "/model/test/intents": {"post": _op(
        "Evaluate the served NLU on test data (YAML or Rasa's JSON in the body)", _json({"type": "object"}),
        tag="Model", body={"required": True, "content": {"application/x-yaml": {"schema": _NLU_YAML},
                                                          "application/json": {"schema": _ref("NluTestData")}}},
        errors=(400, 401, 409, 503))},
    "/model/test/stories": {"post": _op(
        "Evaluate the served model on test stories (YAML in the body)", _json({"type": "object"}), tag="Model",
        body={"required": True, "content": {"application/x-yaml": {"schema": _STORIES_YAML}}},
        errors=(400, 401, 503))},
    "/model/predict": {"post": _op(
        "Scores of every action after the given events (nothing is stored)", _json(_ref("PredictResult")),
        tag="Model", body=_body(_ref("EventsBody")), errors=(400, 401, 503))},
    "/conversations/{conversation_id}/story": {"get": _op(
        "The conversation as a Rasa story", {"description": "Story YAML", "content": {
            "application/x-yaml": {"schema": {"type": "string"}}}}, tag="Tracker",
        params=[_CONVERSATION_ID, {"name": "all_sessions", "in": "query", "required": False,
                                   "schema": {"type": "boolean", "default": False}}], errors=(401, 503))},
    "/conversations/{conversation_id}/predict": {"post": _op(
        "Scores of every action for the next step (nothing is run)", _json(_ref("PredictResult")),
        tag="Tracker", params=[_CONVERSATION_ID], errors=(401, 404, 503))},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "status", "code"], "properties": {
        "error": {"type": "string"}, "detail": {}, "reason": {"type": "string"},
        "status": {"type": "string", "enum": ["failure"]}, "message": {"type": "string"},
        "code": {"type": "integer"}}},
    "RestMessage": {"type": "object", "required": ["message"], "properties": {
        "sender": {"type": "string", "default": "default"}, "message": {"type": "string"},
        "metadata": {"type": "object"}}},
    "BotMessage": {"type": "object", "properties": {
        "recipient_id": {"type": "string"}, "text": {"type": "string"}, "image": {"type": "string"},
        "buttons": {"type": "array", "items": {"type": "object", "properties": {
            "title": {"type": "string"}, "payload": {"type": "string"}}}},
        "attachment": {}, "custom": {}, "elements": {"type": "array"}, "quick_replies": {"type": "array"}}},
    "ParseResult": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"}, "intent": _ref("Intent"),
        "intent_ranking": {"type": "array", "items": _ref("Intent")},
        "entities": {"type": "array", "items": _ref("Entity")}}},
    "Tracker": {"type": "object", "properties": {
        "sender_id": {"type": "string"}, "slots": {"type": "object"}, "latest_message": {"type": "object"},
        "latest_event_time": {"type": "number", "nullable": True},
        "followup_action": {"type": "string", "nullable": True}, "paused": {"type": "boolean"},
        "events": {"type": "array", "nullable": True, "items": _ref("EventBody")},
        "latest_input_channel": {"type": "string", "nullable": True}, "active_loop": {"type": "object"},
        "latest_action": {"type": "object", "nullable": True},
        "latest_action_name": {"type": "string", "nullable": True}}},
    "PredictResult": {"type": "object", "properties": {
        "scores": {"type": "array", "items": {"type": "object", "properties": {
            "action": {"type": "string"}, "score": {"type": "number"}}}},
        "policy": {"type": "string", "nullable": True}, "confidence": {"type": "number"},
        "action": {"type": "string"}, "tracker": _ref("Tracker")}},
    "Status": {"type": "object", "properties": {
        "model_file": {"type": "string", "nullable": True}, "model_id": {"type": "string", "nullable": True},
        "fingerprint": {"type": "object"}, "num_active_training_jobs": {"type": "integer"}}},
    "Health": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["ok", "failed"]}, "checks": {"type": "object"},
        "uptime_seconds": {"type": "number", "nullable": True}}},
}


def _nullable_as_type(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as 3.1 writes it: `type: [..., "null"]`."""
    if isinstance(node, dict):
        node = {key: _nullable_as_type(value) for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_as_type(value) for value in node]
    return node


def openapi_document(*, api_enabled: bool = True, token: bool = False) -> dict[str, Any]:
    """The document for a server with or without the API routes (and with or without a token)."""
    paths: dict[str, Any] = {**OPEN_PATHS}
    if api_enabled:
        for path, operations in _API_PATHS.items():
            if token:
                operations = {method: {**op, "security": [{"TokenQuery": []}, {"BearerToken": []}]}
                              for method, op in operations.items()}
            paths[path] = operations
    return {
        "openapi": "3.1.0",  # its schemas are JSON Schema 2020-12, as pydantic writes them
        "info": {"title": "bot server", "version": bot.__version__,
                 "description": "Rasa-compatible HTTP API and REST channel."},
        "paths": paths,
        "components": {
            "schemas": _nullable_as_type({**_SCHEMAS, **request_schemas(),
                                          "TrainJsonBody": TrainJsonBody.model_json_schema()}),
            "responses": {"Error": _json(_ref("Error"), "Error")},
            "securitySchemes": {
                "TokenQuery": {"type": "apiKey", "in": "query", "name": "token"},
                "BearerToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
