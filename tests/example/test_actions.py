"""The example's custom actions run in-process through rasa_sdk, against the local parcel service."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.address import (
    ActionSubmitAddressChange,
    ValidateAddressChangeForm,
    clean_city,
    clean_street,
    clean_zip,
)
from actions.orders import ActionOrderStatus, ValidateOrderStatusForm, normalise_order_id
from actions.parcel import (
    ActionTrackParcel,
    ValidateParcelTrackingForm,
    find_tracking_number,
    normalise_tracking_number,
)

FORM_DOMAIN: dict[str, Any] = {"forms": {
    "parcel_tracking_form": {"required_slots": ["tracking_number"]},
    "order_status_form": {"required_slots": ["order_id"]},
    "address_change_form": {"required_slots": ["street", "zip", "city"]},
}, "slots": {}}


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# -- formats ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, canonical", [
    ("JJD000390007812345", "JJD000390007812345"),
    ("jjd 0003 9000 7812 345", "JJD000390007812345"),
    ("0034-0434-1612-3456-7890", "00340434161234567890"),
    ("1z999aa10123456784", "1Z999AA10123456784"),
    ("LX 123 456 789 DE", "LX123456789DE"),
])
def test_tracking_numbers_are_normalised(typed: str, canonical: str) -> None:
    assert normalise_tracking_number(typed) == canonical


@pytest.mark.parametrize("typed", ["12345", "JJD123", "003404341612345678901", "hallo", "", None, 42])
def test_invalid_tracking_numbers_are_refused(typed: Any) -> None:
    assert normalise_tracking_number(typed) is None


def test_tracking_number_found_in_free_text() -> None:
    assert find_tracking_number("meine nummer ist JJD 0003 9000 7812 345, danke") == "JJD000390007812345"
    assert find_tracking_number("it's LX123456789DE.") == "LX123456789DE"
    assert find_tracking_number("ich habe die 12345") is None


@pytest.mark.parametrize("typed, canonical", [("A-123456", "A-123456"), ("a123456", "A-123456"),
                                              ("#384920", "A-384920"), ("204518", "A-204518"),
                                              ("A-12345", None), ("B-123456", None)])
def test_order_ids_are_normalised(typed: str, canonical: str | None) -> None:
    assert normalise_order_id(typed) == canonical


# -- form validation --------------------------------------------------------------------------------
async def test_parcel_form_accepts_and_normalises_a_number(tracker_factory) -> None:
    tracker = tracker_factory(text="jjd 0003 9000 7812 345", intent="track_parcel",
                              slots={"tracking_number": "jjd 0003 9000 7812 345", "requested_slot": "tracking_number"},
                              active_loop="parcel_tracking_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateParcelTrackingForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert slot_events(events) == {"tracking_number": "JJD000390007812345"}
    assert dispatcher.messages == []


async def test_parcel_form_refuses_an_invalid_number_typed_without_entity(tracker_factory) -> None:
    # NLU found no entity in "12345"; the form's extraction still takes it, validation explains the format
    tracker = tracker_factory(text="12345", intent="track_parcel", slots={"requested_slot": "tracking_number"},
                              active_loop="parcel_tracking_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateParcelTrackingForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert slot_events(events) == {"tracking_number": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_tracking_number"


async def test_parcel_form_leaves_an_unrelated_answer_alone(tracker_factory) -> None:
    # no digits: nothing extracted, so the form rejects the turn and rules handle the digression
    tracker = tracker_factory(text="wann habt ihr offen", intent="ask_opening_hours",
                              slots={"requested_slot": "tracking_number"}, active_loop="parcel_tracking_form")
    events = await ValidateParcelTrackingForm().run(CollectingDispatcher(), tracker, FORM_DOMAIN)
    assert slot_events(events) == {}


async def test_order_form_normalises_and_refuses(tracker_factory) -> None:
    tracker = tracker_factory(text="#384920", intent="order_status", slots={"order_id": "#384920",
                              "requested_slot": "order_id"}, active_loop="order_status_form")
    events = await ValidateOrderStatusForm().run(CollectingDispatcher(), tracker, FORM_DOMAIN)
    assert slot_events(events) == {"order_id": "A-384920"}
    tracker = tracker_factory(text="1234", intent="order_status", slots={"requested_slot": "order_id"},
                              active_loop="order_status_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert slot_events(events) == {"order_id": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_order_id"


def test_a_parcel_or_order_number_is_no_street() -> None:
    assert clean_street("Track JJD000390007812345") is None
    assert clean_street("Bestellung A-123456") is None
    assert clean_street("Lindenweg 7") == "Lindenweg 7"


async def test_a_postcode_the_nlu_took_for_a_tracking_number_is_dropped_outside_the_form(tracker_factory) -> None:
    from actions.slot_validation import ValidateSlotMappings

    domain = {**FORM_DOMAIN, "slots": {"tracking_number": {"type": "text"}}}
    answer = tracker_factory(text="10115", intent="delivery_address_change",
                             slots={"tracking_number": "10115", "requested_slot": "zip"},
                             active_loop="address_change_form")
    events = await ValidateSlotMappings().run(CollectingDispatcher(), answer, domain)
    assert slot_events(events) == {"tracking_number": None}
    real = tracker_factory(text="track jjd 0003 9000 7812 345", intent="track_parcel",
                           slots={"tracking_number": "jjd 0003 9000 7812 345"})
    assert slot_events(await ValidateSlotMappings().run(CollectingDispatcher(), real, domain)) == {
        "tracking_number": "JJD000390007812345"}
    # in the tracking form its own validation explains a wrong number, so it is left to the form
    in_form = tracker_factory(text="12345", intent="track_parcel",
                              slots={"tracking_number": "12345", "requested_slot": "tracking_number"},
                              active_loop="parcel_tracking_form")
    events = await ValidateSlotMappings().run(CollectingDispatcher(), in_form, domain)
    assert slot_events(events) in ({}, {"tracking_number": "12345"})


def test_address_parts_are_checked() -> None:
    assert clean_street(" Hauptstraße 12, ") == "Hauptstraße 12"
    assert clean_street("Mozartgasse 4/2") == "Mozartgasse 4/2"
    assert clean_street("nein") is None and clean_street("12") is None
    assert clean_zip("PLZ 10115") == "10115" and clean_zip("8010") == "8010" and clean_zip("123") is None
    assert clean_city("köln") == "Köln" and clean_city("10115") is None


async def test_address_form_refuses_a_bad_zip(tracker_factory) -> None:
    tracker = tracker_factory(text="abc", slots={"zip": "abc", "requested_slot": "zip"},
                              active_loop="address_change_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateAddressChangeForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert slot_events(events) == {"zip": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_zip"


async def test_a_stray_piece_for_another_address_part_is_dropped_quietly(tracker_factory) -> None:
    # "Lindenweg 7" answered for the street: the NLU also took "7" for a postcode
    tracker = tracker_factory(text="Lindenweg 7", intent="delivery_address_change",
                              slots={"street": "Lindenweg 7", "zip": "7", "requested_slot": "street"},
                              active_loop="address_change_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateAddressChangeForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert slot_events(events)["street"] == "Lindenweg 7" and slot_events(events)["zip"] is None
    assert dispatcher.messages == []


async def test_address_summary_in_english_clears_the_slots(tracker_factory) -> None:
    tracker = tracker_factory(language="en", slots={"street": "Lindenweg 7", "zip": "01067", "city": "Dresden"})
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitAddressChange().run(dispatcher, tracker, {})
    assert "Lindenweg 7, 01067 Dresden" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["text"].startswith("Thank you!")
    assert slot_events(events) == {"street": None, "zip": None, "city": None}


# -- lookups against the service --------------------------------------------------------------------
async def test_track_parcel_reports_status_last_scan_and_eta(parcel_service, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(language="de", slots={"tracking_number": "JJD000390007812345"})
    events = await ActionTrackParcel().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == (
        "Ihre Sendung JJD000390007812345 ist unterwegs. Letzter Scan: Di, 03.06. um 4:05 Uhr in "
        "Paketzentrum Börnicke. Voraussichtliche Zustellung: Mi, 04.06., 10:00–14:00 Uhr.")
    assert slot_events(events) == {"tracking_number": None}

    dispatcher = CollectingDispatcher()
    await ActionTrackParcel().run(dispatcher, tracker_factory(language="en",
                                                              slots={"tracking_number": "JJD014600003816789"}), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Your parcel JJD014600003816789 is ready for pick-up.")
    assert "Pick-up point: Postfiliale Köln Breite Straße." in text and "until Tue 10 Jun" in text


async def test_delivered_parcel_has_no_eta_and_names_the_neighbour(parcel_service, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionTrackParcel().run(dispatcher, tracker_factory(
        language="en", slots={"tracking_number": "00340434161234567890"}), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Your parcel 00340434161234567890 has been delivered. It was left with a neighbour "
                           "(Fam. Özdemir, Erdgeschoss).")
    assert "Last scan: Thu 29 May at 11:47 am in München." in text
    assert "Expected delivery" not in text
    dispatcher = CollectingDispatcher()
    await ActionTrackParcel().run(dispatcher, tracker_factory(
        language="de", slots={"tracking_number": "00340434161234567890"}), {})
    assert "wurde zugestellt. Sie wurde bei einem Nachbarn abgegeben (Fam. Özdemir, Erdgeschoss)." \
        in dispatcher.messages[0]["text"]


async def test_a_date_at_the_end_of_a_sentence_gets_no_second_full_stop(parcel_service, tracker_factory) -> None:
    for number in ("JJD014600003816789", "LX123456789DE"):  # "Abholbar bis Di, 10.06."; a multi-day ETA
        dispatcher = CollectingDispatcher()
        await ActionTrackParcel().run(dispatcher, tracker_factory(language="de", slots={"tracking_number": number}),
                                      {})
        text = dispatcher.messages[0]["text"]
        assert ".." not in text and text.endswith("."), text


async def test_unknown_parcel_and_order(parcel_service, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionTrackParcel().run(dispatcher, tracker_factory(slots={"tracking_number": "JJD999999999999999"}), {})
    assert dispatcher.messages[0]["response"] == "utter_parcel_not_found"
    assert dispatcher.messages[0]["tracking_number"] == "JJD999999999999999"
    dispatcher = CollectingDispatcher()
    await ActionOrderStatus().run(dispatcher, tracker_factory(slots={"order_id": "A-000001"}), {})
    assert dispatcher.messages[0]["response"] == "utter_order_not_found"


async def test_order_status_in_both_languages(parcel_service, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOrderStatus().run(dispatcher, tracker_factory(language="en", slots={"order_id": "A-123456"}), {})
    assert dispatcher.messages[0]["text"] == (
        "Your order A-123456 has been shipped. Items: 1 × Wanderschuhe Gr. 42. Tracking number: "
        "JJD000390007812345. Expected delivery: Wed 4 Jun, 10:00 am–2:00 pm.")
    assert slot_events(events) == {"order_id": None}
    dispatcher = CollectingDispatcher()
    await ActionOrderStatus().run(dispatcher, tracker_factory(language="de", slots={"order_id": "A-551200"}), {})
    assert dispatcher.messages[0]["text"].startswith("Ihre Bestellung A-551200 wartet noch auf den Zahlungseingang.")


async def test_service_down_gets_an_apology(monkeypatch, tracker_factory) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PARCEL_SERVICE_URL", f"http://127.0.0.1:{port}")
    for action, slots in ((ActionTrackParcel(), {"tracking_number": "JJD000390007812345"}),
                          (ActionOrderStatus(), {"order_id": "A-123456"})):
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker_factory(slots=slots), {})
        assert dispatcher.messages[0]["response"] == "utter_service_unavailable"
        assert list(slot_events(events).values()) == [None]
