"""Which `Action` runs for an action name: built-in, response, retrieval, end-to-end text, form or custom.

    action = action_for_name("utter_greet", domain)
    events = await action.run(tracker, ActionContext(domain, executor, "rest"))
    if is_rejection(action.name(), events): ...   # log the events without ActionExecuted

The order follows Rasa 3.x: a built-in action wins unless the domain lists a custom action or
form of the same name; then retrieval actions (`utter_<retrieval intent>`), end-to-end texts,
`utter_*` responses, forms, and anything else is a custom action run by the executor.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from bot.core.actions.action import Action
from bot.core.actions.action_executor import ActionNotFound
from bot.core.actions.default_actions import (
    ActionBack,
    ActionDeactivateLoop,
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
    ActionListen,
    ActionRestart,
    ActionRevertFallbackEvents,
    ActionSendText,
    ActionSessionStart,
    ActionUnlikelyIntent,
    HandoverPlaceholderAction,
)
from bot.core.actions.extract_slots import ActionExtractSlots
from bot.core.actions.forms import FormAction
from bot.core.actions.remote_action import RemoteAction
from bot.core.actions.response_actions import (
    EndToEndResponseAction,
    ResponseAction,
    RetrievalResponseAction,
    retrieval_intent_of,
)
from bot.core.actions.two_stage_fallback import TwoStageFallbackAction
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_EXTRACT_SLOTS,
    ACTION_HANDOVER,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_SEND_TEXT,
    ACTION_SESSION_START,
    ACTION_TWO_STAGE_FALLBACK,
    ACTION_UNLIKELY_INTENT,
    UTTER_PREFIX,
)
from bot.shared.core.events import ActionExecutionRejected, Event

__all__ = ["DefaultActionFactory", "action_for_name", "default_action_names", "is_rejection",
           "register_default_action"]

# A factory gets the prediction's metadata (session start and action_send_text use it).
DefaultActionFactory = Callable[[dict[str, Any] | None], Action]

_DEFAULTS: dict[str, DefaultActionFactory] = {
    ACTION_LISTEN: lambda metadata: ActionListen(),
    ACTION_RESTART: lambda metadata: ActionRestart(),
    ACTION_SESSION_START: lambda metadata: ActionSessionStart(metadata),
    ACTION_DEFAULT_FALLBACK: lambda metadata: ActionDefaultFallback(),
    ACTION_DEACTIVATE_LOOP: lambda metadata: ActionDeactivateLoop(),
    ACTION_REVERT_FALLBACK_EVENTS: lambda metadata: ActionRevertFallbackEvents(),
    ACTION_DEFAULT_ASK_AFFIRMATION: lambda metadata: ActionDefaultAskAffirmation(),
    ACTION_DEFAULT_ASK_REPHRASE: lambda metadata: ActionDefaultAskRephrase(),
    ACTION_TWO_STAGE_FALLBACK: lambda metadata: TwoStageFallbackAction(),
    ACTION_UNLIKELY_INTENT: lambda metadata: ActionUnlikelyIntent(),
    ACTION_BACK: lambda metadata: ActionBack(),
    ACTION_SEND_TEXT: lambda metadata: ActionSendText(metadata),
    ACTION_EXTRACT_SLOTS: lambda metadata: ActionExtractSlots(),
    ACTION_HANDOVER: lambda metadata: HandoverPlaceholderAction(),
}


# Names whose implementation a plugin installed; these win even when the domain lists the name
# (a project lists `action_handover` under `actions:` to use it in stories).
_PLUGGED_IN: set[str] = set()


def register_default_action(name: str, factory: DefaultActionFactory) -> None:
    """Installs (or replaces) a built-in action; the handover package registers `action_handover` here.

    Without a plugin, a project's own custom action of a built-in name replaces the built-in,
    as in Rasa; a plugged-in action replaces the project's.
    """
    _DEFAULTS[name] = factory
    _PLUGGED_IN.add(name)


def default_action_names() -> list[str]:
    """Names with a built-in implementation."""
    return list(_DEFAULTS)


def action_for_name(name: str, domain: Domain, *, metadata: dict[str, Any] | None = None) -> Action:
    """The action to run for `name`; raises ActionNotFound when the domain does not know it.

    `metadata` is the prediction's action metadata (or, for `action_session_start`, the
    metadata of the message that opened the session).
    """
    if name not in domain.action_names_or_texts and name not in _DEFAULTS:
        close = difflib.get_close_matches(name, domain.action_names_or_texts, n=1)
        raise ActionNotFound(
            name, "the domain",
            hint=(f"did you mean '{close[0]}'? " if close else "")
            + f"list '{name}' under 'actions:' (or define the response/form) in domain.yml and retrain")
    overridden = name in domain.user_actions_and_forms and name not in _PLUGGED_IN
    if name in _DEFAULTS and not overridden:
        return _DEFAULTS[name](metadata)
    if name.startswith(UTTER_PREFIX) and retrieval_intent_of(name) in domain.retrieval_intents:
        return RetrievalResponseAction(name)
    if name in domain.action_texts:
        return EndToEndResponseAction(name)
    if name.startswith(UTTER_PREFIX):
        return ResponseAction(name)
    # A custom action named like a form replaces the built-in form logic (as in Rasa).
    if name in domain.form_names and name not in domain.user_actions:
        return FormAction(name)
    return RemoteAction(name)


def is_rejection(action_name: str, events: list[Event]) -> bool:
    """Whether `events` from running `action_name` mean it refused to run (log no ActionExecuted)."""
    return any(isinstance(event, ActionExecutionRejected) and event.action_name == action_name
               for event in events)
