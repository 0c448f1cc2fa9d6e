"""Dialogue events in Rasa 3.x's JSON shapes, plus "handover"/"handback" for the human side.

    event = Event.from_dict({"event": "slot", "name": "city", "value": "Berlin"})
    event.as_dict()  # exactly what Rasa writes into a tracker store
"""

from bot.shared.core.events._base import (
    Event,
    EventDict,
    InvalidEvent,
    event_names,
    events_from_dicts,
)
from bot.shared.core.events._dialogue import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionEnded,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)
from bot.shared.core.events._handover import Handback, HandedBack, Handover, HandoverRequested

__all__ = [
    "ActionExecuted",
    "ActionExecutionRejected",
    "ActionReverted",
    "ActiveLoop",
    "AgentUttered",
    "AllSlotsReset",
    "BotUttered",
    "ConversationPaused",
    "ConversationResumed",
    "DefinePrevUserUtteredFeaturization",
    "EntitiesAdded",
    "Event",
    "EventDict",
    "FollowupAction",
    "HandedBack",
    "Handback",
    "Handover",
    "HandoverRequested",
    "InvalidEvent",
    "LoopInterrupted",
    "ReminderCancelled",
    "ReminderScheduled",
    "Restarted",
    "SessionEnded",
    "SessionStarted",
    "SlotSet",
    "StoryExported",
    "UserUttered",
    "UserUtteranceReverted",
    "event_names",
    "events_from_dicts",
]
