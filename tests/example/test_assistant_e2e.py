"""The example assistant end to end: train it (small epochs), talk to it through the Agent in both languages.

Custom actions run in-process against the local parcel service; the opening-hours clock is fixed.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow

# The trained example model and the `agent` talking to it are fixtures in conftest.py.


async def say(agent: Any, text: str, sender: str) -> list[str]:
    return [reply.get("text", "") for reply in await agent.handle_text(text, sender)]


async def test_german_parcel_tracking_with_the_form(agent: Any) -> None:
    assert (await say(agent, "Hallo", "de-1"))[0].startswith("Hallo! Ich bin der digitale Assistent")
    assert await say(agent, "wo ist mein paket", "de-1") == [
        "Wie lautet Ihre Sendungsnummer? Sie steht in der Versandbestätigung (z. B. JJD000390007812345)."]
    replies = await say(agent, "12345", "de-1")
    assert replies[0].startswith("Das sieht nicht nach einer gültigen Sendungsnummer aus.")
    assert replies[-1].startswith("Wie lautet Ihre Sendungsnummer?")
    replies = await say(agent, "JJD000390007812345", "de-1")
    assert replies == ["Ihre Sendung JJD000390007812345 ist unterwegs. Letzter Scan: Di, 03.06. um 4:05 Uhr in "
                       "Paketzentrum Börnicke. Voraussichtliche Zustellung: Mi, 04.06., 10:00–14:00 Uhr."]


async def test_english_opening_hours_and_order_status(agent: Any) -> None:
    assert await say(agent, "Are you open on Saturday?", "en-1") == ["On Saturdays we're open 9:00 am–2:00 pm."]
    replies = await say(agent, "What's the status of my order A-123456?", "en-1")
    assert replies == ["Your order A-123456 has been shipped. Items: 1 × Wanderschuhe Gr. 42. Tracking number: "
                       "JJD000390007812345. Expected delivery: Wed 4 Jun, 10:00 am–2:00 pm."]
    assert (await say(agent, "thank you", "en-1")) == ["You're welcome! Is there anything else I can do for you?"]


async def test_complaint_offers_a_human_who_gets_the_conversation(handover_agent: Any) -> None:
    agent = handover_agent
    replies = await agent.handle_text("The parcel arrived damaged", "en-2")
    assert replies[0]["text"].startswith("I'm very sorry about that!")
    assert [b["payload"] for b in replies[1]["buttons"]] == ["/affirm", "/deny"]
    # open (Tuesday morning) but nobody logged in: said so, and the conversation waits for the team
    assert (await say(agent, "/affirm", "en-2"))[0].startswith("Nobody from our team is available right now.")
    row = await agent.processor.plugin.service.row("en-2")
    assert (row["state"], row["team"], row["language"]) == ("queued", "service", "en")
    assert await say(agent, "hello?", "en-2") == []  # a person owns it now: the bot stays silent


async def test_address_change_and_handoff_by_intent(handover_agent: Any) -> None:
    agent = handover_agent
    replies = await say(agent, '/delivery_address_change{"street": "Lindenweg 7", "zip": "01067", "city": "Dresden"}',
                        "de-2")
    assert replies[0].startswith("Gern ändere ich die Lieferadresse.")
    assert "Lindenweg 7, 01067 Dresden" in replies[-1]
    assert (await say(agent, "/human_handoff", "de-2"))[0].startswith("Gerade ist leider niemand aus unserem Team")
    row = await agent.processor.plugin.service.row("de-2")
    # the agent sees what the customer already said, with what the bot understood of it
    assert [m["intent"]["name"] for m in row["packet"]["messages"]] == ["delivery_address_change", "human_handoff"]


async def test_two_fallbacks_in_a_row_offer_a_human(agent: Any) -> None:
    assert (await say(agent, "/nlu_fallback", "de-3"))[0].startswith("Entschuldigung, das habe ich nicht verstanden.")
    assert (await say(agent, "/nlu_fallback", "de-3"))[0].startswith("Soll ich Sie mit einer Kollegin")


async def test_address_form_answers_stay_in_their_slots(agent: Any) -> None:
    # German, step by step: a postcode is a postcode, not the tracking number of the next question
    assert (await say(agent, "Ich möchte meine Lieferadresse ändern", "de-4"))[-1] == \
        "Wie lauten Straße und Hausnummer der neuen Adresse?"
    assert await say(agent, "Lindenweg 7", "de-4") == ["Wie lautet die Postleitzahl?"]
    assert await say(agent, "10115", "de-4") == ["In welchem Ort?"]
    replies = await say(agent, "Berlin", "de-4")
    assert "Lindenweg 7, 10115 Berlin" in replies[-1]
    tracker = await agent.processor.fetch_tracker("de-4")
    assert tracker.get_slot("tracking_number") is None
    assert await say(agent, "Wo ist mein Paket?", "de-4") == [
        "Wie lautet Ihre Sendungsnummer? Sie steht in der Versandbestätigung (z. B. JJD000390007812345)."]


async def test_a_tracking_number_typed_in_the_address_form_is_tracked_not_taken_for_a_street(agent: Any) -> None:
    assert (await say(agent, "I need to change my delivery address", "en-4"))[-1] == \
        "What are the street and house number of the new address?"
    replies = await say(agent, "Track JJD000390007812345", "en-4")
    assert replies == ["Your parcel JJD000390007812345 is on its way. Last scan: Tue 3 Jun at 4:05 am in "
                       "Paketzentrum Börnicke. Expected delivery: Wed 4 Jun, 10:00 am–2:00 pm."]
    tracker = await agent.processor.fetch_tracker("en-4")
    assert tracker.get_slot("street") is None and tracker.active_loop_name is None


async def test_yes_to_a_person_in_the_middle_of_the_address_form_hands_over(handover_agent: Any) -> None:
    agent = handover_agent
    assert (await say(agent, "Ich möchte meine Lieferadresse ändern", "de-5"))[-1] == \
        "Wie lauten Straße und Hausnummer der neuen Adresse?"
    replies = await say(agent, "Das Paket kam beschädigt an", "de-5")
    assert replies[0].startswith("Das tut mir sehr leid!") and replies[1].startswith("Soll ich Sie mit einer Kollegin")
    # "Ja, bitte" is the answer to the offer, not a street: the form ends and the team gets the conversation
    assert (await say(agent, "Ja, bitte", "de-5"))[0].startswith("Gerade ist leider niemand aus unserem Team")
    row = await agent.processor.plugin.service.row("de-5")
    assert (row["state"], row["language"]) == ("queued", "de")
    tracker = await agent.processor.fetch_tracker("de-5")
    assert tracker.active_loop_name is None and tracker.get_slot("street") is None
    # waiting, the customer changes their mind: the wait ends and the bot answers again
    assert await say(agent, "doch nicht, ich warte nicht", "de-5") == [
        "In Ordnung, Sie warten nicht mehr auf eine Kollegin oder einen Kollegen. Wie kann ich Ihnen sonst helfen?"]
    assert (await agent.processor.plugin.service.row("de-5"))["state"] == "bot"
    assert (await say(agent, "Hallo", "de-5"))[0].startswith("Hallo! Ich bin der digitale Assistent")


async def test_no_to_a_person_in_the_middle_of_a_form_goes_back_to_the_form(handover_agent: Any) -> None:
    agent = handover_agent
    assert await say(agent, "where is my parcel", "en-5") == [
        "What's your tracking number? You'll find it in the shipping confirmation (e.g. JJD000390007812345)."]
    replies = await say(agent, "The parcel arrived damaged", "en-5")
    assert replies[1] == "Shall I connect you with a colleague from customer service?"
    assert await say(agent, "no thanks", "en-5") == [
        "What's your tracking number? You'll find it in the shipping confirmation (e.g. JJD000390007812345)."]
    replies = await say(agent, "JJD000390007812345", "en-5")
    assert replies[0].startswith("Your parcel JJD000390007812345 is on its way.")
    assert (await agent.processor.plugin.service.row("en-5") or {}).get("state", "bot") == "bot"
