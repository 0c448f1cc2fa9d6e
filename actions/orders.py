"""Order status: the form's validation (order number formats) and action_order_status."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.parcel import eta_text
from actions.service_client import ServiceUnavailable, fetch_order

logger = logging.getLogger(__name__)

# Shop order numbers: "A-123456", "A123456", "#123456" or just the six digits; canonical "A-123456".
_ORDER_ID = re.compile(r"(?:[Aa]\s*-?\s*|#\s*)?(\d{6})")

STATUS_TEXT = {
    "awaiting_payment": ("wartet noch auf den Zahlungseingang", "is waiting for your payment"),
    "processing": ("wird gerade im Lager zusammengestellt", "is being packed in our warehouse"),
    "shipped": ("ist verschickt", "has been shipped"),
    "delivered": ("wurde zugestellt", "has been delivered"),
    "cancelled": ("wurde storniert", "has been cancelled"),
}


def normalise_order_id(value: Any) -> str | None:
    """ "A-123456" for any accepted spelling, None when `value` is not an order number."""
    if not isinstance(value, str):
        return None
    match = _ORDER_ID.fullmatch(value.strip())
    return f"A-{match.group(1)}" if match else None


def find_order_id(text: str) -> str | None:
    """An order number somewhere in free text."""
    match = re.search(r"(?<![\w#])(?:[Aa]\s*-?\s*|#\s*)?\d{6}(?!\d)", text)
    return normalise_order_id(match.group(0)) if match else None


def order_sentence(order: dict[str, Any], language: str) -> str:
    """Status, items, the parcel's tracking number once shipped, and the expected delivery."""
    order_id = order.get("order_id", "")
    status = str(order.get("status") or "unknown")
    de, en = STATUS_TEXT.get(status, (f"hat den Status „{status}“", f"has the status '{status}'"))
    sentences = [common.pick(language, f"Ihre Bestellung {order_id} {de}.", f"Your order {order_id} {en}.")]
    items = ", ".join(f"{i.get('quantity', 1)} × {i.get('name', '?')}" for i in order.get("items") or [])
    if items:
        sentences.append(common.pick(language, f"Inhalt: {items}.", f"Items: {items}."))
    if order.get("tracking_number") and status in ("shipped", "delivered"):
        number = order["tracking_number"]
        sentences.append(common.pick(language, f"Sendungsnummer: {number}.", f"Tracking number: {number}."))
    eta = eta_text(order.get("eta"), language)
    if eta and status in ("processing", "shipped"):
        sentences.append(common.pick(language, f"Voraussichtliche Zustellung: {eta}.", f"Expected delivery: {eta}."))
    if status == "awaiting_payment":
        sentences.append(common.pick(language, "Sobald die Zahlung da ist, schicken wir sie los.",
                                     "We ship as soon as the payment arrives."))
    return common.join_sentences(sentences)


class ValidateOrderStatusForm(FormValidationAction):
    """Accepts order numbers in any of the shop's spellings and stores them as "A-123456"."""

    def name(self) -> str:
        return "validate_order_status_form"

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict[str, Any]) -> dict[str, Any]:
        # As for tracking numbers: digits typed while we ask for the order number are taken and
        # validated, so an invalid number gets an explanation rather than a silent re-ask.
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        if any(e.get("entity") == "order_id" for e in tracker.latest_message.get("entities", [])):
            return {}
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/") or not re.search(r"\d", text):
            return {}
        return {"order_id": find_order_id(text) or text.strip()}

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict[str, Any]) -> dict[str, Any]:
        order_id = normalise_order_id(value) or (find_order_id(value) if isinstance(value, str) else None)
        if order_id is None:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        return {"order_id": order_id}


class ActionOrderStatus(Action):
    """Looks the order up in the shop (the parcel service's /orders) and reports its status."""

    def name(self) -> str:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = common.language_of(tracker)
        order_id = normalise_order_id(tracker.get_slot("order_id"))
        if order_id is None:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return [SlotSet("order_id", None)]
        try:
            order = await fetch_order(order_id)
        except ServiceUnavailable as error:
            logger.warning("order service unavailable: %s", error)
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet("order_id", None)]
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_id=order_id)
        else:
            dispatcher.utter_message(text=order_sentence(order, language))
        return [SlotSet("order_id", None)]

