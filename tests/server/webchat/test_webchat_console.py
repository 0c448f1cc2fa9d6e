"""The agent console with a web chat customer: while the agent types in the console the customer's chat
is told (throttled, and "stopped" after a pause), and the customer's read receipt turns the agent's
message from "Sent" into "Read" in the console's transcript, live and in a console opened later."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from tests.handover.console.conftest import axe_violations, browser, open_console  # noqa: F401 - a fixture

from .conftest import AGENT_PASSWORD, ESCALATING_INTENT, handover_extension, until_frame


async def test_the_console_says_typing_to_the_web_chat_and_shows_its_read_receipts(start_server, browser,  # noqa: F811
                                                                                  tmp_path) -> None:
    from playwright.async_api import expect

    from handover.passwords import PasswordHasher

    server = await start_server(extensions=[handover_extension(tmp_path)])
    runtime = server.app.ctx.handover
    runtime.directory.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    await runtime.directory.create_agent("maria", AGENT_PASSWORD, display_name="Maria")
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
        session = (await http.post("/webchat/session", json={})).json()
    conversation = session["conversation_id"]
    async with websockets.connect(f"{server.ws_base}/webchat/ws?token={session['token']}") as widget:
        await until_frame(widget, lambda f: f["type"] == "ready")
        await widget.send(json.dumps({"type": "message", "id": "c-1", "text": f"/{ESCALATING_INTENT}"}))
        await until_frame(widget, lambda f: f["type"] == "messages"
                          and any(m.get("notice") == "handover" for m in f["messages"]))
        await runtime.accept(await runtime.directory.get_agent("maria"), conversation)

        page = await open_console(browser, server)
        typing_posts: list[Any] = []

        def requested(request: Any) -> None:
            if request.url.endswith("/typing"):
                typing_posts.append(request.post_data_json["typing"])

        page.on("request", requested)
        await log_in(page)
        item = page.get_by_role("region", name="Your conversations").get_by_role("button").filter(
            has_text=conversation)
        await item.click()
        message = page.get_by_label("Message", exact=True)
        await expect(message).to_be_enabled()

        keys = "Einen Moment bitte"
        await message.press_sequentially(keys)
        frame = await until_frame(widget, lambda f: f["type"] == "typing")
        assert frame == {"type": "typing", "on": True, "agent": {"id": "maria", "name": "Maria"}}
        # One "typing" for the whole word, not one per key (it repeats only every few seconds).
        assert 1 <= typing_posts.count(True) < len(keys) / 4, typing_posts
        # A pause: the customer's chat hears that the agent stopped.
        assert (await until_frame(widget, lambda f: f["type"] == "typing"))["on"] is False
        for _ in range(100):  # Playwright reports the request a moment after the server acted on it
            if typing_posts[-1] is False:
                break
            await asyncio.sleep(0.1)
        assert typing_posts[-1] is False, typing_posts

        await message.press("Enter")
        reply = (await until_frame(widget, lambda f: f["type"] == "messages"))["messages"][-1]
        assert reply["from"] == "agent" and reply["parts"] == [{"type": "text", "text": keys}]
        transcript = page.get_by_role("log", name="Transcript")
        row = transcript.get_by_role("listitem").filter(has_text=keys)
        await expect(row).to_contain_text("Sent")
        await expect(row).not_to_contain_text("Read")

        await widget.send(json.dumps({"type": "receipt", "status": "read", "watermark": reply["seq"]}))
        await expect(row.locator(".delivery")).to_have_text("Read")  # live, from the feed's `read` item
        assert await axe_violations(page) == []

        # A console opened afterwards (another device) shows it too: the receipt is part of the conversation.
        later = await open_console(browser, server)
        await log_in(later)
        await later.get_by_role("region", name="Your conversations").get_by_role("button").filter(
            has_text=conversation).click()
        row = later.get_by_role("log", name="Transcript").get_by_role("listitem").filter(has_text=keys)
        await expect(row.locator(".delivery")).to_have_text("Read")
        assert page.dialogs == [] and later.dialogs == []


async def log_in(page: Any) -> None:
    await page.get_by_label("Username").fill("maria")
    await page.get_by_label("Password").fill(AGENT_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
