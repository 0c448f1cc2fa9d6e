"""Parcel tracking: the form's validation (tracking number formats) and action_track_parcel."""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.formatting import format_date, format_time, parse_timestamp
from actions.service_client import ServiceUnavailable, fetch_parcel

logger = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Europe/Berlin")

# The carriers' formats the assistant accepts (written without blanks, upper case):
# DHL parcel (JJD + 12-20 digits), DHL/DPD 20-digit numbers starting 00, UPS (1Z + 16),
# and international post (UPU S10: two letters, nine digits, country code).
_TRACKING_FORMATS = (
    re.compile(r"JJD\d{12,20}"),
    re.compile(r"00\d{18}"),
    re.compile(r"1Z[0-9A-Z]{16}"),
    re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}"),
)
_SEPARATORS = re.compile(r"[\s\-./]+")

STATUS_TEXT = {
    "accepted": ("wurde eingeliefert", "has been handed in"),
    "in_transit": ("ist unterwegs", "is on its way"),
    "out_for_delivery": ("ist in der Zustellung und kommt heute", "is out for delivery and arrives today"),
    "delivered": ("wurde zugestellt", "has been delivered"),
    "in_parcel_shop": ("liegt zur Abholung bereit", "is ready for pick-up"),
    "delivery_failed": ("konnte nicht zugestellt werden", "could not be delivered"),
    "customs": ("ist in der Zollabfertigung", "is being cleared through customs"),
    "returned_to_sender": ("wird an den Absender zurückgeschickt", "is being returned to the sender"),
}


def normalise_tracking_number(value: Any) -> str | None:
    """The canonical form of a tracking number (blanks and dashes removed, upper case), None if invalid."""
    if not isinstance(value, str):
        return None
    compact = _SEPARATORS.sub("", value).upper()
    return compact if any(f.fullmatch(compact) for f in _TRACKING_FORMATS) else None


def find_tracking_number(text: str) -> str | None:
    """A tracking number somewhere in free text, also when typed in groups ("JJD 0003 9000 ...")."""
    tokens = [token.strip(",.;:!?()\"'") for token in text.split()]
    # up to six neighbouring tokens joined (a number typed in groups is several tokens); the longest
    # match wins, since "JJD" plus the first groups may already look like a shorter valid number
    for start in range(len(tokens)):
        for end in range(min(start + 6, len(tokens)), start, -1):
            found = normalise_tracking_number("".join(tokens[start:end]))
            if found:
                return found
    return None


def status_sentence(parcel: dict[str, Any], language: str) -> str:
    """What the customer wants to know: status, last scan, pick-up place or expected delivery."""
    number = parcel.get("tracking_number", "")
    status = str(parcel.get("status") or "unknown")
    de, en = STATUS_TEXT.get(status, (f"hat den Status „{status}“", f"has the status '{status}'"))
    sentences = [common.pick(language, f"Ihre Sendung {number} {de}.", f"Your parcel {number} {en}.")]
    events = parcel.get("events") or []
    last = events[-1] if events else None
    if status == "delivered" and last and _left_with_neighbour(last):
        neighbour = last.get("neighbour")
        sentences.append(common.pick(
            language,
            f"Sie wurde bei einem Nachbarn abgegeben{f' ({neighbour})' if neighbour else ''}.",
            f"It was left with a neighbour{f' ({neighbour})' if neighbour else ''}."))
    scanned = parse_timestamp(last.get("time"), TIMEZONE) if last else None
    if last and scanned:
        where = last.get("location") or "?"
        when_de = f"{format_date(scanned.date(), 'de')} um {format_time(scanned.time(), 'de')} Uhr"
        when_en = f"{format_date(scanned.date(), 'en')} at {format_time(scanned.time(), 'en')}"
        if status == "in_parcel_shop":
            sentences.append(common.pick(language, f"Abholort: {where}.", f"Pick-up point: {where}."))
        else:
            sentences.append(common.pick(language, f"Letzter Scan: {when_de} in {where}.",
                                         f"Last scan: {when_en} in {where}."))
    if parcel.get("pickup_until"):
        until = parse_timestamp(parcel["pickup_until"], TIMEZONE)
        if until:
            sentences.append(common.pick(language, f"Abholbar bis {format_date(until.date(), 'de')}.",
                                         f"You can collect it until {format_date(until.date(), 'en')}."))
    eta = eta_text(parcel.get("eta"), language)
    if eta and status not in ("delivered", "returned_to_sender"):
        sentences.append(common.pick(language, f"Voraussichtliche Zustellung: {eta}.", f"Expected delivery: {eta}."))
    return common.join_sentences(sentences)


def _left_with_neighbour(event: dict[str, Any]) -> bool:
    """The carrier marks a delivery to a neighbour with note "Nachbar"/"neighbour" (or a neighbour's name)."""
    note = str(event.get("note") or "").lower()
    return bool(event.get("neighbour")) or note in ("nachbar", "neighbour", "neighbor")


def eta_text(eta: Any, language: str) -> str | None:
    """ "Mi, 04.06., 10:00–14:00 Uhr" for a delivery window {from, to}; a day range when it spans days."""
    if not isinstance(eta, dict):
        return None
    start, end = parse_timestamp(eta.get("from"), TIMEZONE), parse_timestamp(eta.get("to"), TIMEZONE)
    if start is None:
        return None
    if end is None or end.date() != start.date():
        last_day = f" – {format_date(end.date(), language)}" if end else ""
        return format_date(start.date(), language) + last_day
    window = f"{format_time(start.time(), language)}–{format_time(end.time(), language)}"
    return f"{format_date(start.date(), language)}, {window}" + common.pick(language, " Uhr", "")


class ValidateParcelTrackingForm(FormValidationAction):
    """Accepts known tracking number formats; anything else is refused with a hint on the format."""

    def name(self) -> str:
        return "validate_parcel_tracking_form"

    async def extract_tracking_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: dict[str, Any]) -> dict[str, Any]:
        # When NLU found no entity but the customer typed something with digits while we asked for the
        # number, take it anyway: validation then accepts it or explains the format (instead of the
        # form silently rejecting the turn).
        if tracker.get_slot("requested_slot") != "tracking_number":
            return {}
        if any(e.get("entity") == "tracking_number" for e in tracker.latest_message.get("entities", [])):
            return {}
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/") or not re.search(r"\d", text):
            return {}
        return {"tracking_number": find_tracking_number(text) or text.strip()}

    def validate_tracking_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        number = normalise_tracking_number(value) or (find_tracking_number(value) if isinstance(value, str) else None)
        if number is None:
            dispatcher.utter_message(response="utter_invalid_tracking_number")
            return {"tracking_number": None}
        return {"tracking_number": number}


class ActionTrackParcel(Action):
    """Looks the parcel up at the carrier (the parcel service) and tells status, last scan and ETA."""

    def name(self) -> str:
        return "action_track_parcel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = common.language_of(tracker)
        number = normalise_tracking_number(tracker.get_slot("tracking_number"))
        if number is None:
            dispatcher.utter_message(response="utter_invalid_tracking_number")
            return [SlotSet("tracking_number", None)]
        try:
            parcel = await fetch_parcel(number)
        except ServiceUnavailable as error:
            logger.warning("parcel service unavailable: %s", error)
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet("tracking_number", None)]
        if parcel is None:
            dispatcher.utter_message(response="utter_parcel_not_found", tracking_number=number)
        else:
            dispatcher.utter_message(text=status_sentence(parcel, language))
        # Forget the number so the next "where is my parcel?" asks again instead of repeating this one.
        return [SlotSet("tracking_number", None)]
