"""The agent console as agents use it: Debian's chromium, real clicks and keys, a real server.

A customer on the REST channel asks for a person; the agent is notified of the offer, accepts it by
key, reads the packet card, replies, writes a private note and transfers to a colleague in another
browser, who hands back to the bot; the bot answers the customer again.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from .conftest import XSS, axe_violations, log_in, open_console

SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")  # a folder: the docs' pictures are taken there


async def _screenshot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


async def _eventually(check: Any, timeout: float = 30.0) -> Any:
    """Polls an async check until it returns a truthy value (a busy machine answers late, not never)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


def _item(page: Any, section: str, conversation_id: str) -> Any:
    """The conversation's button in one section of the list ("Offered to you", "Your conversations")."""
    region = page.get_by_role("region", name=section)
    return region.get_by_role("button").filter(has_text=conversation_id)


async def test_an_agent_takes_an_offer_replies_notes_and_transfers_and_a_colleague_hands_back(
        console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("erika", display_name="Erika Muster", teams=["service"], languages=["de", "en"])
    await server.create_agent("max", display_name="Max Meier", teams=["service"], languages=["de", "en"])
    page = await open_console(browser, server)
    await expect(page.get_by_role("heading", name="Log in to the agent console")).to_be_visible()
    await log_in(page, "erika")
    await expect(page.get_by_text("Erika Muster")).to_be_visible()
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Online").click()
    await expect(page.get_by_role("button", name="Online")).to_have_attribute("aria-pressed", "true")

    # The customer leaves a tracking number, then asks for a person.
    await server.say("kunde-7", '/greet{"tracking_number": "JJD0099"}')
    await server.say("kunde-7", "Ich möchte mit einem Menschen sprechen")
    offered = _item(page, "Offered to you", "kunde-7")
    await expect(offered).to_be_visible()
    await page.wait_for_function("() => window.__notifications.length > 0")
    notification = await page.evaluate("window.__notifications[0]")
    assert notification["title"] == "A conversation is offered to you" and "kunde-7" in notification["body"]
    assert await page.evaluate("window.__tones") >= 1  # the chime played

    await page.keyboard.press("Alt+A")  # accept the offer by key
    await expect(_item(page, "Your conversations", "kunde-7")).to_be_visible()
    pane = page.get_by_role("main")
    await expect(pane.get_by_role("heading", name="kunde-7")).to_contain_text("with erika")
    card = page.get_by_role("region", name="Handover")
    await expect(card).to_contain_text("asked_for_human")
    await expect(card.get_by_role("listitem").filter(has_text="Ich möchte mit einem Menschen sprechen")).to_contain_text(
        "human_handoff")
    await expect(card.get_by_role("region", name="Slots")).to_contain_text("tracking_number")
    await expect(card.get_by_role("region", name="Slots").get_by_role("definition").filter(has_text="JJD0099")).to_be_visible()
    await expect(card.locator("[data-sla]")).to_be_visible()  # the first-response clock runs

    # The message field has the focus after accepting: type and press Enter.
    message = page.get_by_label("Message", exact=True)
    await expect(message).to_be_focused()
    await message.fill("Hallo, hier ist Erika. Ich schaue nach.")
    await message.press("Enter")
    transcript = page.get_by_role("log", name="Transcript")
    reply = transcript.get_by_role("listitem").filter(has_text="Hallo, hier ist Erika")
    await expect(reply).to_contain_text("Sent")
    await expect(reply).to_contain_text("Erika Muster")
    events = await server.tracker_events("kunde-7")
    assert [e["text"] for e in events if e["event"] == "bot"][-1] == "Hallo, hier ist Erika. Ich schaue nach."

    # A canned reply, its {tracking_number} filled from the conversation's slots.
    await message.fill("/sendung")
    picker = page.get_by_role("listbox", name="Canned replies")
    await expect(picker.get_by_role("option")).to_have_text(["/sendung Ihre Sendung JJD0099 ist unterwegs."])
    await message.press("Enter")
    await expect(message).to_have_value("Ihre Sendung JJD0099 ist unterwegs.")
    await message.press("Enter")
    await expect(transcript.get_by_role("listitem").filter(has_text="Ihre Sendung JJD0099 ist unterwegs.")).to_contain_text(
        "Sent")
    events = await server.tracker_events("kunde-7")
    assert [e["text"] for e in events if e["event"] == "bot"][-1] == "Ihre Sendung JJD0099 ist unterwegs."

    # The customer answers; the agent sees it live, with the bot's suggested reply beside the composer.
    await server.say("kunde-7", "Danke, ich warte")
    await expect(transcript.get_by_text("Danke, ich warte")).to_be_visible()
    suggested = page.get_by_role("region", name="Suggested replies").get_by_role("listitem").filter(
        has_text="Gern geschehen!")
    await expect(suggested).to_be_visible()
    await _screenshot(page, "console-agent.png")
    async with page.expect_response(lambda response: response.url.endswith("/used")) as used:
        await suggested.get_by_role("button", name="Insert").click()
    assert (await used.value).status == 204  # recorded for the learning loop
    await expect(message).to_have_value("Gern geschehen!")
    await message.fill("")

    await page.get_by_label("New label").fill("vip")
    await page.get_by_role("button", name="Add label").click()
    await expect(page.get_by_role("region", name="Labels").get_by_role("button", name="Remove label vip")).to_be_visible()
    await expect(_item(page, "Your conversations", "kunde-7")).to_contain_text("vip")

    await page.get_by_label("Private note", exact=True).fill("Stammkunde, bitte bevorzugt behandeln")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.get_by_role("region", name="Private notes")).to_contain_text("Stammkunde")
    assert "Stammkunde" not in str(await server.tracker_events("kunde-7"))  # never sent to the customer

    colleague = await open_console(browser, server)
    await log_in(colleague, "max")
    await expect(colleague.get_by_text("Live", exact=True)).to_be_visible()

    await page.keyboard.press("Alt+T")
    dialog = page.get_by_role("dialog", name="Transfer the conversation")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Agent (username)").fill("max")
    await dialog.get_by_label("Note for the colleague").fill("Bitte die Rücksendung prüfen")
    await dialog.get_by_role("button", name="Transfer").click()
    await expect(page.get_by_role("status").filter(has_text="Transferred.")).to_be_visible()
    await expect(_item(page, "Your conversations", "kunde-7")).to_have_count(0)

    mine = _item(colleague, "Your conversations", "kunde-7")
    await expect(mine).to_be_visible()
    await mine.click()
    notes = colleague.get_by_role("region", name="Private notes")
    await expect(notes).to_contain_text("Stammkunde, bitte bevorzugt behandeln")
    await expect(notes).to_contain_text("Bitte die Rücksendung prüfen")
    await expect(colleague.get_by_role("log", name="Transcript").get_by_text("Danke, ich warte")).to_be_visible()
    await expect(colleague.get_by_role("region", name="Labels").get_by_role("button", name="Remove label vip")).to_be_visible()
    offered_again = colleague.get_by_role("region", name="Suggested replies").get_by_role("listitem").filter(
        has_text="Gern geschehen!")
    async with colleague.expect_response(lambda response: response.url.endswith("/dismissed")) as dismissed:
        await offered_again.get_by_role("button", name="Dismiss").click()
    assert (await dismissed.value).status == 204
    await expect(offered_again).to_have_count(0)

    await colleague.get_by_role("button", name="Hand back to bot").click()
    await expect(colleague.get_by_role("status").filter(has_text="Handed back to the bot.")).to_be_visible()
    await expect(colleague.get_by_role("main").get_by_role("heading", name="kunde-7")).to_contain_text("with the bot")
    replies = await server.say("kunde-7", "Danke")
    assert replies == [{"recipient_id": "kunde-7", "text": "Gern geschehen!"}]

    # The customer comes back: the new offer's card lists the earlier handling, with Max and its outcome.
    await server.say("kunde-7", "Ich möchte mit einem Menschen sprechen")
    await expect(_item(page, "Offered to you", "kunde-7")).to_be_visible()
    await _item(page, "Offered to you", "kunde-7").click()
    previous = page.get_by_role("region", name="Previous conversations")
    await expect(previous.get_by_role("listitem")).to_have_count(1)
    await expect(previous).to_contain_text("max")
    assert page.dialogs == [] and colleague.dialogs == []


async def test_texts_from_customers_agents_notes_and_canned_replies_render_as_text(console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("eve", display_name=f"Eve {XSS}", teams=["service"])
    page = await open_console(browser, server)
    await log_in(page, "eve")
    await expect(page.get_by_text(f"Eve {XSS}")).to_be_visible()  # the agent's name, as text
    await server.say("kunde-x", f"Hilfe {XSS} ich möchte mit einem Menschen sprechen")
    queued = _item(page, "Waiting in your queues", "kunde-x")
    await expect(queued).to_be_visible()
    await queued.click()
    await page.get_by_role("button", name="Accept").click()
    await expect(page.get_by_label("Message", exact=True)).to_be_focused()  # ready to reply
    transcript = page.get_by_role("log", name="Transcript")
    await expect(transcript.get_by_text(f"Hilfe {XSS} ich möchte")).to_be_visible()

    await page.get_by_label("Private note", exact=True).fill(f"Notiz {XSS}")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.get_by_role("region", name="Private notes").get_by_text(f"Notiz {XSS}")).to_be_visible()

    message = page.get_by_label("Message", exact=True)
    await message.fill("/xss")
    picker = page.get_by_role("listbox", name="Canned replies")
    await expect(picker.get_by_role("option").filter(has_text=f"Vorlage {XSS}")).to_be_visible()
    await message.press("Enter")  # takes the highlighted reply into the field
    await expect(message).to_have_value(f"Vorlage {XSS}")
    await message.press("Enter")
    await expect(transcript.get_by_text(f"Vorlage {XSS}")).to_be_visible()

    await page.get_by_label("New label").fill(XSS)
    await page.get_by_role("button", name="Add label").click()
    await expect(page.get_by_role("region", name="Labels").get_by_role("button", name=f"Remove label {XSS}")).to_be_visible()

    assert await page.locator("img").count() == 0
    assert page.dialogs == []


async def test_reconnects_after_a_restart_with_nothing_lost_or_twice(console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("rita", teams=["service"])
    page = await open_console(browser, server)
    failures: list[str] = []
    # Requests cut off while the server stops may fail; none after it is back. A 503 (Retry-After) is
    # the server's "shutting down" or "starting" answer, which the console retries, and on a busy
    # machine Playwright may report the old server's 503 only after the restart: it is allowed.
    restarted = asyncio.Event()
    page.on("response", lambda response: restarted.is_set() and response.status >= 500
            and response.status != 503 and failures.append(f"{response.status} {response.url}"))
    await log_in(page, "rita")
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    for customer in ("kunde-a", "kunde-b"):
        await server.say(customer, "Ich möchte mit einem Menschen sprechen")
        await server.runtime.accept(await server.runtime.directory.get_agent("rita"), customer)
    await expect(_item(page, "Your conversations", "kunde-b")).to_be_visible()
    await _item(page, "Your conversations", "kunde-a").click()
    transcript = page.get_by_role("log", name="Transcript")

    await server.stop()
    await expect(page.get_by_text("Reconnecting…")).to_be_visible()
    await server.start()  # the same database and port: a restarted `bot run`
    restarted.set()
    await server.say("kunde-a", "Erste Nachricht nach dem Neustart")
    await server.say("kunde-b", "Zweite Nachricht")
    await server.say("kunde-b", "Dritte Nachricht")
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    await expect(transcript.get_by_text("Erste Nachricht nach dem Neustart")).to_have_count(1)
    # Both of kunde-b's messages were missed while the console was away, and are counted once each.
    await expect(_item(page, "Your conversations", "kunde-b")).to_contain_text("2 unread")
    await _item(page, "Your conversations", "kunde-b").click()
    await expect(transcript.get_by_text("Zweite Nachricht")).to_have_count(1)
    await expect(transcript.get_by_text("Dritte Nachricht")).to_have_count(1)
    await expect(_item(page, "Your conversations", "kunde-b")).not_to_contain_text("unread")
    assert failures == []  # no request reached a stopped server

async def test_german_labels_by_the_browser_language_and_no_serious_accessibility_findings(
        console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("jana", display_name="Jana", teams=["service"])
    page = await open_console(browser, server, locale="de-DE")
    await expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    assert await axe_violations(page) == []
    await log_in(page, "jana", labels=("Benutzername", "Passwort", "Anmelden"))
    await server.say("kunde-de", "Ich möchte mit einem Menschen sprechen")
    queued = _item(page, "Wartend in Ihren Warteschlangen", "kunde-de")
    await queued.click()
    await page.get_by_role("button", name="Annehmen").click()
    for label in ("Weiterleiten", "An den Bot zurückgeben", "Erledigen", "Senden", "Abmelden"):
        await expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    await expect(page.get_by_label("Nachricht", exact=True)).to_be_focused()
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Tastenkürzel").click()
    help_dialog = page.get_by_role("dialog", name="Tastenkürzel")
    await expect(help_dialog).to_contain_text("Alt+R")
    await _screenshot(page, "console-shortcuts-de.png")
    assert await axe_violations(page) == []
    await help_dialog.get_by_role("button", name="Schließen").click()

    await page.get_by_label("Sprache").select_option("en")  # switched by the agent
    await expect(page.get_by_role("button", name="Hand back to bot")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("status")).to_have_text("You are logged out.")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()


async def test_an_ended_session_sends_the_agent_back_to_the_login(console_server, browser) -> None:
    from playwright.async_api import expect

    from handover.auth import COOKIE

    server = console_server
    await server.create_agent("otto", teams=["service"])
    page = await open_console(browser, server)
    await log_in(page, "otto")
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    [cookie] = [c for c in await page.context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await server.runtime.directory.end_session(cookie["value"])  # as an admin's password reset does
    await page.get_by_role("button", name="Away").click()
    await expect(page.get_by_role("status")).to_have_text("Your session has ended. Please log in again.")
    await expect(page.get_by_label("Username")).to_be_visible()

