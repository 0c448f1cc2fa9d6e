"""A supervisor manages who is in a team and an agent's skills and languages in the browser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.handover.console.conftest import XSS, axe_violations, log_in, open_console

SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")  # a folder for the docs' pictures; a plain run writes none


async def _agents(server: Any) -> dict[str, dict[str, Any]]:
    return {agent["username"]: agent for agent in await server.runtime.agents_overview()}


async def test_a_supervisor_adds_and_removes_members_and_edits_skills_and_languages(console_server, browser) -> None:
    from playwright.async_api import expect

    server = console_server
    await server.create_agent("sue", role="supervisor", display_name="Sue Visor")
    await server.create_agent("erika", display_name=f"Erika {XSS}", teams=["service"])
    await server.create_agent("max", display_name="Max Muster", languages=["de"])
    page = await open_console(browser, server)
    await page.goto(f"{server.base}/console/supervisor")
    await log_in(page, "sue")
    await page.get_by_role("button", name="Teams and hours").click()

    members = page.get_by_role("region", name="Members of service")
    await expect(members.get_by_role("listitem")).to_have_count(1)
    await expect(members.get_by_role("listitem")).to_contain_text(f"Erika {XSS} (erika)")
    await members.get_by_label("Agent to add to service").select_option("max")
    await members.get_by_role("button", name="Add to team").click()
    await expect(page.get_by_role("status").filter(has_text="Max Muster is now in service.")).to_be_visible()
    await expect(members.get_by_role("listitem")).to_have_count(2)
    assert (await _agents(server))["max"]["teams"] == ["service"]

    await members.get_by_role("button", name=f"Remove Erika {XSS} from service").click()
    await expect(page.get_by_role("status").filter(has_text="is no longer in service.")).to_be_visible()
    await expect(members.get_by_role("listitem")).to_have_count(1)
    await expect(members.get_by_role("listitem")).to_contain_text("Max Muster (max)")
    assert (await _agents(server))["erika"]["teams"] == []
    if SCREENSHOTS:
        await members.screenshot(path=str(Path(SCREENSHOTS) / "supervisor-members.png"))
    assert not await axe_violations(page)

    await page.get_by_role("button", name="Agents and skills").click()
    await page.get_by_label("Agent", exact=True).select_option("max")
    form = page.get_by_role("form", name="Max Muster: skills and languages")
    await expect(form).to_contain_text("service")
    await form.get_by_label("Languages of Max Muster (comma-separated, e.g. de, en)").fill("Deutsch")
    await form.get_by_role("button", name="Save agent").click()
    await expect(page.get_by_role("alert")).to_contain_text("not a language code")  # the server's words
    await form.get_by_label("Skills of Max Muster (comma-separated)").fill("parcels, returns")
    await form.get_by_label("Languages of Max Muster (comma-separated, e.g. de, en)").fill("de, en")
    await form.get_by_role("button", name="Save agent").click()
    await expect(page.get_by_role("status").filter(has_text="Max Muster saved.")).to_be_visible()
    saved = (await _agents(server))["max"]
    assert (saved["skills"], saved["languages"]) == (["parcels", "returns"], ["de", "en"])
    assert not await axe_violations(page)
    assert page.dialogs == [] and await page.locator("img[src='x']").count() == 0
