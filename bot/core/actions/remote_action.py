"""Custom actions (rasa_sdk) seen from the dialogue engine: call the executor, turn its answer into events.

`RemoteAction` is what `action_for_name` returns for every action that is neither built in, a
response nor a form. `call_custom_action` is the lower-level call that forms and slot extraction
use, because they treat a missing or failing action differently from a predicted one.

A predicted custom action that cannot run (not found, or it raised) does not leave the user
without an answer: Rasa only logs the error, we also send the domain response
`utter_action_failed` (or a neutral English sentence when the domain has none).
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

from bot.core.actions.action import Action, ActionContext
from bot.core.actions.action_executor import ActionFailed, ActionNotFound, ActionRejected
from bot.shared.core.domain import Domain
from bot.shared.core.events import ActionExecutionRejected, BotUttered, Event

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = [
    "ACTION_FAILED_RESPONSE",
    "DEFAULT_FAILURE_TEXT",
    "RemoteAction",
    "call_custom_action",
    "failure_response",
    "message_to_event",
]

logger = logging.getLogger(__name__)

ACTION_FAILED_RESPONSE = "utter_action_failed"
DEFAULT_FAILURE_TEXT = "Sorry, something went wrong on our side. Please try again in a moment."

# Keys of a dispatcher message that become BotUttered.data; everything else is metadata (as in Rasa).
_DATA_KEYS = ("elements", "quick_replies", "buttons", "attachment", "image", "custom")
_NO_SUCH_EXECUTOR = "this assistant (no custom action executor is configured)"

# Domain.as_dict() copies every response; an assistant sends the same domain on every call.
_domain_json: dict[int, tuple[weakref.ref[Domain], dict[str, Any]]] = {}


def _domain_as_dict(domain: Domain) -> dict[str, Any]:
    cached = _domain_json.get(id(domain))
    if cached is not None and cached[0]() is domain:
        return cached[1]
    data = domain.as_dict()
    _domain_json[id(domain)] = (weakref.ref(domain), data)
    return data


async def call_custom_action(name: str, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
    """Runs custom action `name` through the context's executor: bot messages first, then its events.

    Raises the executor's ActionNotFound, ActionRejected or ActionFailed.
    """
    if context.executor is None:
        raise ActionNotFound(
            name, _NO_SUCH_EXECUTOR,
            hint="create an `actions` package with rasa_sdk actions in the project, or set "
                 "`action_endpoint: url:` in endpoints.yml")
    result = await context.executor.run(name, tracker.current_state(), _domain_as_dict(context.domain))
    messages: list[Event] = []
    for message in result.responses:
        event = message_to_event(dict(message), tracker, context)
        if event is not None:
            messages.append(event)
    try:
        events = [Event.from_dict(item) for item in result.events]
    except Exception as error:  # executors validate already; a third-party one may not
        raise ActionFailed(name, f"it returned an invalid event: {error}") from error
    return messages + events


def message_to_event(message: dict[str, Any], tracker: DialogueStateTracker,
                     context: ActionContext) -> BotUttered | None:
    """A dispatcher message as a BotUttered; `response="utter_x"` renders that domain response.

    The message's other keys fill the response's {placeholders} (after the slots), its buttons are
    appended to the response's, and its non-empty values override the response's (Rasa's rules).
    None when the named response does not exist (logged).
    """
    response_name = message.pop("response", None) or message.get("template")
    draft: dict[str, Any] = {}
    if response_name:
        extra = {key: value for key, value in message.items() if value is not None}
        slots = {**tracker.current_slot_values(), **extra}
        variation = context.domain.response_for(response_name, slots, context.output_channel, context.rng)
        if variation is None:
            logger.error("Custom action asked for response '%s', which the domain does not define",
                         response_name)
            return None
        draft = dict(variation)
        draft["utter_action"] = response_name
    buttons = message.pop("buttons", None) or []
    if buttons:
        draft["buttons"] = [*(draft.get("buttons") or []), *buttons]
    draft.update({key: value for key, value in message.items() if value})
    return _draft_to_event(draft)


def _draft_to_event(draft: dict[str, Any]) -> BotUttered:
    data = {key: draft.pop(key, None) for key in _DATA_KEYS}
    # Older channels read images from "attachment"; Rasa fills it from "image" when empty.
    data["attachment"] = data["attachment"] or data["image"]
    text = draft.pop("text", None)
    metadata = dict(draft.pop("metadata", None) or {})
    for key in ("condition", "channel", "id"):  # a variation's selectors say nothing to the user
        draft.pop(key, None)
    metadata.update(draft)
    return BotUttered(text, data, metadata=metadata)


def failure_response(tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
    """What the user gets when a custom action could not run: `utter_action_failed` or a default."""
    event = context.response(ACTION_FAILED_RESPONSE, tracker)
    if event is None:
        event = BotUttered(DEFAULT_FAILURE_TEXT, {}, metadata={"utter_action": ACTION_FAILED_RESPONSE})
    return [event]


class RemoteAction(Action):
    """A custom action run by the executor (in-process rasa_sdk or an action server)."""

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """The action's messages and events; a rejection becomes `ActionExecutionRejected`."""
        try:
            return await call_custom_action(self.name(), tracker, context)
        except ActionRejected as rejection:
            logger.debug("Custom action '%s' rejected execution: %s", self.name(), rejection.reason)
            return [ActionExecutionRejected(self.name())]
        except (ActionNotFound, ActionFailed) as error:
            logger.error("%s", error)
            return failure_response(tracker, context)
