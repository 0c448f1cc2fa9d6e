"""`action_extract_slots`: fills slots from the latest user message after every turn (Rasa 3.x).

1. predefined mappings (from_entity, from_text, from_intent, from_trigger_intent) are evaluated by
   the domain's `extract_slot_values`; only changed values become `SlotSet`s;
2. each custom action named by a `type: custom` mapping whose intent and conditions apply runs
   once; only its `SlotSet`s and messages are kept (other events are dropped, as in Rasa);
3. when the domain lists `action_validate_slot_mappings` (a rasa_sdk `ValidationAction`), it
   validates everything found so far; a slot it returns no `SlotSet` for is kept as found.

Forms validate their own slots later, in the form (`validate_<form>`); custom mappings without
an `action` are filled there by the FormValidationAction's `extract_<slot>` methods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.actions.action import Action, ActionContext
from bot.core.actions.action_executor import ActionError
from bot.core.actions.remote_action import call_custom_action
from bot.shared.core.domain import Domain, extract_slot_values
from bot.shared.core.domain.constants import ACTION_EXTRACT_SLOTS
from bot.shared.core.domain.slot_extraction import conditions_match, intent_is_desired
from bot.shared.core.domain.slot_mappings import CUSTOM
from bot.shared.core.events import BotUttered, Event, SlotSet

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = ["ACTION_VALIDATE_SLOT_MAPPINGS", "ActionExtractSlots", "tracker_view"]

logger = logging.getLogger(__name__)

ACTION_VALIDATE_SLOT_MAPPINGS = "action_validate_slot_mappings"


@dataclass
class _View:
    """What slot-mapping evaluation sees of a tracker (the domain's `TrackerView`)."""

    latest_message: dict[str, Any] | None
    active_loop_name: str | None
    requested_slot: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    is_active_loop_rejected: bool = False


def tracker_view(tracker: DialogueStateTracker) -> _View:
    """The tracker as `extract_slot_values` and the mapping checks want it."""
    message = tracker.latest_message
    latest = message.parse_data if message.text is not None or message.parse_data.get("intent") else None
    return _View(latest, tracker.active_loop_name, tracker.requested_slot, tracker.current_slot_values(),
                 tracker.is_active_loop_rejected)


class ActionExtractSlots(Action):
    """Runs after each user message, before the next action is predicted."""

    def __init__(self) -> None:
        super().__init__(ACTION_EXTRACT_SLOTS)

    async def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        domain = context.domain
        view = tracker_view(tracker)
        events: list[Event] = [SlotSet(name, value) for name, value in extract_slot_values(domain, view)]
        for action_name in self._applicable_custom_actions(domain, view):
            events += await self._run_mapping_action(action_name, tracker, events, context)
        return await self._validate(tracker, events, context)

    @staticmethod
    def _applicable_custom_actions(domain: Domain, view: _View) -> list[str]:
        names: list[str] = []
        for slot in domain.slots:
            for mapping in slot.mappings:
                if mapping.type != CUSTOM or not mapping.action or mapping.action in names:
                    continue
                if not intent_is_desired(mapping, view, domain) or not conditions_match(mapping, view):
                    continue
                if mapping.conditions and view.is_active_loop_rejected and view.requested_slot == slot.name:
                    continue
                names.append(mapping.action)
        return names

    async def _run_mapping_action(self, action_name: str, tracker: DialogueStateTracker,
                                  found: list[Event], context: ActionContext) -> list[Event]:
        """A custom mapping's action sees the values predefined mappings found this turn."""
        try:
            events = await call_custom_action(action_name, _with(tracker, found), context)
        except ActionError as error:
            logger.warning("%s\naction_extract_slots could not fill the slots that '%s' maps.", error, action_name)
            return []
        kept = [event for event in events if isinstance(event, (SlotSet, BotUttered))]
        dropped = sorted({event.type_name for event in events if not isinstance(event, (SlotSet, BotUttered))})
        if dropped:
            logger.info("Custom slot mapping action '%s' returned %s events; only slot and bot events "
                        "are allowed there, the others are ignored", action_name, ", ".join(dropped))
        return kept

    async def _validate(self, tracker: DialogueStateTracker, events: list[Event],
                        context: ActionContext) -> list[Event]:
        if ACTION_VALIDATE_SLOT_MAPPINGS not in context.domain.user_actions:
            return events
        slot_events = [event for event in events if isinstance(event, SlotSet)]
        try:
            validated = await call_custom_action(ACTION_VALIDATE_SLOT_MAPPINGS, _with(tracker, slot_events),
                                                 context)
        except ActionError as error:
            logger.warning("%s\nThe extracted slots are used without validation.", error)
            return events
        # rasa_sdk's ValidationAction returns every SlotSet at the tracker's tail, also those set
        # before this action ran (the processor's `language`): such an echo of a slot's current
        # value is no new event (it showed up twice in `bot shell --explain`).
        candidates, current = {event.key for event in slot_events}, tracker.current_slot_values()
        validated = [event for event in validated if isinstance(event, BotUttered) or (
            isinstance(event, SlotSet) and (event.key in candidates or current.get(event.key) != event.value))]
        names = {event.key for event in validated if isinstance(event, SlotSet)}
        messages = [event for event in events if isinstance(event, BotUttered)]
        return messages + validated + [event for event in slot_events if event.key not in names]


def _with(tracker: DialogueStateTracker, events: list[Event]) -> DialogueStateTracker:
    if not events:
        return tracker
    temporary = tracker.copy()
    temporary.update_with_events([event for event in events if isinstance(event, SlotSet)])
    return temporary
