"""The console with two `bot run` processes on PostgreSQL + Redis, each agent's console on another one:
agent A (process 1) transfers a conversation to agent B (process 2), whose console shows it live with
A's note, and B's reply reaches the customer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests.bot_processes import SharedStores, bot_processes
from tests.handover.conftest import PASSWORD

from .conftest import log_in, open_console

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


TOKEN = "console-two-token"


def _bot(*args: str, project: Path, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=project, env=dict(os.environ),
                          input=stdin, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bot {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def bases(helpdesk_project: Path, shared_stores: SharedStores,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Agents anna and ben (made with `bot agents create`), then two processes on the same stores."""
    for name, display in (("anna", "Anna A"), ("ben", "Ben B")):
        _bot("agents", "create", name, "--role", "agent", "--display-name", display, "--endpoints",
             str(shared_stores.endpoints), project=helpdesk_project, stdin=PASSWORD + "\n")
    with bot_processes(2, project=helpdesk_project, model=helpdesk_project / "models",
                       endpoints=shared_stores.endpoints, work=tmp_path_factory.mktemp("console_two"),
                       args=("--auth-token", TOKEN)) as running:
        yield [server.base for server in running]


async def test_a_transfer_on_one_process_shows_live_in_a_console_on_the_other(bases: list[str], browser) -> None:
    from playwright.async_api import expect

    customer = "kunde-2p"
    anna = await open_console(browser, SimpleNamespace(base=bases[0]))  # type: ignore[arg-type]
    ben = await open_console(browser, SimpleNamespace(base=bases[1]))  # type: ignore[arg-type]
    for page, name in ((anna, "anna"), (ben, "ben")):
        await log_in(page, name)
        await expect(page.get_by_text("Live", exact=True)).to_be_visible()

    async with httpx.AsyncClient(timeout=120) as http:
        response = await http.post(f"{bases[0]}/webhooks/rest/webhook",
                                   json={"sender": customer, "message": "agent please"})
        assert response.status_code == 200, response.text
        queued = anna.get_by_role("region", name="Waiting in your queues").get_by_role("button").filter(
            has_text=customer)
        await queued.click()
        await anna.get_by_role("button", name="Accept").click()
        await expect(anna.get_by_label("Message", exact=True)).to_be_enabled()

        await anna.get_by_role("button", name="Transfer").click()
        dialog = anna.get_by_role("dialog", name="Transfer the conversation")
        await dialog.get_by_label("Agent (username)").fill("ben")
        await dialog.get_by_label("Note for the colleague").fill("Fragt nach der Rechnung")
        await dialog.get_by_role("button", name="Transfer").click()
        await expect(anna.get_by_role("status").filter(has_text="Transferred.")).to_be_visible()

        # Ben's console, on the other process, learns of it over the Redis fan-out: no reload.
        mine = ben.get_by_role("region", name="Your conversations").get_by_role("button").filter(has_text=customer)
        await expect(mine).to_be_visible()
        await mine.click()
        await expect(ben.get_by_role("region", name="Private notes")).to_contain_text("Fragt nach der Rechnung")
        message = ben.get_by_label("Message", exact=True)
        await expect(message).to_be_enabled()
        await message.fill("Hallo, hier ist Ben. Ich kümmere mich um die Rechnung.")
        await message.press("Enter")
        row = ben.get_by_role("log", name="Transcript").get_by_role("listitem").filter(has_text="hier ist Ben")
        await expect(row).to_contain_text("Sent")

        # The customer's conversation, read through the first process, has Ben's reply.
        tracker = await http.get(f"{bases[0]}/conversations/{customer}/tracker", params={"token": TOKEN})
        texts = [event.get("text") for event in tracker.json()["events"] if event["event"] == "bot"]
        assert texts[-1] == "Hallo, hier ist Ben. Ich kümmere mich um die Rechnung."
    assert anna.dialogs == [] and ben.dialogs == []
