"""Rasa 3.6's routes for testing and inspecting the served model (blueprint "testing_api"):
`POST /model/test/intents`, `POST /model/test/stories`, `POST /model/predict` and
`GET /conversations/{id}/story`. They use the same evaluation code as `bot test`. Behind the token.
"""

from __future__ import annotations

import asyncio
from functools import partial
from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from bot.server.auth import check_token
from bot.server.errors import ApiError, bad_request, json_body
from bot.server.requests import NluTestData, events_from_body, validated
from bot.server.state import server_state
from bot.shared.errors import BotError

__all__ = ["testing_blueprint"]


def _body_text(request: Request) -> str:
    if not request.body:
        raise bad_request("The request body is empty; send the test data as YAML (or Rasa's JSON).", "body")
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The request body is not UTF-8 text.", "body") from None


def _invalid(error: BotError) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", f"The test data cannot be read: {error.message}",
                    {"parameter": "body", "in": "body", "location": error.location}, hint=error.hint)


def _nlu_test_data(request: Request) -> Any:
    """NLU YAML, or Rasa's JSON format checked against `NluTestData` first (a 400 naming the wrong field)."""
    from bot.shared.nlu.readers import read_nlu_text
    from bot.shared.nlu.readers.other_formats import read_rasa_json_text

    body = _body_text(request)
    try:
        if body.lstrip().startswith("{"):
            validated(NluTestData, json_body(request))
            data = read_rasa_json_text(body, "body")
        else:
            data = read_nlu_text(body, "body")
    except BotError as error:
        raise _invalid(error) from None
    if not data.intent_examples:
        raise bad_request("The test data has no intent examples (YAML with 'nlu:' or Rasa's JSON).", "body")
    return data


def testing_blueprint() -> Blueprint:
    """A fresh "testing_api" blueprint."""
    blueprint = Blueprint("testing_api")

    @blueprint.on_request
    async def authenticate(request: Request) -> None:
        check_token(request, server_state(request.app).settings.auth_token)

    @blueprint.post("/model/test/intents")
    async def test_intents(request: Request) -> HTTPResponse:
        """Parses NLU test data with the served model; Rasa's intent/entity/response selection evaluation."""
        from bot.nlu.evaluation import entity_extractors, parse_examples
        from bot.nlu.evaluation.reports import rasa_test_response

        data = _nlu_test_data(request)
        nlu = server_state(request.app).require_agent().processor.nlu
        if nlu is None:
            raise ApiError(HTTPStatus.CONFLICT, "NoNLUModel", "The served model has no NLU part.")
        # parsing hundreds of messages is CPU work: off the event loop
        results = await asyncio.get_running_loop().run_in_executor(
            None, partial(parse_examples, nlu.parse, data.intent_examples))
        return json(rasa_test_response(results, entity_extractors(nlu.pipeline_config, results)))

    @blueprint.post("/model/test/stories")
    async def test_stories(request: Request) -> HTTPResponse:
        """Replays test stories (YAML) against the served model; Rasa's story evaluation report."""
        from bot.core.evaluation.story_evaluation import evaluate_stories
        from bot.shared.core.stories_yaml import read_story_text
        from bot.shared.core.story_graph import expand_stories

        try:
            blocks = read_story_text(_body_text(request), "body", is_test=True)
        except BotError as error:
            raise _invalid(error) from None
        if not blocks:
            raise bad_request("The body has no stories (YAML with 'stories:').", "body")
        processor = server_state(request.app).require_agent().processor
        report = await evaluate_stories(expand_stories(blocks), processor.domain, processor.nlu, processor.policies)
        summary = report.summary()
        return json({**summary, "accuracy": summary["action_accuracy"], "f1": summary["action_f1"],
                     "is_end_to_end_evaluation": False,
                     "failed_stories": [s.name for s in report.stories if not s.passed]})

    @blueprint.post("/model/predict")
    async def predict(request: Request) -> HTTPResponse:
        """The next action's scores for a conversation given as a list of events (nothing is stored)."""
        from bot.core.tracker import DialogueStateTracker

        body = json_body(request)
        if not isinstance(body, list):
            raise bad_request("The body must be a JSON list of events, e.g. [{\"event\": \"user\", ...}].", "body")
        events = [event.as_dict() for event in events_from_body(body, allow_empty=True)]
        processor = server_state(request.app).require_agent().processor
        try:
            tracker = DialogueStateTracker.from_dicts("default", events, processor.domain)
        except BotError as error:
            raise bad_request(f"An event cannot be read: {error}", "body") from None
        result = processor.predict_for(tracker)
        result["scores"] = sorted(result["scores"], key=lambda s: (-s["score"], s["action"]))
        return json(result)

    @blueprint.get("/conversations/<conversation_id:path>/story")
    async def story(request: Request, conversation_id: str) -> HTTPResponse:
        """The conversation as a Rasa story (YAML); `all_sessions=true` for every session, not only the latest."""
        from bot.shared.core.story_writer import stories_yaml

        all_sessions = (request.args.get("all_sessions") or "").lower() in ("true", "1", "yes")
        processor = server_state(request.app).require_agent().processor
        events = await processor.conversation_events(conversation_id, all_sessions=all_sessions)
        return text(stories_yaml(conversation_id, events), content_type="application/x-yaml")

    return blueprint
