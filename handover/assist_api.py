"""`/handover/` routes that help an agent work a conversation: suggested replies and labels.

  GET  /handover/conversations/{id}/suggestions                    -> {"conversation_id", "for_message", "suggestions"}
  POST /handover/conversations/{id}/suggestions/{suggestion_id}/used | dismissed   -> 204
  PUT  /handover/conversations/{id}/labels {"labels": [...]}       -> the conversation item
Who may: every agent who may see the conversation (as for notes); roles are checked here, on the server.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from bot.server.errors import ApiError, bad_request, json_body
from handover.api import caller_of, conversation_summary, decode_id, json_object, visible_row
from handover.labels import InvalidLabels, parse_labels, set_labels
from handover.runtime import HandoverRuntime, runtime
from handover.suggestion_store import FEEDBACK_ACTIONS

__all__ = ["assist_blueprint"]


def assist_blueprint() -> Blueprint:
    """A fresh blueprint (Sanic binds a blueprint to one app)."""
    bp = Blueprint("handover_assist", url_prefix="/handover")

    @bp.get("/conversations/<conversation_id:str>/suggestions")
    async def suggestions(request: Request, conversation_id: str) -> HTTPResponse:
        """Replies the bot's model suggests for the customer's latest message, best first."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        tracker = await rt.tracker(row["sender_id"])
        return json(await _assist(rt).for_tracker(tracker))

    for action in FEEDBACK_ACTIONS:  # .../used and .../dismissed
        bp.add_route(_feedback_route(action), f"/conversations/<conversation_id:str>/suggestions/"
                     f"<suggestion_id:str>/{action}", methods=["POST"], name=f"suggestion_{action}")

    @bp.put("/conversations/<conversation_id:str>/labels")
    async def labels(request: Request, conversation_id: str) -> HTTPResponse:
        """Replaces the conversation's labels; every console that shows it hears the change."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        body = json_object(json_body(request))
        if "labels" not in body:
            raise bad_request("'labels' is required: a list of strings, e.g. [\"refund\", \"vip\"].", "labels")
        try:
            wanted = parse_labels(body["labels"])
        except InvalidLabels as error:
            raise bad_request(error.message, "labels") from None
        row = await visible_row(rt, caller, decode_id(conversation_id))
        updated = await set_labels(rt.service, caller.agent.username, row["sender_id"], wanted)
        return json(conversation_summary(updated))

    return bp


def _feedback_route(action: str) -> Any:
    async def feedback(request: Request, conversation_id: str, suggestion_id: str) -> HTTPResponse:
        """Records that you inserted (`used`) or waved away (`dismissed`) a suggestion."""
        caller = await caller_of(request)
        rt = runtime(request.app)
        row = await visible_row(rt, caller, decode_id(conversation_id))
        if not await _assist(rt).feedback(caller.agent.username, row["sender_id"], suggestion_id, action):
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound",
                           f"No suggestion '{suggestion_id}' was offered in conversation '{row['sender_id']}'.")
        return empty(status=204)

    return feedback


def _assist(rt: HandoverRuntime) -> Any:
    if rt.assist is None:
        raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "AssistUnavailable",
                       "Suggestions need the served model; this server runs the handover without one.")
    return rt.assist
