"""Rasa 3.x's dialogue events, each serialised with exactly Rasa's keys."""

from __future__ import annotations

import uuid
from dataclasses import field
from datetime import datetime
from typing import Any, ClassVar

from bot.shared.core.events._base import (
    Event,
    EventDict,
    InvalidEvent,
    envelope,
    register_alias,
    register_event,
)


@register_event
class UserUttered(Event):
    """The user said something; `parse_data` holds the NLU result (intent, entities, ranking)."""

    type_name: ClassVar[str] = "user"

    text: str | None = None
    parse_data: dict[str, Any] = field(default_factory=dict)
    input_channel: str | None = None
    message_id: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        # Rasa always serialises these five keys in parse_data, then whatever NLU added.
        given = self.parse_data or {}
        self.parse_data = {
            "intent": {},
            "entities": [],
            "text": self.text,
            "message_id": self.message_id,
            "metadata": self.metadata,
        }
        self.parse_data.update(given)

    @property
    def intent(self) -> dict[str, Any]:
        """The top intent, `{"name": ..., "confidence": ...}`, or {}."""
        return self.parse_data.get("intent") or {}

    @property
    def intent_name(self) -> str | None:
        """The top intent's name, or None."""
        return self.intent.get("name")

    @property
    def entities(self) -> list[dict[str, Any]]:
        """The extracted entities."""
        return self.parse_data.get("entities") or []

    def _payload(self) -> EventDict:
        return {
            "text": self.text,
            "parse_data": self.parse_data,
            "input_channel": self.input_channel,
            "message_id": self.message_id,
            "metadata": self.metadata,
        }

    def _eq_key(self) -> Any:
        # Like Rasa: the same words with the same understanding are the same step.
        return [self.text, self.intent_name, self.entities]


@register_event
class BotUttered(Event):
    """The bot said something; `data` holds buttons, quick_replies, elements, image, attachment, custom."""

    type_name: ClassVar[str] = "bot"

    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.data is None:
            self.data = {}

    def _payload(self) -> EventDict:
        return {"text": self.text, "data": self.data, "metadata": self.metadata}

    def _eq_key(self) -> Any:
        return [
            self.text,
            {k: v for k, v in self.data.items() if v is not None},
            {k: v for k, v in self.metadata.items() if v is not None},
        ]


@register_event
class ActionExecuted(Event):
    """An action ran. `action_text` instead of a name marks an end-to-end bot utterance."""

    type_name: ClassVar[str] = "action"
    _json_keys: ClassVar[dict[str, str]] = {"action_name": "name"}

    action_name: str | None = None
    policy: str | None = None
    confidence: float | None = None
    action_text: str | None = None
    hide_rule_turn: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.action_name is None and self.action_text is None:
            raise InvalidEvent(
                "An 'action' event needs a \"name\" (or an \"action_text\" for an end-to-end step).",
                hint="Give the action's name.",
            )
        if self.hide_rule_turn is None:
            self.hide_rule_turn = False

    def _eq_key(self) -> Any:
        return [self.action_name, self.action_text]


@register_event
class SlotSet(Event):
    """A slot got a value (None clears it)."""

    type_name: ClassVar[str] = "slot"
    _json_keys: ClassVar[dict[str, str]] = {"key": "name"}

    key: str
    value: Any = None


@register_event
class AllSlotsReset(Event):
    """Every slot goes back to its initial value."""

    type_name: ClassVar[str] = "reset_slots"


@register_event
class Restarted(Event):
    """The conversation starts over: history is ignored and slots reset."""

    type_name: ClassVar[str] = "restart"


@register_event
class UserUtteranceReverted(Event):
    """Everything since (and including) the latest user message is undone."""

    type_name: ClassVar[str] = "rewind"


@register_event
class ActionReverted(Event):
    """The latest action and the events it created are undone."""

    type_name: ClassVar[str] = "undo"


@register_event
class StoryExported(Event):
    """The conversation should be written out as a story (Rasa keeps the path off the wire)."""

    type_name: ClassVar[str] = "export"

    path: str | None = None

    def _payload(self) -> EventDict:
        return {"path": self.path} if self.path is not None else {}


@register_event
class FollowupAction(Event):
    """Forces the next action instead of asking the policies."""

    type_name: ClassVar[str] = "followup"
    _json_keys: ClassVar[dict[str, str]] = {"action_name": "name"}

    action_name: str


@register_event
class ConversationPaused(Event):
    """The bot stops answering (a human takes over, in Rasa's terms)."""

    type_name: ClassVar[str] = "pause"


@register_event
class ConversationResumed(Event):
    """The bot answers again."""

    type_name: ClassVar[str] = "resume"


@register_event
class ActiveLoop(Event):
    """Activates the loop (form) `name`, or deactivates the active one when `name` is None."""

    type_name: ClassVar[str] = "active_loop"

    name: str | None = None


@register_event
class LoopInterrupted(Event):
    """The user stepped out of the active loop (or returned to it)."""

    type_name: ClassVar[str] = "loop_interrupted"

    is_interrupted: bool = False


@register_event
class ActionExecutionRejected(Event):
    """An action refused to run (e.g. a form that cannot validate); policies pick another."""

    type_name: ClassVar[str] = "action_execution_rejected"
    _json_keys: ClassVar[dict[str, str]] = {"action_name": "name"}

    action_name: str
    policy: str | None = None
    confidence: float | None = None

    def _eq_key(self) -> Any:
        return self.action_name


@register_event
class SessionStarted(Event):
    """A new session begins; stores read a conversation from its latest one."""

    type_name: ClassVar[str] = "session_started"


@register_event
class SessionEnded(Event):
    """The session was ended on purpose (rasa_sdk's `SessionEnded`)."""

    type_name: ClassVar[str] = "session_ended"


@register_event
class AgentUttered(Event):
    """A human agent said something to the user."""

    type_name: ClassVar[str] = "agent"

    text: str | None = None
    data: Any = None


@register_event
class EntitiesAdded(Event):
    """Entities added to the latest user message (e.g. by an end-to-end policy)."""

    type_name: ClassVar[str] = "entities"

    entities: list[dict[str, Any]] = field(default_factory=list)


@register_event
class DefinePrevUserUtteredFeaturization(Event):
    """Records whether the latest user message was featurised by its text or its intent."""

    type_name: ClassVar[str] = "user_featurization"

    use_text_for_featurization: bool = False


@register_event
class ReminderScheduled(Event):
    """Triggers `intent` (with `entities`) at `trigger_date_time` unless cancelled."""

    type_name: ClassVar[str] = "reminder"

    intent: str
    trigger_date_time: datetime
    entities: list[dict[str, Any]] | dict[str, Any] | None = None
    name: str | None = None
    kill_on_user_message: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.name is None:
            self.name = str(uuid.uuid1())

    def _payload(self) -> EventDict:
        return {
            "intent": self.intent,
            "date_time": self.trigger_date_time.isoformat(),
            "entities": self.entities,
            "name": self.name,
            "kill_on_user_msg": self.kill_on_user_message,
        }

    @classmethod
    def _from_payload(cls, data: EventDict, where: str | None) -> ReminderScheduled:
        raw = data.get("date_time")
        try:
            when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidEvent(
                f"Event 'reminder' has a \"date_time\" that is not an ISO date-time: {raw!r}.",
                location=where,
                hint='Write it like "2024-05-01T14:30:00+00:00".',
            ) from None
        if not data.get("intent"):
            raise InvalidEvent("Event 'reminder' needs the key 'intent'.", location=where)
        return cls(
            data["intent"],
            when,
            data.get("entities"),
            data.get("name"),
            bool(data.get("kill_on_user_msg", True)),
            **envelope(data),
        )

    def _eq_key(self) -> Any:
        return self.name


@register_event
class ReminderCancelled(Event):
    """Cancels reminders by name, intent or entities (all of them when none is given)."""

    type_name: ClassVar[str] = "cancel_reminder"

    name: str | None = None
    intent: str | None = None
    entities: list[dict[str, Any]] | dict[str, Any] | None = None


class _LegacyFormValidation:
    """Reads Rasa 1.x/2.0 "form_validation" events: validate=True means not interrupted."""

    @staticmethod
    def _from_payload(data: EventDict, where: str | None) -> LoopInterrupted:
        return LoopInterrupted(
            not data.get("validate", True), **envelope(data)
        )


# Old trackers still hold "form" and "form_validation"; they load as their modern successors.
register_alias("form", ActiveLoop)
register_alias("form_validation", _LegacyFormValidation)  # type: ignore[arg-type]
