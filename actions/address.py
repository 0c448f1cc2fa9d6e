"""Delivery address change: validation of street, postcode and city, and the closing summary."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.orders import find_order_id
from actions.parcel import find_tracking_number

ADDRESS_SLOTS = ("street", "zip", "city")

# Germany has five-digit postcodes, Austria and Switzerland four.
_ZIP = re.compile(r"(?<!\d)(\d{4,5})(?!\d)")
# A street needs a name and a house number ("Hauptstraße 12", "Mozartgasse 4/2", "Am Markt 3a").
_STREET = re.compile(r"^(?=.*[^\W\d_]{2,}).*\d+\s*[a-zA-Z]?(?:\s*[/-]\s*\d+[a-zA-Z]?)?\s*$")


def clean_street(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip(" ,.;").split())
    # "Track JJD000390007812345" has a name and a number too, but it is a parcel, not a street
    if find_tracking_number(text) or find_order_id(text):
        return None
    return text if 3 <= len(text) <= 80 and _STREET.match(text) else None


def clean_zip(value: Any) -> str | None:
    if isinstance(value, int | float):
        value = str(int(value))
    if not isinstance(value, str):
        return None
    match = _ZIP.search(value)
    return match.group(1) if match else None


def clean_city(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip(" ,.;").split())
    if not 2 <= len(text) <= 50 or re.search(r"\d", text) or not re.search(r"[^\W\d_]", text):
        return None
    return text[0].upper() + text[1:]


def address_summary(street: str, zip_code: str, city: str, language: str) -> str:
    address = f"{street}, {zip_code} {city}"
    return common.pick(
        language,
        f"Danke! Ich habe die neue Lieferadresse notiert: {address}. Wir leiten die Änderung an die Zustellung "
        "weiter – Sie bekommen eine Bestätigung per E-Mail, sobald sie übernommen ist.",
        f"Thank you! I've noted the new delivery address: {address}. We'll pass the change on to delivery – "
        "you'll get a confirmation by email once it has been applied.")


class ValidateAddressChangeForm(FormValidationAction):
    """Each part of the new address is checked and tidied; a wrong part is asked for again."""

    def name(self) -> str:
        return "validate_address_change_form"

    def validate_street(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: dict[str, Any]) -> dict[str, Any]:
        return _checked("street", clean_street(value), "utter_invalid_street", dispatcher, tracker)

    def validate_zip(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any]) -> dict[str, Any]:
        return _checked("zip", clean_zip(value), "utter_invalid_zip", dispatcher, tracker)

    def validate_city(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> dict[str, Any]:
        return _checked("city", clean_city(value), "utter_invalid_city", dispatcher, tracker)


def _checked(slot: str, value: str | None, invalid_response: str, dispatcher: CollectingDispatcher,
             tracker: Tracker) -> dict[str, Any]:
    """The tidied value, or None. Only a wrong answer to the question just asked is explained: a stray
    piece the NLU found for another part ("7" of "Lindenweg 7" taken for a postcode) is dropped quietly,
    and that part is asked for in its turn."""
    if value is None and tracker.get_slot("requested_slot") == slot:
        dispatcher.utter_message(response=invalid_response)
    return {slot: value}


class ActionSubmitAddressChange(Action):
    """Repeats the new address back to the customer and clears the address slots."""

    def name(self) -> str:
        return "action_submit_address_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = common.language_of(tracker)
        street, zip_code, city = (tracker.get_slot(name) for name in ADDRESS_SLOTS)
        if not (street and zip_code and city):
            dispatcher.utter_message(response="utter_address_incomplete")
        else:
            dispatcher.utter_message(text=address_summary(street, zip_code, city, language))
        return [SlotSet(name, None) for name in ADDRESS_SLOTS]
