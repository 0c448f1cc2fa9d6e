"""The supervisor's view in Debian's chromium, as a supervisor uses it, against the served help desk.

A supervisor logs in, sees a waiting conversation and an agent's load, reassigns the conversation,
edits a canned reply and a team's business hours; the agent's console and the API see the changes.
An agent's display name and a canned reply holding an XSS payload are shown as text, never run.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from tests.handover.conftest import PASSWORD
from tests.handover.console.conftest import XSS, axe_violations, log_in, open_console

# A folder to take the docs' pictures in (as the agent view's test): a plain test run writes nothing.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


async def _until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.2)
    return found


async def _token_headers(server: Any, username: str) -> dict[str, str]:
    token = await server.runtime.directory.issue_token(username)
    return {"Authorization": f"Bearer {token}"}


async def _supervisor_page(browser: Any, server: Any, *, locale: str = "en-US") -> Any:
    page = await open_console(browser, server, locale=locale)
    await page.goto(f"{server.base}/console/supervisor")
    return page


async def test_a_supervisor_watches_reassigns_and_edits_in_the_browser(console_server, browser) -> None:
    server = console_server
    await server.create_agent("sue", role="supervisor", display_name="Sue Visor")
    await server.create_agent("erika", display_name=f"Erika {XSS}", teams=["service"])
    await server.create_agent("max", display_name="Max Muster", teams=["service"])
    erika, maxi = await _token_headers(server, "erika"), await _token_headers(server, "max")
    # Erika has one conversation (her load), then goes away so the next one waits in the queue.
    await server.say("anna", "agent please")
    response = await server.http.post("/handover/conversations/anna/accept", headers=erika)
    assert response.status_code == 200, response.text
    await server.runtime.set_presence("erika", "away")
    await server.say("carl", "Ich möchte mit einem Menschen sprechen")

    page = await _supervisor_page(browser, server)
    await log_in(page, "sue")
    live = page.get_by_role("region", name="Queues and agents")
    carl = live.get_by_role("row").filter(has_text="carl")
    await carl.get_by_text("waiting").wait_for()
    erika_row = live.get_by_role("row").filter(has_text="(erika)")
    await erika_row.get_by_text("1 / 3").wait_for()
    assert await erika_row.get_by_role("rowheader").inner_text() == f"Erika {XSS} (erika)"  # text, not markup

    # Reassign carl to Max: the state machine's transfer, seen by Max's console (API) at once.
    await carl.get_by_label("Assign carl to").select_option("max")
    await carl.get_by_role("button", name="Reassign").click()
    await page.get_by_role("status").filter(has_text="carl is now with Max Muster").wait_for()
    mine = (await server.http.get("/handover/conversations", params={"state": "mine"}, headers=maxi)).json()
    assert [item["conversation_id"] for item in mine] == ["carl"]
    await live.get_by_role("row").filter(has_text="carl").get_by_text("with max").wait_for()
    # Max's console, open on carl, is told of the canned reply's change below by the live feed.
    console = await open_console(browser, server)
    await log_in(console, "max")
    await console.get_by_role("region", name="Your conversations").get_by_role("button").filter(has_text="carl").click()

    # A canned reply edited in a form; the agent's list shows the new text. The XSS one stays text.
    await page.get_by_role("button", name="Canned replies").click()
    sendung = page.get_by_role("group", name="/sendung · every language · every team")
    await sendung.get_by_label("Text").fill("Ihre Sendung {tracking_number} ist heute bei Ihnen.")
    await sendung.get_by_role("button", name="Save reply").click()
    await page.get_by_role("status").filter(has_text="Canned reply /sendung saved.").wait_for()
    replies = (await server.http.get("/handover/canned-replies", headers=erika)).json()
    assert {reply["shortcut"]: reply["text"] for reply in replies}["sendung"] == \
        "Ihre Sendung {tracking_number} ist heute bei Ihnen."
    await console.get_by_label("Message", exact=True).fill("/sendung")
    await console.get_by_role("listbox", name="Canned replies").get_by_role("option") \
        .filter(has_text="ist heute bei Ihnen").wait_for()
    xss = page.get_by_role("group", name="/xss · every language · every team")
    assert await xss.get_by_label("Text").input_value() == f"Vorlage {XSS}"

    # The team's business hours: a bad time zone is refused with what to write, then saved.
    await page.get_by_role("button", name="Teams and hours").click()
    await page.get_by_label("Always open (no business hours)").uncheck()
    await page.get_by_label("Time zone (IANA, e.g. Europe/Berlin)").fill("Europe/Berln")
    await page.get_by_label("Monday (e.g. 08:00-12:00, 13:00-18:00; empty: closed)").fill("08:00-12:00, 13:00-18:00")
    await page.get_by_label("Holidays (one date per line, YYYY-MM-DD)").fill("2026-12-25\n2026-12-26")
    await page.get_by_label("Special days (one per line: YYYY-MM-DD: 08:00-12:00, or YYYY-MM-DD: closed)") \
        .fill("2026-12-24: 08:00-12:00\n2026-12-31: closed")
    await page.get_by_role("button", name="Save hours").click()
    await page.get_by_role("alert").filter(has_text="Europe/Berlin").wait_for()
    await page.get_by_label("Time zone (IANA, e.g. Europe/Berlin)").fill("Europe/Berlin")
    await page.get_by_role("button", name="Save hours").click()
    await page.get_by_role("status").filter(has_text="Business hours of service saved.").wait_for()
    [team] = (await server.http.get("/handover/teams", headers=erika)).json()
    assert team["business_hours"] == {
        "timezone": "Europe/Berlin", "weekly": {"mon": ["08:00-12:00", "13:00-18:00"]},
        "holidays": ["2026-12-25", "2026-12-26"], "special_days": {"2026-12-24": ["08:00-12:00"], "2026-12-31": "closed"}}
    assert server.runtime.plugin.settings.teams["service"].business_hours == team["business_hours"]  # routing's

    # The agent's view is a click away, in the same session, and back.
    await page.get_by_role("button", name="Agent view").click()
    await page.get_by_role("heading", name="Agent console").first.wait_for()
    await page.get_by_role("button", name="Supervisor view").click()
    await live.get_by_role("row").filter(has_text="carl").wait_for()
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / "supervisor-view.png"), full_page=True)
    assert not await axe_violations(page)
    assert page.dialogs == [] and await page.locator("img[src='x']").count() == 0


async def test_the_view_speaks_german_and_agents_are_turned_away(console_server, browser) -> None:
    server = console_server
    await server.create_agent("sue", role="supervisor")
    await server.create_agent("erika")
    await server.say("dora", "agent please")
    page = await _supervisor_page(browser, server, locale="de-DE")
    await log_in(page, "sue", labels=("Benutzername", "Passwort", "Anmelden"))
    await page.get_by_role("heading", name="Supervisor-Ansicht").wait_for()
    row = page.get_by_role("region", name="Warteschlangen und Agenten").get_by_role("row").filter(has_text="dora")
    await row.get_by_role("button", name="Neu zuweisen").wait_for()
    await page.get_by_role("button", name="Textvorlagen").click()
    await page.get_by_role("button", name="Vorlage speichern").first.wait_for()
    await page.get_by_role("button", name="Abmelden").click()

    # An agent on the same address gets the agent's view, without the supervisor's (the API refuses it too).
    await log_in(page, "erika", labels=("Benutzername", "Passwort", "Anmelden"))
    await page.get_by_role("heading", name="Agenten-Konsole").first.wait_for()
    assert await page.get_by_role("button", name="Supervisor-Ansicht").count() == 0
    response = await server.http.get("/handover/overview", headers=await _token_headers(server, "erika"))
    assert response.status_code == 403
    assert PASSWORD not in await page.content()
