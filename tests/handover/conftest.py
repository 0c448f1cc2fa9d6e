"""Shared fixtures for the handover tests: a tracker store with the handover tables, SQLite or PostgreSQL.

The PostgreSQL fixtures (postgres_url, postgres_schema) live in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.stores.sql_tracker_store import SQLTrackerStore
from handover.agents import AgentDirectory
from handover.migrations import upgrade_handover_to_head
from handover.passwords import PasswordHasher
from handover.service import HandoverService

HELPDESK = Path(__file__).parent / "data" / "helpdesk"
PASSWORD = "correct horse battery"
API_TOKEN = "api-token"
# The help desk's handover.yml in `helpdesk_app`: canned replies with {slot} placeholders.
HELPDESK_HANDOVER_YML = """\
canned_replies:
  - shortcut: tracking
    language: de
    text: "Ich sehe mir Ihre Sendung {tracking_number} an, {language}."
  - shortcut: order
    text: "Ich prüfe die Bestellung {order_id} mit Sendung {tracking_number}."
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def handover_store(request, tmp_path) -> AsyncIterator[SQLTrackerStore]:
    """A tracker store whose database has the handover tables at their newest revision."""
    if request.param == "sqlite":
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                schema=request.getfixturevalue("postgres_schema"))
    await store.run_in_transaction(upgrade_handover_to_head)
    yield store
    await store.close()


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """Real Argon2id with small parameters (1 pass, 8 MiB): the same code path, a fraction of the time."""
    return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_store(request, tmp_path) -> AsyncIterator[SQLTrackerStore]:
    """The tracker store whose database the handover tables join (the service migrates it), on both databases."""
    if request.param == "sqlite":
        made = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        made = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                               schema=request.getfixturevalue("postgres_schema"))
    yield made
    await made.close()


@pytest.fixture
async def service(sql_store: SQLTrackerStore, clock: Clock) -> AsyncIterator[HandoverService]:
    made = HandoverService(sql_store, clock=clock)
    await made.start()
    yield made
    await made.close()


@pytest.fixture
def directory(sql_store: SQLTrackerStore, service: HandoverService, clock: Clock,
              fast_hasher: PasswordHasher) -> AgentDirectory:
    return AgentDirectory(sql_store, clock=clock, hasher=fast_hasher)


@pytest.fixture(scope="session")
def helpdesk_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bilingual help desk, trained once per session."""
    from bot.model.training import train
    from bot.shared.project import Project

    root = tmp_path_factory.mktemp("helpdesk") / "project"
    shutil.copytree(HELPDESK, root)
    train(Project.discover(root), root / "models")
    return root


@contextlib.asynccontextmanager
async def serving(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Runs `app` as a real server in the test's event loop (one start, one stop); yields its base URL.

    `port` serves on a given port (a restarted server where the browser expects the old one).

    The ASGI test client starts and stops the app around every request, which a server with
    background work (routing, outbox) and concurrent requests must not do.
    """
    app.config.TOUCHUP = False  # Sanic rewrites its HTTP code per app once; a second app in a process fails
    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        # Python 3.11 leaves accepted connections open after close(); a stopped process has none, and a
        # browser's kept-alive connection must not reach this app once its stores are closed.
        for connection in list(server.connections):
            connection.close()
        await server.wait_closed()
        await server.after_stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def helpdesk_app(request: pytest.FixtureRequest, helpdesk_project: Path, tmp_path: Path) -> AsyncIterator[Any]:
    """The help desk served for real with the handover, on SQLite or PostgreSQL.

    `app.ctx.base` is its URL, `app.ctx.api` a client answering like Sanic's test client.
    """
    import httpx

    from bot.core.agent import Agent
    from bot.server import create_app
    from bot.stores import InMemoryLockStore
    from handover.plugin import HandoverSettings
    from handover.routing import RoutingSettings
    from handover.server import HandoverExtension
    from tests.handover.test_api import _Client

    if request.param == "sqlite":
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                schema=request.getfixturevalue("postgres_schema"))
    (tmp_path / "handover.yml").write_text(HELPDESK_HANDOVER_YML, encoding="utf-8")
    agent = Agent.load(helpdesk_project / "models", tracker_store=store, lock_store=InMemoryLockStore(),
                       project_dir=tmp_path)
    app = create_app(agent, auth_token=API_TOKEN, extensions=[
        HandoverExtension(tmp_path, HandoverSettings(routing=RoutingSettings(tick_seconds=0.2)))])
    async with contextlib.AsyncExitStack() as stack:
        app.ctx.base = await stack.enter_async_context(serving(app))
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=app.ctx.base, timeout=60))
        app.ctx.api = _Client(http)
        yield app
