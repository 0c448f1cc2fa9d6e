"""Actions written exactly as a Rasa project would write them, against rasa_sdk."""

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection


class ActionCheckParcel(Action):
    """Answers with text and buttons and remembers the parcel number from the `parcel_id` slot."""

    def name(self) -> str:
        return "action_check_parcel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        parcel = tracker.get_slot("parcel_id") or "unknown"
        dispatcher.utter_message(
            text=f"Parcel {parcel} is on its way.",
            buttons=[{"title": "Thanks", "payload": "/thanks"}],
        )
        dispatcher.utter_message(response="utter_anything_else", parcel=parcel)
        return [SlotSet("parcel_status", "in_transit"), SlotSet("domain_intents", len(domain.get("intents", [])))]


class ActionSyncSender(Action):
    """A plain `def run` (runs in a worker thread in-process): echoes the sender id."""

    def name(self) -> str:
        return "action_sync_sender"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(text=f"hello {tracker.sender_id}")
        return []


class ActionBroken(Action):
    """Raises inside the user's code."""

    def name(self) -> str:
        return "action_broken"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        raise ValueError("the parcel API is down")


class ActionRefuse(Action):
    """Refuses to run, as a form does when the user did not answer its question."""

    def name(self) -> str:
        return "action_refuse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        raise ActionExecutionRejection(self.name(), "no parcel number in the message")


class ActionSlow(Action):
    """Takes longer than the short timeout the HTTP tests configure."""

    def name(self) -> str:
        return "action_slow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        await asyncio.sleep(float(tracker.get_slot("delay") or 1.0))
        return []


class ValidateParcelForm(FormValidationAction):
    """Validates `parcel_id` for `parcel_form`: ten digits, otherwise the slot is cleared."""

    def name(self) -> str:
        return "validate_parcel_form"

    def validate_parcel_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict[str, Any]) -> dict[str, Any]:
        if isinstance(value, str) and value.isdigit() and len(value) == 10:
            return {"parcel_id": value}
        dispatcher.utter_message(text="A parcel number has ten digits.")
        return {"parcel_id": None}
