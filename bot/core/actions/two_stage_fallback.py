"""`action_two_stage_fallback`: when NLU is unsure, ask "did you mean ...?", then ask to rephrase, then give up.

A loop, as in Rasa 3 (used with the FallbackClassifier's `nlu_fallback` intent and a rule):

1. activation: ask the user to affirm the runner-up intent (`action_default_ask_affirmation`);
2. the user denies (`out_of_scope`): ask to rephrase (`action_default_ask_rephrase`);
3. a rephrased message that is understood ends the loop: the fallback turns are reverted and the
   clarified message is replayed with confidence 1.0, so the conversation continues as if the
   user had said it right away;
4. two `nlu_fallback`s in a row, or a second denial, end the loop with `action_default_fallback`.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

from bot.core.actions.action import ActionContext
from bot.core.actions.loops import LoopAction
from bot.shared.core.domain.constants import (
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_LISTEN,
    ACTION_TWO_STAGE_FALLBACK,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
)
from bot.shared.core.events import ActionExecuted, ActiveLoop, Event, UserUtteranceReverted, UserUttered

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = ["TwoStageFallbackAction"]


class TwoStageFallbackAction(LoopAction):
    """The two-stage fallback loop; the ask/give-up steps run whatever those action names resolve to
    (so a project may override them with custom actions)."""

    def __init__(self) -> None:
        super().__init__(ACTION_TWO_STAGE_FALLBACK)

    async def do(self, tracker: DialogueStateTracker, context: ActionContext,
                 events_so_far: list[Event]) -> list[Event]:
        just_activated = any(isinstance(event, ActiveLoop) for event in events_so_far)
        if just_activated or tracker.latest_message.intent_name == INTENT_NLU_FALLBACK:
            return await _run(ACTION_DEFAULT_ASK_AFFIRMATION, tracker, context)
        return await _run(ACTION_DEFAULT_ASK_REPHRASE, tracker, context)

    async def is_done(self, tracker: DialogueStateTracker, context: ActionContext,
                      events_so_far: list[Event]) -> bool:
        clarified = tracker.latest_message.intent_name not in (INTENT_NLU_FALLBACK, INTENT_OUT_OF_SCOPE)
        return clarified or _two_fallbacks_in_a_row(tracker) or _second_affirmation_failed(tracker)

    async def deactivate(self, tracker: DialogueStateTracker, context: ActionContext,
                         events_so_far: list[Event]) -> list[Event]:
        # Both endings revert user turns. Rasa's tracker folds the loop's turns together so that the
        # revert also undoes the activation; a second ActiveLoop(None) after the revert makes the
        # deactivation hold whichever way the tracker replays (harmless when it was undone already).
        if _two_fallbacks_in_a_row(tracker) or _second_affirmation_failed(tracker):
            return [*await _run(ACTION_DEFAULT_FALLBACK, tracker, context), ActiveLoop(None)]
        clarification = copy.deepcopy(tracker.latest_message)
        intent = clarification.parse_data.get("intent")
        if isinstance(intent, dict):
            intent["confidence"] = 1.0
        clarification.timestamp = time.time()
        return [UserUtteranceReverted(), ActiveLoop(None), ActionExecuted(ACTION_LISTEN), clarification]


async def _run(name: str, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
    from bot.core.actions.registry import action_for_name

    return await action_for_name(name, context.domain).run(tracker, context)


def _last_intent_names(tracker: DialogueStateTracker, count: int) -> list[str | None]:
    """Intents of the latest `count` user messages, stopping at a revert (a reverted turn breaks the row)."""
    names: list[str | None] = []
    relevant = [event for event in tracker.events_after_latest_restart()
                if isinstance(event, (UserUttered, UserUtteranceReverted))]
    for event in reversed(relevant[-count:] if count else []):
        if isinstance(event, UserUttered):
            names.append(event.intent_name)
    return names


def _two_fallbacks_in_a_row(tracker: DialogueStateTracker) -> bool:
    return _last_intent_names(tracker, 2) == [INTENT_NLU_FALLBACK, INTENT_NLU_FALLBACK]


def _second_affirmation_failed(tracker: DialogueStateTracker) -> bool:
    return _last_intent_names(tracker, 3) == [INTENT_OUT_OF_SCOPE, INTENT_NLU_FALLBACK, INTENT_OUT_OF_SCOPE]
