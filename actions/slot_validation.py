"""Checks on slots filled outside a form (Rasa's `action_validate_slot_mappings`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher

from actions.parcel import normalise_tracking_number


class ValidateSlotMappings(ValidationAction):
    """Keeps only real tracking numbers in `tracking_number`: a postcode such as "10115" that the NLU
    took for one in the address form must not turn into the number the next parcel question uses.

    Inside the parcel tracking form its own validation answers a wrong number with the format hint.
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def validate_tracking_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        if tracker.active_loop_name == "parcel_tracking_form":
            return {"tracking_number": value}
        return {"tracking_number": normalise_tracking_number(value)}
