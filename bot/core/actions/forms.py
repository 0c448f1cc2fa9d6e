"""Forms (Rasa 3.x): a loop that asks for its required slots one by one until all are filled.

Slots are filled by `action_extract_slots` (the global slot mappings) after each user message;
the form only decides what those values mean for it:

- activation: `ActiveLoop(form)`, then the slots filled before the form started are validated;
- each later user turn: the slot candidates are the `SlotSet`s of required slots since the latest
  user message. They are validated by the custom action `validate_<form>` when the domain lists
  it (a rasa_sdk `FormValidationAction`, which may also change the required slots by setting
  `requested_slot`). When the requested slot got no candidate and validation set nothing, the
  form rejects the turn (`ActionExecutionRejected`), so rules and stories handle the digression;
- then the next empty required slot is requested with `action_ask_<form>_<slot>`,
  `utter_ask_<form>_<slot>`, `action_ask_<slot>` or `utter_ask_<slot>` (the first the domain has);
- with nothing left to ask: `SlotSet(requested_slot, None)` and `ActiveLoop(None)`.

Where Rasa would raise, we degrade: a `validate_<form>` the executor does not know is skipped
(with a warning) and one that crashes answers `utter_action_failed` and re-asks the slot.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from bot.core.actions.action import ActionContext
from bot.core.actions.action_executor import ActionFailed, ActionNotFound, ActionRejected
from bot.core.actions.loops import LoopAction, LoopRejected
from bot.core.actions.remote_action import call_custom_action, failure_response
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import ACTION_LISTEN, REQUESTED_SLOT, UTTER_PREFIX
from bot.shared.core.domain.slot_mappings import FROM_ENTITY
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)

if TYPE_CHECKING:
    from bot.core.tracker import DialogueStateTracker

__all__ = ["FormAction", "validation_action_name"]

logger = logging.getLogger(__name__)


def validation_action_name(form_name: str) -> str:
    """The custom action that validates a form's slots: `validate_<form>`."""
    return f"validate_{form_name}"


class FormAction(LoopAction):
    """The action of a form listed under `forms:` in the domain (one instance per run)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._validation_failed = False  # report a crashing validator once per run, not per call

    # -- what the form needs --------------------------------------------------------------------
    def required_slots(self, domain: Domain) -> list[str]:
        """The slots the domain says this form fills, in order."""
        return domain.required_slots_for_form(self.name())

    def slot_to_fill(self, tracker: DialogueStateTracker) -> str | None:
        """The slot this form asked for; a `requested_slot` left over from another form does not count."""
        return tracker.requested_slot if tracker.active_loop_name == self.name() else None

    # -- loop steps -----------------------------------------------------------------------------
    async def activate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Validates required slots that were already filled before the form started."""
        prefilled = {slot: tracker.get_slot(slot) for slot in self.required_slots(context.domain)
                     if tracker.get_slot(slot) is not None}
        if not prefilled:
            return []
        logger.debug("Form '%s' validates pre-filled slots %s", self.name(), prefilled)
        return await self.validate_slots(prefilled, tracker, context)

    async def do(self, tracker: DialogueStateTracker, context: ActionContext,
                 events_so_far: list[Event]) -> list[Event]:
        events = await self._validate_if_required(tracker, context)
        if not _rejected_by_validation(events):
            events += await self.request_next_slot(tracker, context, events_so_far + events)
        return events

    async def is_done(self, tracker: DialogueStateTracker, context: ActionContext,
                      events_so_far: list[Event]) -> bool:
        """Done when this run cleared `requested_slot` or deactivated the loop (its latest word counts)."""
        if _rejected_by_validation(events_so_far):
            return False
        last_request = next((e for e in reversed(events_so_far)
                             if isinstance(e, SlotSet) and e.key == REQUESTED_SLOT), None)
        if last_request is not None and last_request.value is None:
            return True
        last_loop = next((e for e in reversed(events_so_far) if isinstance(e, ActiveLoop)), None)
        return last_loop is not None and last_loop.name is None

    # -- validation -----------------------------------------------------------------------------
    async def _validate_if_required(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        # After an interruption the form comes back without new user input to validate; it still
        # runs the validator (with no candidates) so that a dynamic form can decide what to ask.
        needs_validation = not tracker.active_loop or (
            tracker.latest_action_name == ACTION_LISTEN and not tracker.is_active_loop_interrupted)
        if needs_validation:
            return await self.validate(tracker, context)
        return await self.validate_slots({}, tracker, context)

    async def validate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Validates this turn's slot candidates; rejects when the requested slot was not answered."""
        candidates = self._slot_candidates(tracker, context.domain)
        events = await self.validate_slots(candidates, tracker, context)
        validated_something = any(isinstance(e, SlotSet) and e.key != REQUESTED_SLOT for e in events)
        slot_to_fill = self.slot_to_fill(tracker)
        if slot_to_fill and not validated_something and not _rejected_by_validation(events):
            logger.debug("Form '%s' rejects: no value for '%s' in the latest message", self.name(), slot_to_fill)
            raise LoopRejected(f"failed to extract slot {slot_to_fill} with action {self.name()}")
        return events

    async def validate_slots(self, candidates: dict[str, Any], tracker: DialogueStateTracker,
                             context: ActionContext) -> list[Event]:
        """`SlotSet`s for the candidates, as `validate_<form>` corrected them when the domain lists it.

        A candidate the validator returns no `SlotSet` for is valid as it is; the validator marks
        a value invalid by setting the slot to None.
        """
        events: list[Event] = [SlotSet(name, value) for name, value in candidates.items()]
        validator = validation_action_name(self.name())
        if validator not in context.domain.action_names_or_texts:
            return events
        if self._validation_failed:
            return [SlotSet(name, None) for name in candidates]
        temporary = self._temporary_tracker(tracker, events, context)
        try:
            validation_events = await call_custom_action(validator, temporary, context)
        except ActionRejected as rejection:
            raise LoopRejected(rejection.reason) from None
        except ActionNotFound as error:
            logger.warning("%s\nThe slots of form '%s' are used without validation.", error, self.name())
            return events
        except ActionFailed as error:
            logger.error("%s\nThe values for form '%s' are discarded and asked for again.", error, self.name())
            self._validation_failed = True
            return failure_response(tracker, context) + [SlotSet(name, None) for name in candidates]
        validated = {e.key for e in validation_events if isinstance(e, SlotSet)}
        return validation_events + [e for e in events if isinstance(e, SlotSet) and e.key not in validated]

    def _slot_candidates(self, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
        """Values set for this form's slots since the latest user message (by slot extraction)."""
        if not tracker.active_loop:
            return {}  # activation: pre-filled slots were validated by `activate`
        wanted = set(self.required_slots(domain))
        slot_to_fill = self.slot_to_fill(tracker)
        if slot_to_fill:
            wanted.add(slot_to_fill)  # a dynamic form may ask for slots the domain does not list
        candidates: dict[str, Any] = {}
        for event in _events_since_latest_user_message(tracker):
            if isinstance(event, SlotSet) and event.key in wanted and self._counts_for_form(
                    event.key, slot_to_fill, domain):
                candidates[event.key] = event.value
        return candidates

    def _counts_for_form(self, slot_name: str, slot_to_fill: str | None, domain: Domain) -> bool:
        """An entity that several required slots map from fills only the requested one."""
        slot = domain.slot(slot_name)
        if slot is None:
            return False
        unique = _unique_entity_mappings(self.required_slots(domain), domain)
        return any(mapping.type != FROM_ENTITY or slot_name == slot_to_fill
                   or json.dumps(mapping.as_dict(), sort_keys=True) in unique
                   for mapping in slot.mappings)

    def _temporary_tracker(self, tracker: DialogueStateTracker, events: list[Event],
                           context: ActionContext) -> DialogueStateTracker:
        """The tracker a custom action sees: `requested_slot` of this form, the form's run, then `events`.

        rasa_sdk validates the `SlotSet`s after the last other event, hence the ActionExecuted marker.
        """
        temporary = tracker.copy()
        temporary.update_with_events([SlotSet(REQUESTED_SLOT, self.slot_to_fill(tracker)),
                                      ActionExecuted(self.name()), *events])
        return temporary

    # -- asking ---------------------------------------------------------------------------------
    async def request_next_slot(self, tracker: DialogueStateTracker, context: ActionContext,
                                events_so_far: list[Event]) -> list[Event]:
        """Sets `requested_slot` to the next empty slot and asks for it; None when nothing is left."""
        if await self.is_done(tracker, context, events_so_far):
            return [SlotSet(REQUESTED_SLOT, None)]  # the validator ended the form early
        slot = next((e.value for e in events_so_far if isinstance(e, SlotSet) and e.key == REQUESTED_SLOT), None)
        temporary = self._temporary_tracker(tracker, events_so_far, context)
        events: list[Event] = []
        if not slot:
            slot = next((name for name in self.required_slots(context.domain)
                         if temporary.get_slot(name) is None), None)
            events.append(SlotSet(REQUESTED_SLOT, slot))
        if not slot:
            return [SlotSet(REQUESTED_SLOT, None)]
        return events + await self._ask_for(slot, temporary, context)

    def ask_action_name(self, slot: str, domain: Domain) -> str | None:
        """The first of action_ask_<form>_<slot>, utter_ask_<form>_<slot>, action_ask_<slot>, utter_ask_<slot>."""
        candidates = (f"action_ask_{self.name()}_{slot}", f"{UTTER_PREFIX}ask_{self.name()}_{slot}",
                      f"action_ask_{slot}", f"{UTTER_PREFIX}ask_{slot}")
        known = set(domain.action_names_or_texts)
        return next((name for name in candidates if name in known), None)

    async def _ask_for(self, slot: str, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        from bot.core.actions.registry import action_for_name

        name = self.ask_action_name(slot, context.domain)
        if name is None:
            # A custom action may ask; a plain designer error shows up as a silent bot, so say it.
            logger.info("Form '%s' requests slot '%s' but the domain has no response 'utter_ask_%s' "
                        "(or action_ask_%s) to ask for it", self.name(), slot, slot, slot)
            return []
        return await action_for_name(name, context.domain).run(tracker, context)


def _rejected_by_validation(events: list[Event]) -> bool:
    return any(isinstance(event, ActionExecutionRejected) for event in events)


def _events_since_latest_user_message(tracker: DialogueStateTracker) -> list[Event]:
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return list(events)


def _unique_entity_mappings(required: list[str], domain: Domain) -> set[str]:
    """from_entity mappings (as JSON) that exactly one of the form's required slots uses."""
    seen: dict[str, int] = {}
    for name in required:
        slot = domain.slot(name)
        for mapping in slot.mappings if slot else []:
            if mapping.type == FROM_ENTITY:
                key = json.dumps(mapping.as_dict(), sort_keys=True)
                seen[key] = seen.get(key, 0) + 1
    return {key for key, count in seen.items() if count == 1}
