"""The console in Debian's chromium against a real `bot run`-like server (the tiny help desk model).

`console_server` starts the app on a port it keeps, so a test can stop the server and start a new
one on the same address with the same database, as a restarted `bot run` would be.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from handover.config import load_handover_config
from handover.passwords import PasswordHasher
from handover.plugin import HandoverSettings
from handover.server import HandoverExtension
from tests.handover.conftest import PASSWORD, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
TIMEOUT = 30_000  # ms: a busy shared machine
TOKEN = "api-token"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
XSS = "<img src=x onerror=alert(1)>"

HANDOVER_YML = f"""
version: "3.1"
teams:
  service:
    display_name: Kundenservice
    languages: [de, en]
routing:
  default_team: service
canned_replies:
  - shortcut: sendung
    text: "Ihre Sendung {{tracking_number}} ist unterwegs."
  - shortcut: xss
    text: "Vorlage {XSS}"
"""

# Records what the page asks of the browser, for assertions: notifications created, tones started, dialogs.
BROWSER_HOOKS = """
window.__notifications = [];
window.__tones = 0;
if (window.Notification) {
  const Original = window.Notification;
  window.Notification = class extends Original {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({title, body: options && options.body, visibility: document.visibilityState});
    }
  };
}
if (window.OscillatorNode) {
  const start = OscillatorNode.prototype.start;
  window.__toneStates = [];  // the audio context's state at each tone: "running" means it is heard
  OscillatorNode.prototype.start = function (...args) {
    window.__tones += 1;
    window.__toneStates.push({audio: this.context.state, visibility: document.visibilityState});
    return start.apply(this, args);
  };
}
"""


class ConsoleServer:
    """The server on a fixed port: `start()` (again after `stop()`: a restart on the same database), the
    customer's side over REST, and the handover runtime for setting up agents."""

    def __init__(self, build: Callable[[], Any]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.build = build
        self.app: Any = None
        self.http: Any = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def start(self) -> ConsoleServer:
        await self.stop()
        stack = contextlib.AsyncExitStack()
        self.app = self.build()
        await stack.enter_async_context(serving(self.app, self.port))
        self.http = await stack.enter_async_context(httpx.AsyncClient(base_url=self.base, timeout=60))
        self._stack = stack
        return self

    async def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    @property
    def runtime(self) -> Any:
        return self.app.ctx.handover

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """A customer's message over the REST channel; returns the bot's replies."""
        response = await self.http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        assert response.status_code == 200, response.text
        return response.json()

    async def tracker_events(self, sender: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/conversations/{sender}/tracker", params={"token": TOKEN})
        assert response.status_code == 200, response.text
        return response.json()["events"]

    async def create_agent(self, username: str, **options: Any) -> None:
        directory = self.runtime.directory
        # Real Argon2id with small parameters: the same code path in a fraction of the time.
        directory.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        await directory.create_agent(username, PASSWORD, **options)


@pytest.fixture
def console_project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "handover.yml").write_text(HANDOVER_YML)
    return folder


@pytest.fixture
async def console_server(helpdesk_project: Path, console_project: Path) -> AsyncIterator[ConsoleServer]:
    """The help desk with the handover and the console, started; SQLite in the test's folder."""
    from bot.core.agent import Agent
    from bot.server import create_app
    from bot.stores import InMemoryLockStore
    from bot.stores.sql_tracker_store import SQLTrackerStore

    def build() -> Any:
        store = SQLTrackerStore(f"sqlite:///{console_project / 'tracker.db'}")
        agent = Agent.load(helpdesk_project / "models", tracker_store=store, lock_store=InMemoryLockStore(),
                           project_dir=console_project)
        # handover.yml as `bot run` reads it (teams, SLA policies), with a quicker routing tick.
        settings = HandoverSettings.from_config(load_handover_config(console_project / "handover.yml"), "de")
        settings = dataclasses.replace(settings, routing=dataclasses.replace(settings.routing, tick_seconds=0.2))
        return create_app(agent, auth_token=TOKEN, extensions=[HandoverExtension(console_project, settings)])

    server = ConsoleServer(build)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run 'apt-get install -y chromium' (scripts/test.sh does)")
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


async def open_console(browser: Any, server: ConsoleServer, *, locale: str = "en-US") -> Any:
    """A new browser context (a new device) on /console, notifications allowed, with the test hooks."""
    context = await browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT)
    await context.grant_permissions(["notifications"], origin=server.base)
    page = await context.new_page()
    page.dialogs = []  # any alert() would land here: XSS payloads must never run
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    await page.add_init_script(BROWSER_HOOKS)
    await page.goto(f"{server.base}/console")
    return page


async def log_in(page: Any, username: str, *, labels: tuple[str, str, str] = ("Username", "Password", "Log in")) -> None:
    await page.get_by_label(labels[0]).fill(username)
    await page.get_by_label(labels[1]).fill(PASSWORD)
    await page.get_by_role("button", name=labels[2]).click()


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA rules)."""
    # Through the DevTools protocol: the console's CSP rightly refuses an injected <script>.
    await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = await page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return results
