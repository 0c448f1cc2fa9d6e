"""Actions that say something from the domain: `utter_*` responses, retrieval responses, e2e texts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.core.actions.action import Action, ActionContext, bot_uttered
from bot.shared.core.domain.constants import RETRIEVAL_SEPARATOR, UTTER_PREFIX
from bot.shared.core.events import Event
from bot.shared.nlu.constants import RESPONSE_SELECTOR

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = ["EndToEndResponseAction", "ResponseAction", "RetrievalResponseAction", "retrieval_intent_of"]

logger = logging.getLogger(__name__)

# The response selector's key for a selector trained on all retrieval intents at once.
DEFAULT_SELECTOR_KEY = "default"


class ResponseAction(Action):
    """`utter_x`: sends one variation of the domain response `utter_x`, filled with the slots.

    A missing response is logged (unless `silent`) and the action sends nothing.
    """

    def __init__(self, name: str, response_name: str | None = None, *, silent: bool = False) -> None:
        super().__init__(name)
        self.response_name = response_name or name
        self.silent = silent

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        event = context.response(self.response_name, tracker)
        if event is None:
            if not self.silent:
                logger.error("Cannot utter '%s': the domain has no usable variation of response '%s' "
                             "(add it under 'responses:' in domain.yml)", self.name(), self.response_name)
            return []
        return [event]


def retrieval_intent_of(action_name: str) -> str:
    """`utter_faq` -> `faq`: the retrieval intent a retrieval action answers."""
    return action_name[len(UTTER_PREFIX):] if action_name.startswith(UTTER_PREFIX) else action_name


class RetrievalResponseAction(Action):
    """`utter_<retrieval intent>`: sends the response the response selector picked for the message.

    The selector's output under the retrieval intent's key (or "default") names a full response
    such as `utter_faq/ask_hours`, which is rendered from the domain like any response, so
    conditional variations and channels apply.
    """

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        selected = self._selection(tracker)
        if selected is None:
            logger.error("Cannot utter '%s': the latest message has no response selector output for "
                         "'%s' (is a ResponseSelector for it in the NLU pipeline?)",
                         self.name(), retrieval_intent_of(self.name()))
            return []
        prediction = selected.get("response") or {}
        response_name = _full_response_name(prediction)
        if response_name is None:
            logger.error("Cannot utter '%s': the response selector output names no response", self.name())
            return []
        event = context.response(response_name, tracker)
        if event is not None:
            return [event]
        # Rasa would say nothing; the selector carries the texts it was trained on, so use them.
        fallback = _variation_from_selector(prediction)
        if fallback is None:
            logger.error("Cannot utter '%s': the domain has no response '%s'", self.name(), response_name)
            return []
        return [bot_uttered(fallback, response_name)]

    def _selection(self, tracker: DialogueStateTracker) -> dict[str, Any] | None:
        properties = tracker.latest_message.parse_data.get(RESPONSE_SELECTOR) or {}
        intent = retrieval_intent_of(self.name())
        if intent in properties:
            return properties[intent]
        return properties.get(DEFAULT_SELECTOR_KEY)


def _full_response_name(prediction: dict[str, Any]) -> str | None:
    for key in ("utter_action", "template_name"):
        if prediction.get(key):
            return str(prediction[key])
    key = prediction.get("intent_response_key")
    if key and RETRIEVAL_SEPARATOR in str(key):
        return f"{UTTER_PREFIX}{key}"
    return None


def _variation_from_selector(prediction: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("responses", "response_templates"):
        variations = prediction.get(key)
        if isinstance(variations, list) and variations and isinstance(variations[0], dict):
            return dict(variations[0])
    return None


class EndToEndResponseAction(Action):
    """An end-to-end bot turn (a literal text in stories instead of an action name): says that text."""

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [bot_uttered({"text": self.name()})]
