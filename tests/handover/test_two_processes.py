"""The handover with two `bot run` processes on one PostgreSQL and one Redis, as a deployment runs it.

A customer asks for a person over the REST channel; twelve agents press "accept" at the same
moment, half through each process: exactly one gets the conversation, the others get a JSON
refusal, and the tracker records one acceptance. An agent's live feed connected to process A
shows a customer message that process B handled (Redis fan-out), and reconnecting with
`?after=<last id>` delivers what was missed while disconnected, once.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.bot_processes import SharedStores, bot_processes
from tests.handover.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

WEBHOOK = "/webhooks/rest/webhook"
TOKEN = "two-process-token"
AGENTS = [f"agent{n}" for n in range(12)]
ADMIN = "boss"


def _bot(*args: str, cwd: Path, stdin: str | None = None) -> str:
    """Runs the `bot` command (with the caller's environment) and returns its standard output."""
    done = subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, env=dict(os.environ),
                          input=stdin, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bot {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Deployment:
    """Two running processes, the agents' tokens, and helpers to talk to them."""

    def __init__(self, bases: list[str], tokens: dict[str, str]) -> None:
        self.bases = bases
        self.tokens = tokens

    def auth(self, agent: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[agent]}"}

    def ws_url(self, base_index: int, after: int | None = None) -> str:
        url = self.bases[base_index].replace("http://", "ws://") + "/handover/ws"
        return url if after is None else f"{url}?after={after}"


@pytest.fixture(scope="module")
def deployment(helpdesk_project: Path, shared_stores: SharedStores, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Deployment]:
    """Agents created with `bot agents create`, then two `bot run` processes on the same endpoints.yml."""
    helpdesk = helpdesk_project
    endpoints = str(shared_stores.endpoints)
    tokens = {}
    for name, role in [(name, "agent") for name in AGENTS] + [(ADMIN, "admin")]:
        _bot("agents", "create", name, "--role", role, "--endpoints", endpoints, cwd=helpdesk, stdin=PASSWORD + "\n")
        tokens[name] = _bot("agents", "token", name, "--endpoints", endpoints, cwd=helpdesk).strip()
    with bot_processes(2, project=helpdesk, model=helpdesk / "models", endpoints=shared_stores.endpoints,
                       work=tmp_path_factory.mktemp("handover_two_processes"), args=("--auth-token", TOKEN)
                       ) as running:
        bases = [server.base for server in running]
        # Away, not offline: routing offers nobody anything (so every agent may accept a queued
        # conversation) and takes nothing back from an agent who is offline past the grace period.
        for name in AGENTS:
            response = httpx.put(f"{bases[0]}/handover/presence", json={"status": "away"},
                                 headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=60)
            assert response.status_code == 200, response.text
        yield Deployment(bases, tokens)


async def _say(http: httpx.AsyncClient, base: str, sender: str, text: str) -> list[dict[str, Any]]:
    response = await http.post(base + WEBHOOK, json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return response.json()


async def _tracker_events(http: httpx.AsyncClient, base: str, sender: str) -> list[dict[str, Any]]:
    response = await http.get(f"{base}/conversations/{sender}/tracker", params={"token": TOKEN})
    assert response.status_code == 200, response.text
    return response.json()["events"]


async def _next_event(ws: Any, kind: str, conversation_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Reads frames until an event of this kind for this conversation arrives."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind} event for {conversation_id} within {timeout:g} s"
        frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        if frame["type"] == "event" and frame["kind"] == kind and frame["conversation_id"] == conversation_id:
            return frame


async def test_many_agents_accept_at_once_through_both_processes_and_one_wins(deployment: Deployment) -> None:
    sender = f"race-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=120) as http:
        replies = await _say(http, deployment.bases[0], sender, "agent please")
        assert replies, "the escalation got no answer"

        async def accept(index: int, agent: str) -> httpx.Response:
            base = deployment.bases[index % 2]
            return await http.post(f"{base}/handover/conversations/{sender}/accept", headers=deployment.auth(agent))

        responses = await asyncio.gather(*(accept(i, agent) for i, agent in enumerate(AGENTS)))
        winners = [(agent, r) for agent, r in zip(AGENTS, responses, strict=True) if r.status_code == 200]
        assert len(winners) == 1, [(r.status_code, r.text) for r in responses]
        [(winner, won)] = winners
        assert won.json()["owner"] == ["agent", winner]
        for response in responses:
            if response.status_code != 200:
                assert response.status_code == 409, response.text  # a conflict of state, not bad input
                assert winner in response.json()["error"] and response.json()["detail"]["owner"] == ["agent", winner]

        row = await http.get(f"{deployment.bases[1]}/handover/conversations/{sender}",
                             headers=deployment.auth(winner))
        assert row.status_code == 200, row.text
        assert row.json()["state"] == "assigned" and row.json()["owner"] == ["agent", winner]
        events = await _tracker_events(http, deployment.bases[1], sender)
        accepted = [event for event in events if event["event"] == "handover_accepted"]
        assert len(accepted) == 1, accepted
        assert winner in json.dumps(accepted[0])


async def test_the_feed_on_one_process_shows_what_the_other_handled_and_catches_up_once(
        deployment: Deployment) -> None:
    sender = f"feed-{uuid.uuid4().hex[:8]}"
    agent = AGENTS[0]
    headers = deployment.auth(agent)
    async with httpx.AsyncClient(timeout=120) as http:
        await _say(http, deployment.bases[1], sender, "agent please")
        taken = await http.post(f"{deployment.bases[1]}/handover/conversations/{sender}/accept", headers=headers)
        assert taken.status_code == 200, taken.text

        async with websockets.connect(deployment.ws_url(0), additional_headers=headers) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert hello["type"] == "hello" and hello["agent"]["username"] == agent
            assert await _say(http, deployment.bases[1], sender, "where is my parcel") == []  # to the agent
            seen = await _next_event(ws, "customer_message", sender)
            assert "parcel" in json.dumps(seen["data"])
        last_id = seen["id"]

        # Disconnected: two more messages, through either process.
        await _say(http, deployment.bases[1], sender, "hello again")
        await _say(http, deployment.bases[0], sender, "thanks")

        async with websockets.connect(deployment.ws_url(0, after=last_id), additional_headers=headers) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert hello["type"] == "hello"
            missed = [await _next_event(ws, "customer_message", sender) for _ in range(2)]
            assert ["hello again" in json.dumps(missed[0]["data"]), "thanks" in json.dumps(missed[1]["data"])] \
                == [True, True]
            assert all(item["id"] > last_id for item in missed) and missed[0]["id"] < missed[1]["id"]
            # A further message proves the live feed continues, with nothing from before repeated in between.
            await _say(http, deployment.bases[1], sender, "parcel")
            frames = []
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                frames.append(frame)
                if frame.get("kind") == "customer_message" and frame.get("conversation_id") == sender:
                    break
        ids = [item["id"] for item in missed] + [frame["id"] for frame in frames if frame["type"] == "event"]
        assert len(ids) == len(set(ids)), ids  # nothing delivered twice
        assert all(frame["id"] > missed[-1]["id"] for frame in frames if frame["type"] == "event")


async def test_an_sla_policy_edited_through_one_process_times_the_other_at_once(deployment: Deployment) -> None:
    """Process B's clocks (what its routing warns with, and the overview shows) follow an edit made on A."""
    sender = f"sla-{uuid.uuid4().hex[:8]}"
    admin = deployment.auth(ADMIN)
    policy = f"{deployment.bases[0]}/handover/sla-policies/live_chat"

    async def state_on_b(http: httpx.AsyncClient) -> str | None:
        overview = await http.get(f"{deployment.bases[1]}/handover/overview", headers=admin)
        assert overview.status_code == 200, overview.text
        return next((c["sla_state"] for c in overview.json()["conversations"] if c["conversation_id"] == sender),
                    None)

    async def until_state(http: httpx.AsyncClient, wanted: str) -> None:
        deadline = time.monotonic() + 90
        while (found := await state_on_b(http)) != wanted:
            assert time.monotonic() < deadline, f"process B shows {found!r}, not {wanted!r}"
            await asyncio.sleep(0.2)

    async with httpx.AsyncClient(timeout=120) as http:
        try:
            response = await http.put(policy, headers=admin, json={"first_response_seconds": 1, "target_ratio": 0.8})
            assert response.status_code == 200, response.text
            await _say(http, deployment.bases[1], sender, "agent please")
            await until_state(http, "red")  # one second (or, had B missed the edit, 20) has run out
            # Nobody answered yet: only B reading the new budget can make the clock "ok" again.
            response = await http.put(policy, headers=admin,
                                      json={"first_response_seconds": 1_000_000, "target_ratio": 0.8})
            assert response.status_code == 200, response.text
            await until_state(http, "ok")
        finally:  # the built-in budgets again, for the other tests of this deployment
            await http.put(policy, headers=admin, json={"first_response_seconds": 20, "next_response_seconds": 60,
                                                        "target_ratio": 0.8})
            await http.post(f"{deployment.bases[0]}/handover/conversations/{sender}/resolve", headers=admin)
