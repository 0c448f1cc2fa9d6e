"""The /handover/ API end to end, as an agent and a customer use it, over the app with real stores.

A customer on the REST channel asks for a person in German; an agent logs in, accepts, sees the
intents and slots, replies; the customer's next message reaches the agent and not the bot; the
agent hands back; the bot answers again and says so. Plus: every route refuses without login,
roles below a route's are refused, bad input is a 4xx with a message, and a bot turn in flight
when an agent takes over is never delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from handover.plugin import HandoverSettings
from handover.routing import RoutingSettings
from handover.server import HandoverExtension
from tests.handover.conftest import PASSWORD, serving

WEBHOOK = "/webhooks/rest/webhook"
TOKEN = "api-token"


class HeldParcelAction:
    """The project's custom action `action_check_parcel`, held until the test lets it finish."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def run(self, action_name: str, tracker: dict, domain: dict | None) -> Any:
        from bot.core.actions.action_executor import ActionResult

        self.started.set()
        await self.release.wait()
        return ActionResult([], [{"text": "Ihr Paket ist unterwegs."}])

    def knows(self, action_name: str) -> bool:
        return action_name == "action_check_parcel"

    async def close(self) -> None:
        return None


@pytest.fixture
def make_app(helpdesk_project: Path, tmp_path: Path) -> Callable[..., Any]:
    from bot.core.agent import Agent
    from bot.server import create_app
    from bot.stores import InMemoryLockStore
    from bot.stores.sql_tracker_store import SQLTrackerStore

    def build(executor: Any = None, credentials: Any = None, cors: str | None = None, **settings_options: Any) -> Any:
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
        agent = Agent.load(helpdesk_project / "models", tracker_store=store, lock_store=InMemoryLockStore(),
                           project_dir=tmp_path, action_executor=executor)
        settings = HandoverSettings(**{"routing": RoutingSettings(tick_seconds=0.2), **settings_options})
        return create_app(agent, auth_token=TOKEN, credentials=credentials, cors=cors,
                          extensions=[HandoverExtension(tmp_path, settings)])

    return build


class _Response:
    """httpx's response with the attributes the assertions read (status, json, text, headers)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.text = response.text
        self.headers = response.headers
        is_json = response.headers.get("content-type", "").startswith("application/json")
        self.json = response.json() if response.content and is_json else None


class _Client:
    """A client of the running server that answers like Sanic's test client: (None, response)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    def __getattr__(self, method: str) -> Callable[..., Any]:
        async def call(path: str, **options: Any) -> tuple[None, _Response]:
            return None, _Response(await getattr(self.http, method)(path, **options))
        return call


@pytest.fixture
async def start(make_app: Callable[..., Any]) -> Any:
    """`await start(executor=None)`: the app served for real, with `app.ctx.api` as its client."""
    async with contextlib.AsyncExitStack() as stack:
        async def run(executor: Any = None, credentials: Any = None, **settings_options: Any) -> Any:
            app = make_app(executor, credentials, **settings_options)
            base = await stack.enter_async_context(serving(app))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60))
            app.ctx.api = _Client(http)
            return app
        yield run


async def _agent(app: Any, username: str, role: str = "agent", **options: Any) -> None:
    from handover.passwords import PasswordHasher

    runtime = app.ctx.handover
    # Real Argon2id with small parameters: the same code path in a fraction of the time.
    runtime.directory.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    await runtime.directory.create_agent(username, PASSWORD, role=role, **options)


async def _login(app: Any, username: str) -> dict[str, str]:
    _, response = await app.ctx.api.post("/handover/login", json={"username": username, "password": PASSWORD})
    assert response.status == 200, response.text
    cookie = response.headers["set-cookie"].split(";")[0]
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=Strict" in response.headers["set-cookie"]
    return {"Cookie": cookie, "X-CSRF-Token": response.json["csrf_token"]}


async def _say(app: Any, sender: str, text: str) -> list[dict]:
    _, response = await app.ctx.api.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200, response.text
    return response.json


async def _tracker_events(app: Any, sender: str) -> list[dict]:
    _, response = await app.ctx.api.get(f"/conversations/{sender}/tracker", params={"token": TOKEN})
    return response.json["events"]


async def test_a_customer_asks_for_a_person_and_an_agent_takes_over_and_hands_back(start) -> None:
    app = await start()
    await _agent(app, "erika", display_name="Erika Muster", languages=["de", "en"])
    erika = await _login(app, "erika")
    _, response = await app.ctx.api.put("/handover/presence", json={"status": "online"}, headers=erika)
    assert response.status == 200 and response.json["status"] == "online"

    replies = await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    assert "Position 1" in replies[0]["text"]  # German, with the queue position, before any promise

    _, response = await app.ctx.api.get("/handover/conversations", params={"state": "queued"}, headers=erika)
    [waiting] = [c for c in response.json if c["conversation_id"] == "anna"]
    assert waiting["reason"] == "asked_for_human" and waiting["owner"][0] == "queue"
    packet = waiting["packet"]
    assert packet["messages"][-1]["intent"]["name"] == "human_handoff"
    assert packet["language"] == "de" and packet["slots"]["language"] == "de"

    _, response = await app.ctx.api.post("/handover/conversations/anna/accept", headers=erika)
    assert response.status == 200, response.text
    assert response.json["state"] == "assigned" and response.json["owner"] == ["agent", "erika"]

    _, response = await app.ctx.api.post("/handover/conversations/anna/messages",
                                             json={"text": "Hallo, hier ist Erika. Wie kann ich helfen?"},
                                             headers=erika)
    assert response.status == 201
    events = await _tracker_events(app, "anna")
    agent_reply = [e for e in events if e["event"] == "bot"][-1]
    assert agent_reply["text"].startswith("Hallo, hier ist Erika")
    assert agent_reply["metadata"]["agent"] == {"id": "erika", "name": "Erika Muster"}

    assert await _say(app, "anna", "Wo ist mein Paket?") == []  # the agent answers, not the bot
    _, response = await app.ctx.api.get("/handover/conversations/anna", headers=erika)
    transcript = response.json["transcript"]
    assert transcript[-1]["from"] == "customer" and transcript[-1]["intent"]["name"] == "track_parcel"

    _, response = await app.ctx.api.post("/handover/conversations/anna/notes",
                                             json={"text": "Kundin wartet auf Rückruf"}, headers=erika)
    assert response.status == 201
    assert "Kundin wartet" not in str(await _tracker_events(app, "anna"))  # notes never reach the customer

    _, response = await app.ctx.api.post("/handover/conversations/anna/handback",
                                             json={"reason": "solved"}, headers=erika)
    assert response.status == 200 and response.json["state"] == "bot"
    events = await _tracker_events(app, "anna")
    assert events[-1]["text"].startswith("Sie sprechen jetzt wieder mit dem digitalen Assistenten")

    assert await _say(app, "anna", "Danke") == [{"recipient_id": "anna", "text": "Gern geschehen!"}]


async def test_the_customer_may_withdraw_while_waiting(start) -> None:
    app = await start()
    replies = await _say(app, "ben", "agent please")
    assert "available" in replies[0]["text"]  # nobody online: said so, and the request stays open
    replies = await _say(app, "ben", "never mind")
    assert replies == [{"recipient_id": "ben", "text": "All right, I'll help you myself then."}]
    assert (await app.ctx.handover.service.row("ben"))["state"] == "bot"


async def test_a_bot_turn_in_flight_when_an_agent_takes_over_is_not_delivered(start) -> None:
    held = HeldParcelAction()
    app = await start(held)
    await _agent(app, "erika")
    erika = await _login(app, "erika")
    await _say(app, "cleo", "Hallo")
    customer = asyncio.create_task(_say(app, "cleo", "Wo ist mein Paket?"))
    await asyncio.wait_for(held.started.wait(), 30)
    _, response = await app.ctx.api.post("/handover/conversations/cleo/messages",
                                             json={"text": "Ich übernehme das."}, headers=erika)
    assert response.status == 201, response.text
    held.release.set()
    assert await asyncio.wait_for(customer, 30) == []  # the bot's answer came too late: not sent
    events = await _tracker_events(app, "cleo")
    stale = [e for e in events if e["event"] == "bot" and e.get("text") == "Ihr Paket ist unterwegs."]
    assert stale and stale[0]["metadata"]["undelivered"] == "owner_changed"
    assert (await app.ctx.handover.service.row("cleo"))["agent"] == "erika"


async def test_an_angry_customer_is_handed_over_by_the_built_in_trigger(start) -> None:
    from handover.config import load_handover_config_text

    config = load_handover_config_text(
        "teams:\n  service:\n    sla_policy: live_chat\nrouting:\n  default_team: service\n")
    app = await start(**{**HandoverSettings.from_config(config).__dict__, "routing": RoutingSettings(tick_seconds=0.2)})
    replies = await _say(app, "dana", "Das ist eine Frechheit, ich bin stinksauer!")
    assert "Anfrage bleibt offen" in replies[0]["text"]  # nobody online yet: said so in German
    row = await app.ctx.handover.service.row("dana")
    assert (row["state"], row["reason"], row["team"]) == ("queued", "negative_sentiment", "service")
    sla = row["packet"]["sla"]
    assert sla["policy"] == "live_chat" and sla["first_response_due"] - row["queued_at"] == pytest.approx(20, abs=1)
    assert row["first_response_due"] == pytest.approx(sla["first_response_due"])


ROUTES = [("get", "/handover/me"), ("get", "/handover/session"), ("put", "/handover/presence"), ("get", "/handover/conversations"),
          ("get", "/handover/conversations/x"), ("post", "/handover/conversations/x/accept"),
          ("post", "/handover/conversations/x/messages"), ("post", "/handover/conversations/x/notes"),
          ("post", "/handover/conversations/x/transfer"), ("post", "/handover/conversations/x/handback"),
          ("post", "/handover/conversations/x/resolve"), ("get", "/handover/agents"),
          ("post", "/handover/logout"), ("get", "/handover/teams"), ("get", "/handover/canned-replies"),
          ("post", "/handover/agents"), ("patch", "/handover/agents/x"), ("post", "/handover/agents/x/disable")]


async def test_a_live_session_gives_its_agent_and_csrf_token_back_until_logout(start) -> None:
    # What a reloaded console page asks: the cookie alone identifies the session; the token it gets is
    # the one login gave (the agent's other tabs keep working), and state changes still need it.
    app = await start(cors="*")
    await _agent(app, "erika", display_name="Erika Muster")
    erika = await _login(app, "erika")
    cookie = {"Cookie": erika["Cookie"]}
    _, response = await app.ctx.api.get("/handover/session", headers={**cookie, "Origin": "https://evil.example"})
    assert response.status == 200, response.text
    assert response.json["csrf_token"] == erika["X-CSRF-Token"]
    assert response.json["agent"]["username"] == "erika" and response.json["expires_at"] > time.time()
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-credentials" not in response.headers  # no other site may read it
    _, response = await app.ctx.api.put("/handover/presence", json={"status": "online"}, headers=cookie)
    assert response.status == 403 and response.json["reason"] == "CsrfTokenMissing"
    _, response = await app.ctx.api.post("/handover/logout", headers=erika)
    assert response.status == 200
    _, response = await app.ctx.api.get("/handover/session", headers=cookie)
    assert response.status == 401 and "log in again" in response.json["error"]
    _, response = await app.ctx.api.get("/handover/session")
    assert response.status == 401


async def test_every_route_refuses_without_login_and_below_its_role(start) -> None:
    app = await start()
    for method, path in ROUTES:
        options = {} if method == "get" else {"json": {}}
        _, response = await getattr(app.ctx.api, method)(path, **options)
        assert response.status == 401, path
        assert response.json["error"]
    await _agent(app, "erika")
    erika = await _login(app, "erika")
    for path, params in (("/handover/agents", {}), ("/handover/conversations", {"state": "all"})):
        _, response = await app.ctx.api.get(path, params=params, headers=erika)
        assert response.status == 403 and "supervisor" in response.json["error"]
    no_csrf = {"Cookie": erika["Cookie"]}
    _, response = await app.ctx.api.put("/handover/presence", json={"status": "online"}, headers=no_csrf)
    assert response.status == 403 and response.json["reason"] == "CsrfTokenMissing"
    token = await app.ctx.handover.directory.issue_token("erika")
    _, response = await app.ctx.api.put("/handover/presence", json={"status": "away"},
                                            headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200  # integrations use a token and need no CSRF


@pytest.mark.parametrize(("method", "path", "body"), [
    ("put", "/handover/presence", {"status": "dancing"}),
    ("put", "/handover/presence", []),
    ("post", "/handover/conversations/anna/messages", {"text": ""}),
    ("post", "/handover/conversations/anna/messages", '{"text": "sur\\ud800"}'),  # a lone surrogate, as JSON
    ("post", "/handover/conversations/anna/messages", "not json"),
    ("post", "/handover/conversations/anna/messages", {"text": 5}),
    ("post", "/handover/conversations/anna/transfer", {}),
    ("post", "/handover/conversations/anna/transfer", {"agent": "a", "team": "b"}),
    ("post", "/handover/conversations/anna/handback", {"slots": []}),
    ("post", "/handover/login", {"username": "x"}),
])
async def test_bad_input_is_a_4xx_with_a_message(start, method: str, path: str, body: Any) -> None:
    app = await start()
    await _agent(app, "sabine", role="supervisor")
    sabine = await _login(app, "sabine")
    await _say(app, "anna", "agent please")
    options = {"content": body} if isinstance(body, str) else {"json": body}
    _, response = await getattr(app.ctx.api, method)(path, headers=sabine, **options)
    assert 400 <= response.status < 500, response.text
    assert response.json["error"]


async def test_wrong_passwords_are_rate_limited(start) -> None:
    app = await start()
    await _agent(app, "erika")
    statuses = []
    for _ in range(7):
        _, response = await app.ctx.api.post("/handover/login", json={"username": "erika", "password": "nope"})
        statuses.append(response.status)
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429


async def test_openapi_lists_every_handover_route(start) -> None:
    from tests.server.test_openapi import _app_routes, _documented

    app = await start()
    _, response = await app.ctx.api.get("/openapi.json")
    document = response.json
    handover = {route for route in _app_routes(app) if route[1].startswith("/handover")}
    assert handover and handover == {route for route in _documented(document) if route[1].startswith("/handover")}
    assert "HandoverSession" in document["components"]["securitySchemes"]


class _Receiver:
    """A front end's endpoint for Rasa's callback channel: a real HTTP server that keeps what is POSTed."""

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/bot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    async def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.received) < count and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return self.received


async def test_the_callback_channel_delivers_bot_and_agent_messages_to_the_front_end(start) -> None:
    from bot.channels.credentials import parse_credentials

    receiver = _Receiver()
    try:
        app = await start(credentials=parse_credentials({"callback": {"url": receiver.url}}, None))
        _, response = await app.ctx.api.post("/webhooks/callback/webhook",
                                             json={"sender": "eva", "message": "agent please"})
        assert response.status == 200 and response.text == "success"
        [notice] = await receiver.wait_for(1)
        assert notice["recipient_id"] == "eva" and "available" in notice["text"]
        await _agent(app, "erika", display_name="Erika")
        erika = await _login(app, "erika")
        await app.ctx.api.post("/handover/conversations/eva/accept", headers=erika)
        await app.ctx.api.post("/handover/conversations/eva/messages", json={"text": "Hi, Erika here."},
                               headers=erika)
        await app.ctx.api.post("/handover/conversations/eva/handback", json={}, headers=erika)
        messages = await receiver.wait_for(3)
        assert messages[1] == {"recipient_id": "eva", "text": "Hi, Erika here.",
                               "metadata": {"agent": {"id": "erika", "name": "Erika"}}}
        assert messages[2]["text"].startswith("You're talking to the digital assistant again")
    finally:
        receiver.server.shutdown()


async def test_admins_manage_agents_and_supervisors_their_teams_over_the_api(start) -> None:
    app = await start()
    await _agent(app, "root", role="admin")
    await _agent(app, "sabine", role="supervisor")
    await _agent(app, "erika")
    root, sabine, erika = [await _login(app, name) for name in ("root", "sabine", "erika")]
    new = {"username": "fritz", "password": PASSWORD, "languages": ["de"], "capacity": 2}
    _, response = await app.ctx.api.post("/handover/agents", json=new, headers=sabine)
    assert response.status == 403  # creating accounts is for admins
    _, response = await app.ctx.api.post("/handover/agents", json=new, headers=root)
    assert response.status == 201 and response.json["languages"] == ["de"]
    _, response = await app.ctx.api.post("/handover/agents", json=new, headers=root)
    assert response.status == 409 and "exists" in response.json["error"]
    _, response = await app.ctx.api.patch("/handover/agents/fritz", json={"capacity": 4}, headers=sabine)
    assert response.status == 200 and response.json["capacity"] == 4
    _, response = await app.ctx.api.patch("/handover/agents/fritz", json={"role": "admin"}, headers=sabine)
    assert response.status == 403  # a supervisor cannot hand out roles
    _, response = await app.ctx.api.patch("/handover/agents/fritz", json={"capacity": 4}, headers=erika)
    assert response.status == 403
    _, response = await app.ctx.api.patch("/handover/agents/nobody", json={"capacity": 4}, headers=sabine)
    assert response.status == 404
    _, response = await app.ctx.api.post("/handover/agents/fritz/disable", headers=root)
    assert response.status == 200 and response.json["disabled"] is True
    _, response = await app.ctx.api.get("/handover/teams", headers=erika)
    assert response.status == 200 and response.json == []  # the help desk has no handover.yml
