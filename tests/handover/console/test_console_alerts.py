"""An offer reaches an agent whose console tab is in the background: the browser notification is shown
and the chime plays there; the offer waits in the list when the agent comes back."""

from __future__ import annotations

from .conftest import log_in, open_console

HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW = """() => {
  delete document.visibilityState;
  delete document.hidden;
  document.dispatchEvent(new Event('visibilitychange'));
}"""


async def test_an_offer_notifies_and_chimes_while_the_console_tab_is_in_the_background(console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("lena", display_name="Lena", teams=["service"], languages=["de", "en"])
    page = await open_console(browser, server)
    await log_in(page, "lena")  # the click that lets the page make sound and notifications
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Online").click()
    await expect(page.get_by_role("button", name="Online")).to_have_attribute("aria-pressed", "true")

    # The agent switches to another tab. Headless chromium keeps every tab "visible" (no window to
    # cover it; bringing another page to the front or minimising changes nothing), so the page is told
    # what a browser tells a background tab: visibilityState "hidden" and a visibilitychange event.
    other = await page.context.new_page()
    await other.bring_to_front()
    await page.evaluate(HIDE)
    assert await page.evaluate("document.hidden && document.visibilityState === 'hidden'")

    await server.say("kunde-bg", "Ich möchte mit einem Menschen sprechen")
    await page.wait_for_function("() => window.__notifications.length > 0")
    [notification] = await page.evaluate("window.__notifications")
    assert notification["title"] == "A conversation is offered to you"
    assert "kunde-bg" in notification["body"] and notification["visibility"] == "hidden"
    await page.wait_for_function("() => window.__tones > 0")
    tones = await page.evaluate("window.__toneStates")
    assert tones and all(tone == {"audio": "running", "visibility": "hidden"} for tone in tones)

    # Back on the console, the offer is there to accept.
    await page.bring_to_front()
    await page.evaluate(SHOW)
    offered = page.get_by_role("region", name="Offered to you").get_by_role("button").filter(has_text="kunde-bg")
    await expect(offered).to_be_visible()
    assert page.dialogs == []
