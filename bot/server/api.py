"""The HTTP API (blueprint "api"): conversations, model parse and status, in Rasa's shapes.

Every route here needs the token when one is configured (see `bot.server.auth`). Request
bodies are validated before anything runs: a wrong field is a 400 naming it, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.server.auth import authenticate
from bot.server.errors import ApiError, bad_request, json_body
from bot.server.logging import message_log
from bot.server.requests import (
    ExecuteBody,
    MessageBody,
    ParseBody,
    TriggerIntentBody,
    events_from_body,
    validated,
)
from bot.server.requests import conversation_id as decoded_id
from bot.server.state import server_state
from bot.shared.errors import BotError, ConversationConflict, UnknownConversation

__all__ = ["api_blueprint", "include_events_parameter"]

# Rasa's EventVerbosity names -> the tracker's `current_state(include_events=...)` values.
_VERBOSITY = {"ALL": "all", "AFTER_RESTART": "after_restart", "APPLIED": "applied", "NONE": None}
_API_CHANNEL = "rest"  # what Rasa records as the input channel of API-triggered turns


def include_events_parameter(request: Request, default: str = "AFTER_RESTART") -> str | None:
    """The `include_events` query parameter as a `current_state` argument; 400 when unknown."""
    value = (request.args.get("include_events") or default).upper()
    if value not in _VERBOSITY:
        raise bad_request(f"include_events must be one of {', '.join(_VERBOSITY)}, not '{value}'.",
                          "include_events", "query")
    return _VERBOSITY[value]


def _float_parameter(request: Request, name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise bad_request(f"{name} must be a number (a Unix timestamp), not '{raw}'.", name, "query") from None


def _object_body(request: Request) -> Mapping[str, Any]:
    body = json_body(request)
    if not isinstance(body, Mapping):
        raise bad_request("The request body must be a JSON object.", "body")
    return body


def api_blueprint() -> Blueprint:
    """A fresh "api" blueprint (Sanic binds a blueprint to one app)."""
    blueprint = Blueprint("api")

    @blueprint.on_request
    async def require_auth(request: Request) -> None:
        settings = server_state(request.app).settings
        raw_id = request.match_info.get("conversation_id")
        authenticate(request, settings.auth_token, settings.jwt,
                     decoded_id(raw_id) if raw_id is not None else None)

    @blueprint.get("/status")
    async def status(request: Request) -> HTTPResponse:
        """The loaded model: its file, id (fingerprint) and the trainings of `POST /model/train` under way."""
        from bot.server.training_api import active_training_jobs

        agent = server_state(request.app).require_agent()
        model = getattr(agent, "model", None)
        metadata = getattr(model, "metadata", None)
        fingerprint = dict(getattr(metadata, "fingerprint", None) or {})
        path = getattr(model, "path", None)
        return json({
            "model_file": str(path) if path is not None else None,
            "model_id": _model_id(fingerprint),
            "fingerprint": fingerprint,
            "num_active_training_jobs": active_training_jobs(request.app),
        })

    @blueprint.get("/domain")
    async def domain(request: Request) -> HTTPResponse:
        """The loaded domain as JSON (Rasa's `GET /domain` with `Accept: application/json`)."""
        return json(server_state(request.app).require_agent().processor.domain.as_dict())

    @blueprint.post("/model/parse")
    async def parse(request: Request) -> HTTPResponse:
        """NLU parse of `{"text", "message_id"?}`."""
        body = validated(ParseBody, _object_body(request))
        processor = server_state(request.app).require_agent().processor
        result = dict(await processor.parse_message(body.text))
        if body.message_id is not None:
            result["message_id"] = body.message_id
        return json(result)

    @blueprint.get("/conversations/<conversation_id:path>/tracker")
    async def tracker(request: Request, conversation_id: str) -> HTTPResponse:
        """The conversation's tracker (latest session); an unknown conversation is an empty one."""
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        until = _float_parameter(request, "until")
        processor = server_state(request.app).require_agent().processor
        tracker = await processor.fetch_tracker(conversation_id, until=until)
        return json(tracker.current_state(include))

    @blueprint.post("/conversations/<conversation_id:path>/tracker/events")
    async def append_events(request: Request, conversation_id: str) -> HTTPResponse:
        """Appends one event object or a list of them; returns the tracker."""
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        events = events_from_body(json_body(request))
        tracker = await server_state(request.app).require_agent().processor.append_events(conversation_id, events)
        return json(tracker.current_state(include))

    @blueprint.put("/conversations/<conversation_id:path>/tracker/events")
    async def replace_events(request: Request, conversation_id: str) -> HTTPResponse:
        """Replaces the conversation's events with the list in the body (Rasa's replace); returns the tracker.

        Every event is checked before anything is stored: one bad event is a 400 naming it, and the
        stored conversation stays as it was.
        """
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        body = json_body(request)
        if not isinstance(body, list):
            raise bad_request("The body must be a JSON list of events (the conversation's new history; [] empties "
                              "it), e.g. [{\"event\": \"action\", \"name\": \"action_listen\"}].", "body")
        events = events_from_body(body, allow_empty=True)
        processor = server_state(request.app).require_agent().processor
        try:
            tracker = await processor.replace_events(conversation_id, events)
        except ConversationConflict as error:  # a person is handling it (the human side refuses)
            raise ApiError(HTTPStatus.CONFLICT, "Conflict", error.message, {**error.detail, "hint": error.hint}) \
                from None
        except BotError as error:  # an event the tracker cannot take (the store was not touched)
            raise ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", f"The events cannot be stored: {error.message}",
                           {"parameter": "body", "in": "body"}, hint=error.hint) from None
        return json(tracker.current_state(include))

    @blueprint.post("/conversations/<conversation_id:path>/messages")
    async def add_message(request: Request, conversation_id: str) -> HTTPResponse:
        """Stores a user message without running actions (use /predict or /execute next)."""
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        raw = _object_body(request)
        if raw.get("sender") not in (None, "user"):
            raise bad_request(f"Only user messages can be added, not messages of sender '{raw['sender']}'.",
                              "sender")
        body = validated(MessageBody, raw)
        from bot.core.messages import UserMessage

        processor = server_state(request.app).require_agent().processor
        processor.message_limits.check_characters(body.text)  # also when parse_data skips NLU
        parse_data = raw.get("parse_data")
        message = UserMessage(body.text, conversation_id, _API_CHANNEL,
                              parse_data=_complete_parse_data(parse_data, body.text) if parse_data else None)
        tracker = await processor.log_message(message)
        return json(tracker.current_state(include))

    @blueprint.post("/conversations/<conversation_id:path>/trigger_intent")
    async def trigger_intent(request: Request, conversation_id: str) -> HTTPResponse:
        """Acts as if the user sent intent `name` with `entities`; returns tracker and bot messages."""
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        body = validated(TriggerIntentBody, _object_body(request))
        intent, entities = body.name, body.entities
        state = server_state(request.app)
        processor = state.require_agent().processor
        if intent not in processor.domain.intents:
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"The intent '{intent}' is not in the domain.",
                           {"parameter": "name", "in": "body"})
        with message_log(conversation_id, _API_CHANNEL, enabled=state.settings.log_messages):
            turn = await processor.trigger_intent(conversation_id, intent, dict(entities or {}), _API_CHANNEL)
        return json({"tracker": turn.tracker.current_state(include), "messages": turn.messages})

    @blueprint.post("/conversations/<conversation_id:path>/execute")
    async def execute(request: Request, conversation_id: str) -> HTTPResponse:
        """Runs action `name`, then lets the policies continue; returns tracker and bot messages."""
        conversation_id = decoded_id(conversation_id)
        include = include_events_parameter(request)
        body = validated(ExecuteBody, _object_body(request))
        action, policy, confidence = body.name, body.policy or None, body.confidence
        processor = server_state(request.app).require_agent().processor
        if action not in processor.domain.action_names_or_texts:
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"The action '{action}' is not in the domain.",
                           {"parameter": "name", "in": "body"},
                           hint="list it under 'actions:' in domain.yml and retrain")
        try:
            turn = await processor.execute_action(conversation_id, action, _API_CHANNEL, policy,
                                                  None if confidence is None else float(confidence),
                                                  existing_only=True)
        except UnknownConversation as error:
            raise _not_found(error) from None
        return json({"tracker": turn.tracker.current_state(include), "messages": turn.messages})

    @blueprint.post("/conversations/<conversation_id:path>/predict")
    async def predict(request: Request, conversation_id: str) -> HTTPResponse:
        """What the policies would do next (scores of every action), without doing it."""
        conversation_id = decoded_id(conversation_id)
        processor = server_state(request.app).require_agent().processor
        try:
            result = await processor.predict_next(conversation_id)
        except UnknownConversation as error:
            raise _not_found(error) from None
        result["scores"] = sorted(result["scores"], key=lambda s: (-s["score"], s["action"]))
        return json(result)

    return blueprint


def _model_id(fingerprint: Mapping[str, Any]) -> str | None:
    """One id for the model: a hash of its part fingerprints (Rasa's `model_id`)."""
    if not fingerprint:
        return None
    import hashlib

    joined = "|".join(f"{key}={fingerprint[key]}" for key in sorted(fingerprint))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def _not_found(error: UnknownConversation) -> ApiError:
    """404 for a conversation with no stored events (as Rasa's predict and execute)."""
    return ApiError(HTTPStatus.NOT_FOUND, "NotFound", error.message, {"parameter": "conversation_id", "in": "path"},
                    hint=error.hint)


def _complete_parse_data(parse_data: Mapping[str, Any], text: str | None) -> dict[str, Any]:
    """Given parse data with Rasa's defaults for the keys a client left out."""
    data = dict(parse_data)
    data.setdefault("text", text)
    intent = data.get("intent")
    if not isinstance(intent, Mapping):
        data["intent"] = {"name": intent, "confidence": 1.0} if isinstance(intent, str) else {}
    data.setdefault("entities", [])
    data.setdefault("intent_ranking", [data["intent"]] if data["intent"] else [])
    return data
