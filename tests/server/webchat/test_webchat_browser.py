"""The widget as a customer uses it: Debian's chromium, a shop page on another origin, real clicks.

The shop's pages come from their own server on another port (another origin than the bot), with
exactly the snippet a shop pastes; the widget loads from the real bot server.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.signing import customer_signature

from .conftest import CUSTOMER_SECRET, ESCALATING_INTENT, agent_session, handover_extension

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT = 30_000  # ms: a busy shared machine


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run 'apt-get install -y chromium' (scripts/test.sh does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


async def shop_page(browser: Any, server: Any, shop: Any, path: str = "/product/42", attributes: str = "",
                    before: str | None = None) -> Any:
    """A page of the shop with the widget's snippet, in a new browser context (a new device)."""
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT)
    shop.pages[path] = _shop_html(server, attributes)
    page = await context.new_page()
    if before:
        await page.add_init_script(before)
    await page.goto(f"{shop.base}{path}")
    return page


def _shop_html(server: Any, attributes: str) -> str:
    snippet = f'<script src="{server.base}/webchat/widget.js" {attributes} defer></script>'
    return f"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>{snippet}</body></html>"


async def send(page: Any, text: str, *, message_label: str = "Message", send_label: str = "Send") -> None:
    await page.get_by_role("textbox", name=message_label).fill(text)
    await page.get_by_role("button", name=send_label).click()


def log(page: Any) -> Any:
    return page.get_by_role("log")


async def test_chat_click_a_button_reload_and_continue(browser, start_server, shop) -> None:
    from playwright.async_api import expect

    server = await start_server()
    page = await shop_page(browser, server, shop, attributes='data-title="Shop help"')
    await page.get_by_role("button", name="Open chat").click()
    await expect(page.get_by_role("dialog", name="Shop help")).to_be_visible()
    await send(page, "hello")
    await expect(log(page).get_by_text("Hey! How are you?")).to_be_visible()
    await expect(log(page).get_by_text("Read")).to_be_visible()  # the bot answered what was sent
    await log(page).get_by_role("button", name="great").click()
    await expect(log(page).get_by_text("Great, carry on!")).to_be_visible()
    await page.reload()
    await page.get_by_role("button", name="Open chat").click()
    await expect(log(page).get_by_text("Great, carry on!")).to_have_count(1)  # history, nothing twice
    # The button once, and the customer's message showing the clicked button's title once.
    await expect(log(page).get_by_role("button", name="great")).to_have_count(1)
    await expect(log(page).get_by_text("great", exact=True)).to_have_count(2)
    # The conversation continues: the new message is stored in it (what the tiny model answers is its own business).
    await send(page, "hello again")
    await expect(log(page).get_by_text("Delivered")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog", name="Shop help")).to_be_hidden()
    # Receipts reach the tracker: delivered and read up to the newest bot message.
    conversation = await page.evaluate("localStorage.getItem('botchat:' + arguments[0])".replace(
        "arguments[0]", repr(server.base)))
    conversation_id = conversation.split(".")[1]
    for _ in range(100):
        events = await server.processor.tracker_store.get_events(conversation_id, since_last_session_start=False)
        statuses = {e["status"] for e in events if e["event"] == "receipt"}
        if statuses == {"delivered", "read"}:
            break
        await asyncio.sleep(0.2)
    assert statuses == {"delivered", "read"}


async def test_chat_in_german_and_english_by_keyboard(browser, start_server, shop, make_shop_agent) -> None:
    from playwright.async_api import expect

    server = await start_server(agent=make_shop_agent())
    page = await shop_page(browser, server, shop, attributes='data-language="de"')
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Chat öffnen")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("textbox", name="Nachricht")).to_be_focused()
    await page.keyboard.type("hallo")
    await page.keyboard.press("Enter")
    await expect(log(page).get_by_text("Hallo! Wie kann ich Ihnen helfen?")).to_be_visible()
    await expect(log(page).get_by_text("Gelesen")).to_be_visible()
    await log(page).get_by_role("button", name="Öffnungszeiten").click()
    await expect(log(page).get_by_text("Wir haben Montag bis Freitag von 9 bis 18 Uhr geöffnet.")).to_be_visible()
    # The customer switches to English; the widget's own texts stay as the shop set them.
    await send(page, "when are you open", message_label="Nachricht", send_label="Senden")
    await expect(log(page).get_by_text("We are open Monday to Friday, 9:00 to 18:00.")).to_be_visible()

    english = await shop_page(browser, server, shop, attributes='data-language="en"')
    await english.get_by_role("button", name="Open chat").click()
    await send(english, "hello")
    await expect(log(english).get_by_text("Hello! How can I help you?")).to_be_visible()
    await log(english).get_by_role("button", name="Opening hours").click()
    await expect(log(english).get_by_text("We are open Monday to Friday, 9:00 to 18:00.")).to_be_visible()


async def test_phone_sized_screen_uses_the_whole_screen(browser, start_server, shop) -> None:
    from playwright.async_api import expect

    server = await start_server()
    context = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT)
    shop.pages["/phone"] = ('<!doctype html><html><head><meta name="viewport" content="width=device-width">'
                            f'</head><body><script src="{server.base}/webchat/widget.js" defer>'
                            "</script></body></html>")
    page = await context.new_page()
    await page.goto(f"{shop.base}/phone")
    await page.get_by_role("button", name="Open chat").tap()
    dialog = page.get_by_role("dialog", name="Chat with us")
    await expect(dialog).to_be_visible()
    box = await dialog.bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 667
    await send(page, "hello")
    await expect(log(page).get_by_text("Hey! How are you?")).to_be_visible()


async def test_a_signed_customer_sees_one_conversation_on_two_devices(browser, start_server, shop) -> None:
    from playwright.async_api import expect

    server = await start_server()
    signature = customer_signature(CUSTOMER_SECRET, "kunde-1001")
    identity = f'data-customer-id="kunde-1001" data-customer-signature="{signature}"'
    phone = await shop_page(browser, server, shop, attributes=identity)
    await phone.get_by_role("button", name="Open chat").click()
    await send(phone, "hello")
    await expect(log(phone).get_by_text("Hey! How are you?")).to_be_visible()
    laptop = await shop_page(browser, server, shop, attributes=identity)
    await laptop.get_by_role("button", name="Open chat").click()
    await expect(log(laptop).get_by_text("Hey! How are you?")).to_be_visible()
    await send(laptop, "/mood_great")
    await expect(log(laptop).get_by_text("Great, carry on!")).to_be_visible()
    await expect(log(phone).get_by_text("Great, carry on!")).to_be_visible()  # live on the other device

    forger = await shop_page(browser, server, shop,
                             attributes='data-customer-id="kunde-1001" data-customer-signature="' + "0" * 64 + '"')
    await forger.get_by_role("button", name="Open chat").click()
    await expect(forger.get_by_role("alert")).to_have_text("We could not verify your account.")
    await expect(log(forger).get_by_text("Hey! How are you?")).to_have_count(0)


async def test_logging_in_continues_the_anonymous_chat_and_an_expired_id_falls_back(browser, start_server,
                                                                                 shop) -> None:
    import jwt
    from playwright.async_api import expect

    server = await start_server()
    visitor = await shop_page(browser, server, shop)
    await visitor.get_by_role("button", name="Open chat").click()
    await send(visitor, "hello")
    await expect(log(visitor).get_by_text("Hey! How are you?")).to_be_visible()
    # The visitor logs in to the shop: its pages now carry their signed id (a JWT) in the snippet.
    fresh = jwt.encode({"sub": "kunde-9", "exp": int(time.time()) + 600}, CUSTOMER_SECRET, algorithm="HS256")
    shop.pages["/account"] = _shop_html(server, f'data-customer-token="{fresh}"')
    account = await visitor.context.new_page()
    await account.goto(f"{shop.base}/account")
    await account.get_by_role("button", name="Open chat").click()
    await expect(log(account).get_by_text("Hey! How are you?")).to_have_count(1)  # the same chat, once
    await send(account, "/mood_great")
    await expect(log(account).get_by_text("Great, carry on!")).to_be_visible()
    # On another device: the same customer conversation, history included.
    phone = await shop_page(browser, server, shop, path="/account2", attributes=f'data-customer-token="{fresh}"')
    await phone.get_by_role("button", name="Open chat").click()
    await expect(log(phone).get_by_text("Great, carry on!")).to_be_visible()
    await expect(log(phone).get_by_text("Hey! How are you?")).to_have_count(1)

    # A page with an expired id: the widget tells the shop and chats on anonymously.
    stale = jwt.encode({"sub": "kunde-9", "exp": int(time.time()) - 3600}, CUSTOMER_SECRET, algorithm="HS256")
    listen = "window.addEventListener('botchat:identity-expired', () => { window.identityExpired = true; });"
    old = await shop_page(browser, server, shop, path="/stale", attributes=f'data-customer-token="{stale}"',
                          before=listen)
    await old.get_by_role("button", name="Open chat").click()
    await send(old, "hello")
    await expect(log(old).get_by_text("Hey! How are you?")).to_be_visible()
    await expect(log(old).get_by_text("Great, carry on!")).to_have_count(0)  # not the customer's history
    assert await old.evaluate("window.identityExpired === true")


async def test_an_agent_reply_appears_live_with_the_agents_name(browser, start_server, shop, tmp_path) -> None:
    """The agent works through the handover API, as the console does: login, accept, typing, reply."""
    import httpx
    from playwright.async_api import expect

    server = await start_server(extensions=[handover_extension(tmp_path)])
    page = await shop_page(browser, server, shop)
    await page.get_by_role("button", name="Open chat").click()
    await send(page, "hello")
    await expect(log(page).get_by_text("Hey! How are you?")).to_be_visible()
    await send(page, f"/{ESCALATING_INTENT}")  # the customer asks for a person
    await expect(log(page).get_by_text("Connecting you with a person…")).to_be_visible()
    token = await page.evaluate(f"localStorage.getItem('botchat:' + {server.base!r})")
    conversation = f"/handover/conversations/{token.split('.')[1]}"
    maria = await agent_session(server, "maria", "Maria")
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        assert (await http.post(f"{conversation}/accept", headers=maria)).status_code == 200
        assert (await http.post(f"{conversation}/typing", json={"typing": True}, headers=maria)).status_code == 200
        await expect(page.get_by_text("Maria is typing…")).to_be_visible()
        reply = await http.post(f"{conversation}/messages", json={"text": "Hello, Maria here. I will check your "
                                                                          "parcel."}, headers=maria)
        assert reply.status_code == 201, reply.text
        await expect(log(page).get_by_text("Maria joined the chat")).to_be_visible()
        await expect(log(page).get_by_text("Hello, Maria here. I will check your parcel.")).to_be_visible()
        await http.post(f"{conversation}/typing", json={"typing": False}, headers=maria)
        await expect(page.get_by_text("Maria is typing…")).to_have_count(0)


async def test_an_idle_rule_invites_once_per_visit(browser, start_server, shop) -> None:
    from playwright.async_api import expect

    server = await start_server()
    page = await shop_page(browser, server, shop, path="/product/7")
    invitation = page.get_by_text("Can we help you choose?")
    await expect(invitation).to_be_visible()
    await page.get_by_role("button", name="No thanks").click()
    await expect(invitation).to_be_hidden()
    await page.wait_for_timeout(2500)  # longer than the rule's idle time: it must not come back
    await expect(invitation).to_be_hidden()
    await page.reload()
    await page.wait_for_timeout(2500)
    await expect(invitation).to_be_hidden()
    token = await page.evaluate(f"localStorage.getItem('botchat:' + {server.base!r})")
    events = await server.processor.tracker_store.get_events(token.split(".")[1], since_last_session_start=False)
    assert [(e["rule"], e["action"]) for e in events if e["event"] == "invitation"] == [
        ("idle_help", "shown"), ("idle_help", "dismissed")]
    # Another page, no idle rule there; the shop's cart signal offers the chat, which opens on accept.
    other = await shop_page(browser, server, shop, path="/cart")
    await other.evaluate("window.BotChat.signal('cart_full')")
    await other.get_by_role("button", name="Chat now").click()
    await expect(other.get_by_role("textbox", name="Message")).to_be_focused()


async def test_long_polling_where_websockets_are_blocked(browser, start_server, shop) -> None:
    from playwright.async_api import expect

    server = await start_server()
    page = await shop_page(browser, server, shop, before="delete window.WebSocket;")
    await page.get_by_role("button", name="Open chat").click()
    await send(page, "hello")
    await expect(log(page).get_by_text("Hey! How are you?")).to_be_visible()
    await log(page).get_by_role("button", name="great").click()
    await expect(log(page).get_by_text("Great, carry on!")).to_be_visible()


async def test_the_demo_page_shows_the_snippet_and_every_response(browser, start_server) -> None:
    from playwright.async_api import expect

    server = await start_server()
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    await page.goto(f"{server.base}/chat")
    await expect(page.locator("#snippet")).to_contain_text(f'<script src="{server.base}/webchat/widget.js"')
    responses = page.locator("#responses")
    for name in ("utter_greet", "utter_happy", "utter_goodbye"):
        await expect(responses.get_by_role("heading", name=name)).to_be_visible()
    await expect(responses.get_by_text("Great, carry on!")).to_be_visible()
    await expect(responses.get_by_role("button", name="great")).to_be_visible()
    # The widget on the page is the real one: a designer can chat with the model right there.
    await page.get_by_role("button", name="Open chat").click()
    await send(page, "hello")
    await expect(log(page).get_by_text("Hey! How are you?")).to_be_visible()
