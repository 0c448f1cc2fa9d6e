"""rasa_sdk actions for the form tests, written as a Rasa project would write them."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

KNOWN_CITIES = {"berlin", "hamburg", "munich"}


class ValidateContactForm(FormValidationAction):
    """Normalises the city, refuses unknown ones, and asks for a callback time only for 'call'."""

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        if tracker.get_slot("note") == "call":
            return [*domain_slots, "callback_time"]
        return domain_slots

    def validate_city(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        if str(value).lower() in KNOWN_CITIES:
            return {"city": str(value).title()}
        dispatcher.utter_message(response="utter_unknown_city", city=value)
        return {"city": None}

    def validate_note(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        if value == "stop everything":
            raise ActionExecutionRejection(self.name(), "the user wants out")
        return {"note": value.strip()}


class ActionAskCallbackTime(Action):
    """Asks for the dynamic slot with a custom action."""

    def name(self) -> str:
        return "action_ask_callback_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(text=f"When should we call you in {tracker.get_slot('city')}?")
        return []


class ActionGuessMood(Action):
    """A custom slot mapping: the mood comes from the text length (and an unrelated event to drop)."""

    def name(self) -> str:
        return "action_guess_mood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        text = tracker.latest_message.get("text") or ""
        city = tracker.get_slot("city")
        return [SlotSet("mood", "chatty" if len(text) > 20 else "brief"), SlotSet("seen_city", city),
                {"event": "pause"}]


class ActionValidateSlotMappings(Action):
    """Global validation: upper-cases a city found outside forms."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        city = tracker.slots_to_validate().get("city")
        if city:
            return [SlotSet("city", str(city).upper())]
        return []


class ActionLookupCrm(Action):
    """Fails inside the user's code."""

    def name(self) -> str:
        return "action_lookup_crm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        raise RuntimeError("database unavailable")


class ActionGreetBack(Action):
    """Renders a domain response with an extra placeholder value and adds a button."""

    def name(self) -> str:
        return "action_greet_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(response="utter_hello", nickname="Sam",
                                 buttons=[{"title": "Hi", "payload": "/greet"}])
        dispatcher.utter_message(text="plain text", image="https://example.org/a.png")
        return [SlotSet("mood", "happy")]


class ActionRefusePolitely(Action):
    """Rejects execution."""

    def name(self) -> str:
        return "action_refuse_politely"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        raise ActionExecutionRejection(self.name())


class ValidateCrashForm(FormValidationAction):
    """A validator with a bug."""

    def name(self) -> str:
        return "validate_crash_form"

    def validate_city(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        raise KeyError("oops")
