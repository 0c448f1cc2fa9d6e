"""A real `bot run` server on a free port, in the test's event loop, with channels from credentials YAML."""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CUSTOMER_SECRET = "shop-shared-secret"
SESSION_SECRET = "session-secret-for-tests"
CREDENTIALS = f"""
rest:
socketio:
  session_persistence: true
webchat:
  allowed_origins: ["http://127.0.0.1:{{shop_port}}"]
  session_secret: {SESSION_SECRET}
  customer_secret: {CUSTOMER_SECRET}
  rate_limit_per_minute: 60
  invitations:
    - name: idle_help
      page: /product*
      idle_seconds: 1
      message: {{en: "Can we help you choose?", de: "Können wir bei der Auswahl helfen?"}}
    - name: full_cart
      signal: cart_full
      message: "Questions before checkout?"
"""


@dataclass
class LiveServer:
    """A started app: its base URL and the app (for its state and agent)."""

    app: Any
    base: str

    @property
    def ws_base(self) -> str:
        return "ws" + self.base.removeprefix("http")

    @property
    def processor(self) -> Any:
        from bot.server.state import server_state

        return server_state(self.app).agent.processor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shop_port() -> int:
    return free_port()


class ShopServer:
    """A minimal HTTP server on 127.0.0.1:<shop_port> serving the pages a test puts into `pages`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.pages: dict[str, str] = {}
        self._server: Any = None

    async def start(self) -> None:
        import asyncio

        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: Any, writer: Any) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode().split("?", 1)[0]
            page = self.pages.get(path)
            status = "200 OK" if page is not None else "404 Not Found"
            body = (page if page is not None else "not found").encode()
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except Exception:  # a browser closing a speculative connection
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def shop(shop_port: int) -> AsyncIterator[ShopServer]:
    """The shop's own web server, on another origin than the bot."""
    server = ShopServer(shop_port)
    await server.start()
    yield server
    await server.stop()


SHOP_PROJECT = Path(__file__).parent / "data" / "shop"


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-language shop assistant (German and English), trained once per session."""
    from bot.model.training import train
    from bot.shared.project import Project

    root = tmp_path_factory.mktemp("shop") / "project"
    shutil.copytree(SHOP_PROJECT, root)
    train(Project.discover(root), root / "models")
    return root


@pytest.fixture
def make_shop_agent(shop_project: Path, tmp_path: Path) -> Callable[[], Any]:
    from bot.core.agent import Agent
    from bot.stores import InMemoryLockStore, create_tracker_store

    def build() -> Any:
        store = create_tracker_store({"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "shop.db")})
        return Agent.load(shop_project / "models", tracker_store=store, lock_store=InMemoryLockStore(),
                          project_dir=tmp_path)

    return build


@pytest.fixture
async def start_server(make_agent: Callable[..., Any], shop_port: int) -> AsyncIterator[Callable[..., Any]]:
    """`await start_server(credentials_yaml=None, agent=None)` -> a LiveServer; all stop after the test."""
    from bot.channels.credentials import parse_credentials
    from bot.server import create_app
    from bot.shared.yaml_io import read_yaml

    servers: list[Any] = []

    async def start(credentials_yaml: str | None = None, agent: Any = None, **options: Any) -> LiveServer:
        text = (credentials_yaml or CREDENTIALS).replace("{shop_port}", str(shop_port))
        credentials = parse_credentials(read_yaml(text, "credentials.yml"), "credentials.yml")
        app = create_app(agent or make_agent(), credentials=credentials, **options)
        # Sanic rewrites its own methods when an app starts; a second app in one process breaks on that.
        app.config.TOUCHUP = False
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        return LiveServer(app, f"http://127.0.0.1:{port}")

    yield start
    for server in servers:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


AGENT_PASSWORD = "correct horse battery"
ESCALATING_INTENT = "goodbye"  # the tiny bot's customers ask for a person with this (a test trigger)


def handover_extension(project_dir: Path) -> Any:
    """The human side as `bot run` plugs it in; "/goodbye" stands for "I want a person" here."""
    from handover.plugin import HandoverSettings
    from handover.routing import RoutingSettings
    from handover.server import HandoverExtension
    from handover.triggers import TriggerConfig

    triggers = TriggerConfig.from_dict({"explicit_request": {"intents": [ESCALATING_INTENT]}})
    settings = HandoverSettings(default_team=None, routing=RoutingSettings(tick_seconds=0.2), triggers=triggers)
    return HandoverExtension(project_dir, settings)


async def agent_session(server: LiveServer, username: str, display_name: str) -> dict[str, str]:
    """Creates an agent and logs them in over POST /handover/login: the headers of their session."""
    import httpx

    from handover.passwords import PasswordHasher

    directory = server.app.ctx.handover.directory
    # Real Argon2id with small parameters: the same code path in a fraction of the time.
    directory.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    await directory.create_agent(username, AGENT_PASSWORD, display_name=display_name)
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        response = await client.post("/handover/login", json={"username": username, "password": AGENT_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Cookie": response.headers["set-cookie"].split(";")[0], "X-CSRF-Token": response.json()["csrf_token"]}


async def until_frame(ws: Any, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
    """The next JSON frame on `ws` that `predicate` accepts (others, e.g. typing, are skipped)."""
    import asyncio
    import json

    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if predicate(frame):
            return frame
