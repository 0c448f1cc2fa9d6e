"""A reload keeps the agent logged in (the HttpOnly cookie's session is resumed); after logging out it does not."""

from __future__ import annotations

from .conftest import log_in, open_console


async def test_a_reload_keeps_the_agent_logged_in_until_they_log_out(console_server, browser) -> None:
    from playwright.async_api import expect

    from handover.auth import COOKIE

    server = console_server
    await server.create_agent("lena", display_name="Lena Vogt", teams=["service"], languages=["de", "en"])
    await server.say("kunde-r", "Ich möchte mit einem Menschen sprechen")
    await server.runtime.accept(await server.runtime.directory.get_agent("lena"), "kunde-r")
    page = await open_console(browser, server)
    await log_in(page, "lena")
    await expect(page.get_by_text("Lena Vogt")).to_be_visible()

    await page.reload()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await expect(page.get_by_text("Lena Vogt")).to_be_visible()
    await expect(page.get_by_label("Password")).to_have_count(0)
    [cookie] = [c for c in await page.context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # Nothing of the session is kept where a script could read it later.
    assert await page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert "handover_session" not in await page.evaluate("() => document.cookie")

    # The resumed page carries the CSRF token: sending works.
    await page.get_by_role("region", name="Your conversations").get_by_role("button").filter(
        has_text="kunde-r").click()
    message = page.get_by_label("Message", exact=True)
    await message.fill("Nach dem Neuladen noch da.")
    await message.press("Enter")
    transcript = page.get_by_role("log", name="Transcript")
    await expect(transcript.get_by_role("listitem").filter(has_text="Nach dem Neuladen noch da.")).to_contain_text(
        "Sent")
    events = await server.tracker_events("kunde-r")
    assert [e["text"] for e in events if e["event"] == "bot"][-1] == "Nach dem Neuladen noch da."

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("status")).to_have_text("You are logged out.")
    await page.reload()
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()
    await expect(page.get_by_label("Username")).to_be_visible()
    await expect(page.get_by_role("button", name="Log out")).to_have_count(0)
