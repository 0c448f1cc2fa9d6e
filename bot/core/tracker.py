"""The dialogue state of one conversation, rebuilt from its events (Rasa's DialogueStateTracker)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from bot.shared.core.domain import Domain, Slot
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

REQUESTED_SLOT = "requested_slot"


class DialogueStateTracker:
    """Events of one conversation plus the state they add up to (slots, latest message, active loop).

    Events are only ever appended; reverting events (rewind, undo) are events too, and the
    state is recomputed by replay when one arrives.
    """

    def __init__(self, sender_id: str, slots: list[Slot], max_event_history: int | None = None) -> None:
        self.sender_id = sender_id
        self._slot_templates = list(slots)  # templates are only read; _reset() copies them
        self.max_event_history = max_event_history
        self.events: list[Event] = []
        self._reset()

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_events(cls, sender_id: str, events: list[Event], slots: list[Slot]) -> DialogueStateTracker:
        tracker = cls(sender_id, slots)
        for event in events:
            tracker.update(event)
        return tracker

    @classmethod
    def from_dicts(cls, sender_id: str, events: list[dict[str, Any]], domain: Domain) -> DialogueStateTracker:
        return cls.from_events(sender_id, [Event.from_dict(e) for e in events], domain.slots)

    def copy(self) -> DialogueStateTracker:
        """An independent tracker sharing the (never mutated) event objects.

        A deep copy cost ~40 ms per call on a 100-event conversation and forms copy the tracker
        on every turn; events are replaced, not edited, so sharing them is safe.
        """
        clone = object.__new__(DialogueStateTracker)
        clone.__dict__.update(self.__dict__)
        clone.events = list(self.events)
        clone.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
        clone.latest_action = dict(self.latest_action)
        clone.active_loop = dict(self.active_loop)
        return clone

    def _reset(self) -> None:
        self.slots: dict[str, Slot] = {slot.name: slot.copy() for slot in self._slot_templates}
        self.latest_message: UserUttered = UserUttered(None)
        self.latest_action: dict[str, str] = {}
        self.latest_bot_utterance: BotUttered | None = None
        self.active_loop: dict[str, Any] = {}
        self.followup_action: str | None = ACTION_LISTEN
        self.paused = False

    # -- applying events -------------------------------------------------------------------------
    def update(self, event: Event) -> None:
        """Appends an event and applies it to the state."""
        self.events.append(event)
        self._apply(event)

    def update_with_events(self, events: list[Event]) -> None:
        for event in events:
            self.update(event)

    def _apply(self, event: Event) -> None:
        if isinstance(event, UserUttered):
            self.latest_message = event
        elif isinstance(event, BotUttered):
            self.latest_bot_utterance = event
        elif isinstance(event, ActionExecuted):
            self.latest_action = ({"action_name": event.action_name} if event.action_name
                                  else {"action_text": event.action_text or ""})
            self.followup_action = None  # any executed action consumes a pending followup, as in Rasa
            if self.active_loop and event.action_name == self.active_loop.get("name"):
                # the loop ran again: it validates and is no longer rejected (as in Rasa)
                self.active_loop["validate"] = True
                self.active_loop["rejected"] = False
        elif isinstance(event, SlotSet):
            self._set_slot(event.key, event.value)
        elif isinstance(event, AllSlotsReset):
            for slot in self.slots.values():
                slot.reset()
        elif isinstance(event, (Restarted, SessionStarted)):
            self._reset()
        elif isinstance(event, FollowupAction):
            self.followup_action = event.action_name
        elif isinstance(event, ActiveLoop):
            if event.name:
                self.active_loop = {"name": event.name, "validate": True, "rejected": False,
                                    "trigger_message": self.latest_message.parse_data}
            else:
                self.active_loop = {}
        elif isinstance(event, LoopInterrupted):
            if self.active_loop:
                self.active_loop["validate"] = not event.is_interrupted
        elif isinstance(event, ActionExecutionRejected):
            if self.active_loop and self.active_loop.get("name") == event.action_name:
                self.active_loop["rejected"] = True
        elif isinstance(event, ConversationPaused):
            self.paused = True
        elif isinstance(event, ConversationResumed):
            self.paused = False
        elif isinstance(event, EntitiesAdded):
            # a new message object: the old one may be shared with copies of this tracker
            message = copy.copy(self.latest_message)
            message.parse_data = {**message.parse_data, "entities": [*message.entities, *event.entities]}
            self.latest_message = message
        elif isinstance(event, (UserUtteranceReverted, ActionReverted)):
            self._replay()

    def _set_slot(self, name: str, value: Any) -> None:
        slot = self.slots.get(name)
        if slot is None:  # unknown slots are ignored, as in Rasa (the event stays in history)
            return
        try:
            slot.value = slot.coerce(value) if value is not None else None
        except ValueError:
            slot.value = value

    def _replay(self) -> None:
        """Recomputes the state from the applied events (after a revert)."""
        applied = self.applied_events()
        self._reset()
        for event in applied:
            if not isinstance(event, (UserUtteranceReverted, ActionReverted)):
                self._apply(event)

    # -- queries ---------------------------------------------------------------------------------
    def applied_events(self) -> list[Event]:
        """Events since the last restart/session start, with reverted turns removed."""
        applied: list[Event] = []
        for event in self.events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied = [] if isinstance(event, Restarted) else [event]
            elif isinstance(event, UserUtteranceReverted):
                # a user message implies the action_listen before it: both go, as in Rasa
                _undo_till(applied, UserUttered)
                _undo_till(applied, ActionExecuted)
            elif isinstance(event, ActionReverted):
                _undo_till(applied, ActionExecuted, skip_listen=True)
            else:
                applied.append(event)
        return applied

    def get_slot(self, name: str) -> Any:
        slot = self.slots.get(name)
        return slot.value if slot else None

    def current_slot_values(self) -> dict[str, Any]:
        return {name: slot.value for name, slot in self.slots.items()}

    @property
    def active_loop_name(self) -> str | None:
        return self.active_loop.get("name") if self.active_loop else None

    @property
    def requested_slot(self) -> str | None:
        return self.get_slot(REQUESTED_SLOT)

    @property
    def latest_action_name(self) -> str | None:
        return self.latest_action.get("action_name")

    @property
    def latest_message_data(self) -> dict[str, Any]:
        return self.latest_message.parse_data

    @property
    def is_active_loop_rejected(self) -> bool:
        return bool(self.active_loop.get("rejected"))

    @property
    def is_active_loop_interrupted(self) -> bool:
        return bool(self.active_loop) and not self.active_loop.get("validate", True)

    def get_latest_entity_values(self, entity: str, role: str | None = None, group: str | None = None
                                 ) -> Iterator[Any]:
        for item in self.latest_message.entities:
            if (item.get("entity") == entity and item.get("role") == role and item.get("group") == group):
                yield item.get("value")

    def get_latest_input_channel(self) -> str | None:
        for event in reversed(self.events):
            if isinstance(event, UserUttered):
                return event.input_channel
        return None

    def idx_after_latest_restart(self) -> int:
        for index, event in reversed(list(enumerate(self.events))):
            if isinstance(event, Restarted):
                return index + 1
        return 0

    def events_after_latest_restart(self) -> list[Event]:
        return self.events[self.idx_after_latest_restart():]

    def last_executed_action_has(self, name: str, skip: int = 0) -> bool:
        last = [e for e in reversed(self.events) if isinstance(e, ActionExecuted)]
        return len(last) > skip and last[skip].action_name == name

    def latest_user_message_time(self) -> float | None:
        for event in reversed(self.events):
            if isinstance(event, UserUttered):
                return event.timestamp
        return None

    # -- serialisation ---------------------------------------------------------------------------
    def current_state(self, include_events: str | None = "all") -> dict[str, Any]:
        """Rasa's tracker JSON; include_events: "all", "after_restart", "applied" or None."""
        if include_events == "all":
            events = [e.as_dict() for e in self.events]
        elif include_events == "after_restart":
            events = [e.as_dict() for e in self.events_after_latest_restart()]
        elif include_events == "applied":
            events = [e.as_dict() for e in self.applied_events()]
        else:
            events = None
        latest_time = self.events[-1].timestamp if self.events else None
        active_loop = ({k: v for k, v in self.active_loop.items() if k != "trigger_message"}
                       if self.active_loop else {})
        return {
            "sender_id": self.sender_id,
            "slots": self.current_slot_values(),
            "latest_message": self.latest_message.parse_data,
            "latest_event_time": latest_time,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": events,
            "latest_input_channel": self.get_latest_input_channel(),
            "active_loop": active_loop,
            "latest_action": self.latest_action,
            "latest_action_name": self.latest_action_name,
        }


def _undo_till(events: list[Event], kind: type[Event], skip_listen: bool = False) -> None:
    """Removes events from the end up to and including the last one of `kind`."""
    while events:
        event = events.pop()
        if isinstance(event, kind):
            if skip_listen and isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN:
                continue
            return
