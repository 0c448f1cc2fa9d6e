"""Rasa's built-in actions (listen, restart, session start, fallback, back, ...) plus our handover placeholder.

Each behaves as its Rasa 3.x namesake; the optional `utter_*` responses they send are used only
when the domain defines them.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from bot.core.actions.action import Action, ActionContext, bot_uttered
from bot.core.actions.response_actions import ResponseAction
from bot.shared.core.domain.constants import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_HANDOVER,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_SEND_TEXT,
    ACTION_SESSION_START,
    ACTION_UNLIKELY_INTENT,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
    REQUESTED_SLOT,
    SESSION_START_METADATA_SLOT,
)
from bot.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)


class ActionListen(Action):
    """The bot waits for the user; no events."""

    def __init__(self) -> None:
        super().__init__(ACTION_LISTEN)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return []


class _ResponseThen(Action):
    """Sends an optional response (silently skipped when undefined), then fixed events."""

    response_name: str = ""

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        said = await ResponseAction(self.response_name, silent=True).run(tracker, context)
        return said + self.events_after()

    def events_after(self) -> list[Event]:
        return []


class ActionRestart(_ResponseThen):
    """`utter_restart` if defined, then `Restarted` (history ignored, slots reset)."""

    response_name = "utter_restart"

    def __init__(self) -> None:
        super().__init__(ACTION_RESTART)

    def events_after(self) -> list[Event]:
        return [Restarted()]


class ActionDefaultFallback(_ResponseThen):
    """`utter_default` if defined, then the user's message is reverted (as if never said)."""

    response_name = "utter_default"

    def __init__(self) -> None:
        super().__init__(ACTION_DEFAULT_FALLBACK)

    def events_after(self) -> list[Event]:
        return [UserUtteranceReverted()]


class ActionBack(_ResponseThen):
    """`utter_back` if defined, then two user turns are reverted ("back" and the turn before it)."""

    response_name = "utter_back"

    def __init__(self) -> None:
        super().__init__(ACTION_BACK)

    def events_after(self) -> list[Event]:
        return [UserUtteranceReverted(), UserUtteranceReverted()]


class ActionDefaultAskRephrase(_ResponseThen):
    """`utter_ask_rephrase` if defined (the second stage of the two-stage fallback)."""

    response_name = "utter_ask_rephrase"

    def __init__(self) -> None:
        super().__init__(ACTION_DEFAULT_ASK_REPHRASE)


class ActionSessionStart(Action):
    """Starts a session: `SessionStarted`, carried-over slots, session metadata, then `action_listen`.

    `metadata` is what the client sent with the message that opened the session; it is stored in
    the `session_started_metadata` slot (the processor passes it through `action_for_name`).
    """

    def __init__(self, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(ACTION_SESSION_START)
        self.metadata = metadata

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        events: list[Event] = [SessionStarted()]
        if context.domain.session_config.carry_over_slots:
            events += [SlotSet(event.key, event.value, metadata=dict(event.metadata))
                       for event in tracker.applied_events() if isinstance(event, SlotSet)]
        if self.metadata:
            events.append(SlotSet(SESSION_START_METADATA_SLOT, self.metadata))
        events.append(ActionExecuted(ACTION_LISTEN))
        return events


class ActionDeactivateLoop(Action):
    """Ends the active loop (form) and clears `requested_slot`."""

    def __init__(self) -> None:
        super().__init__(ACTION_DEACTIVATE_LOOP)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]


class ActionUnlikelyIntent(Action):
    """Marks an unexpected intent (predicted by UnexpecTEDIntentPolicy); no events."""

    def __init__(self) -> None:
        super().__init__(ACTION_UNLIKELY_INTENT)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return []


class ActionSendText(Action):
    """Sends the message in the prediction's metadata (`{"message": {"text": ...}}`), else an empty text."""

    def __init__(self, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(ACTION_SEND_TEXT)
        self.metadata = metadata

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        message = copy.deepcopy((self.metadata or {}).get("message")) or {"text": ""}
        return [bot_uttered(message)]


class ActionDefaultAskAffirmation(Action):
    """Asks "Did you mean '<intent>'?" with Yes (`/<intent>`) and No (`/out_of_scope`) buttons.

    When the top intent is `nlu_fallback`, the intent asked about is the runner-up.
    Override it with a custom action of the same name for friendlier wording.
    """

    def __init__(self) -> None:
        super().__init__(ACTION_DEFAULT_ASK_AFFIRMATION)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        message = tracker.latest_message
        intent = message.intent_name
        ranking = message.parse_data.get("intent_ranking") or []
        if intent == INTENT_NLU_FALLBACK and len(ranking) > 1:
            intent = ranking[1].get("name")
        response = {
            "text": f"Did you mean '{intent}'?",
            "buttons": [{"title": "Yes", "payload": f"/{intent}"},
                        {"title": "No", "payload": f"/{INTENT_OUT_OF_SCOPE}"}],
        }
        return [bot_uttered(response, self.name())]


class ActionRevertFallbackEvents(Action):
    """Removes the turns of a finished two-stage fallback so that the story looks like the happy path."""

    def __init__(self) -> None:
        super().__init__(ACTION_REVERT_FALLBACK_EVENTS)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        if last_action_was(tracker, ACTION_DEFAULT_ASK_REPHRASE):
            return _rephrasing_reverted() + [_copy_of_last_user_message(tracker)]
        if last_action_was(tracker, ACTION_DEFAULT_ASK_AFFIRMATION):
            events = [UserUtteranceReverted(), UserUtteranceReverted(), ActionExecuted(ACTION_LISTEN)]
            if last_action_was(tracker, ACTION_DEFAULT_ASK_REPHRASE, skip=1):
                events += _rephrasing_reverted()
            last = _copy_of_last_user_message(tracker)
            if isinstance(last.parse_data.get("intent"), dict):
                last.parse_data["intent"]["confidence"] = 1.0
            return events + [last]
        return []


def last_action_was(tracker: DialogueStateTracker, name: str, skip: int = 0) -> bool:
    """Whether the latest executed action other than action_listen (skipping `skip`) is `name`."""
    actions = [event.action_name for event in reversed(tracker.applied_events())
               if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN]
    return len(actions) > skip and actions[skip] == name


def _copy_of_last_user_message(tracker: DialogueStateTracker) -> UserUttered:
    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            return copy.deepcopy(event)
    raise LookupError("there is no user message to restore")


def _rephrasing_reverted() -> list[Event]:
    # the rephrased message, the "no" and the rephrase request, the affirmation request and the
    # misunderstood message: three user turns, then the turn ends with a listen
    return [UserUtteranceReverted(), UserUtteranceReverted(), UserUtteranceReverted(),
            ActionExecuted(ACTION_LISTEN)]


class HandoverPlaceholderAction(Action):
    """`action_handover` while the human handover module is not installed.

    Sends `utter_handover` when the domain defines it and nothing else; the handover package
    replaces this action through `bot.core.actions.registry.register_default_action`.
    """

    def __init__(self) -> None:
        super().__init__(ACTION_HANDOVER)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        logger.warning("action_handover ran, but the handover module is not installed: no agent is notified "
                       "for conversation %s", tracker.sender_id)
        return await ResponseAction("utter_handover", silent=True).run(tracker, context)
