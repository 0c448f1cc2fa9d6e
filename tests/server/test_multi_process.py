"""Two `bot run` processes serving one conversation through PostgreSQL (tracker) and Redis (locks).

The project under tests/server/data/serial answers every message with a custom action that sleeps
a little, logs when it ran and in which process, and replies "got <text> | seen <n>" where n is the
number of user messages in the tracker it was given. So the replies themselves show whether each
turn saw every earlier turn (no stale read from the other process), and the action log shows
whether two turns of the conversation ever ran at the same time.

Ordering: concurrent HTTP requests have no defined order, so the ordered test sends message k+1
only after message k has drawn its lock ticket (visible in Redis); the requests still overlap,
because each turn takes longer than it takes to send the next one.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from tests.bot_processes import SharedStores, bot_processes

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PROJECT = Path(__file__).parent / "data" / "serial"
TOKEN = "multi-process-token"
MESSAGES = 20
ACTION_SECONDS = 0.15


@dataclass
class Servers:
    """The two running processes and what the test needs to talk to them."""

    bases: list[str]
    pids: list[int]
    action_log: Path
    redis_url: str
    key_prefix: str  # endpoints.yml's key_prefix

    def ticket_counter_key(self, conversation_id: str) -> str:
        """The Redis key counting the conversation's lock tickets (one per message a server took in)."""
        from bot.stores.redis_lock_store import RedisLockStore

        config = {"url": self.redis_url, "key_prefix": self.key_prefix}
        return RedisLockStore.from_endpoint(config)._keys(conversation_id)[0]

    def action_runs(self, conversation_id: str) -> list[dict[str, Any]]:
        """The action log lines of one conversation's messages, in the order the runs started."""
        lines = [json.loads(line) for line in self.action_log.read_text().splitlines() if line.strip()]
        runs = [run for run in lines if run["text"].startswith(f"{conversation_id} ")]
        return sorted(runs, key=lambda run: run["started"])


@pytest.fixture(scope="module")
def serial_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained copy of the serial project."""
    from bot.model.training import train
    from bot.shared.project import Project

    root = tmp_path_factory.mktemp("serial") / "project"
    shutil.copytree(PROJECT, root)
    train(Project.discover(root), root / "models")
    return root


@pytest.fixture(scope="module")
def servers(shared_stores: SharedStores, serial_project: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Servers]:
    """Two `bot run` processes on one endpoints.yml, started at the same moment (as a deploy would)."""
    work = tmp_path_factory.mktemp("multi_process")
    action_log = work / "actions.jsonl"
    env = {"RECORD_ACTION_SECONDS": str(ACTION_SECONDS), "RECORD_ACTION_LOG": str(action_log)}
    with bot_processes(2, project=serial_project, model=serial_project / "models", endpoints=shared_stores.endpoints,
                       work=work, args=("--auth-token", TOKEN), env=env) as running:
        yield Servers([server.base for server in running], [server.process.pid for server in running], action_log,
                      shared_stores.redis_url, shared_stores.key_prefix)


async def _stored_tracker(base: str, conversation_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{base}/conversations/{conversation_id}/tracker", params={"token": TOKEN})
    assert response.status_code == 200, response.text
    return response.json()


def _turns(events: list[dict[str, Any]]) -> list[tuple[str, list[str], list[str]]]:
    """Per user message: its text, the bot texts and the action names logged after it (up to the next one)."""
    turns: list[tuple[str, list[str], list[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], [], []))
        elif turns and event["event"] == "bot":
            turns[-1][1].append(event["text"])
        elif turns and event["event"] == "action":
            turns[-1][2].append(event["name"])
    return turns


def _check_conversation(tracker: dict[str, Any], texts_in_order: list[str]) -> None:
    """Every message stored once, in this order, each followed by its own reply and nothing else."""
    turns = _turns(tracker["events"])
    assert [text for text, _, _ in turns] == texts_in_order
    for position, (text, replies, actions) in enumerate(turns, start=1):
        assert replies == [f"got {text} | seen {position}"], f"turn {position} ({text!r})"
        assert actions == ["action_record", "action_listen"], f"turn {position} ({text!r})"


def _check_runs_never_overlap(servers: Servers, conversation_id: str, texts_in_order: list[str]) -> None:
    runs = servers.action_runs(conversation_id)
    assert [run["text"] for run in runs] == texts_in_order
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier["ended"] <= later["started"], f"{earlier['text']!r} and {later['text']!r} ran at once"
    # Both processes did part of the work (messages alternate between them).
    assert {run["pid"] for run in runs} == set(servers.pids)


async def test_messages_sent_alternately_to_two_processes_are_handled_once_in_order(servers: Servers) -> None:
    conversation_id = f"ordered-{uuid.uuid4().hex[:8]}"
    texts = [f"{conversation_id} message {k}" for k in range(1, MESSAGES + 1)]
    unanswered_at_send: list[int] = []
    redis = aioredis.Redis.from_url(servers.redis_url)
    counter_key = servers.ticket_counter_key(conversation_id)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            requests: list[asyncio.Task[httpx.Response]] = []
            for k, text in enumerate(texts, start=1):
                unanswered_at_send.append(sum(not request.done() for request in requests))
                base = servers.bases[k % 2]
                requests.append(asyncio.create_task(client.post(
                    f"{base}/webhooks/rest/webhook", json={"sender": conversation_id, "message": text})))
                # Message k has reached a server once it holds lock ticket k; only then send k+1.
                deadline = time.monotonic() + 15
                while int(await redis.get(counter_key) or 0) < k:
                    assert time.monotonic() < deadline, f"message {k} never reached the lock store"
                    await asyncio.sleep(0.005)
                await asyncio.sleep(random.uniform(0.0, 0.02))
            responses = await asyncio.gather(*requests)
    finally:
        await redis.aclose()

    # The requests really queued on the lock (else this would only test sequential messages).
    assert max(unanswered_at_send) >= 3, unanswered_at_send
    for position, (text, response) in enumerate(zip(texts, responses, strict=True), start=1):
        assert response.status_code == 200, response.text
        assert response.json() == [{"recipient_id": conversation_id, "text": f"got {text} | seen {position}"}]
    trackers = [await _stored_tracker(base, conversation_id) for base in servers.bases]
    assert trackers[0]["events"] == trackers[1]["events"]
    _check_conversation(trackers[0], texts)
    _check_runs_never_overlap(servers, conversation_id, texts)


async def test_messages_fired_concurrently_at_two_processes_are_serialised(servers: Servers) -> None:
    """Without waiting for tickets the order is up to the network, but turns never mix and none is lost."""
    conversation_id = f"burst-{uuid.uuid4().hex[:8]}"
    texts = [f"{conversation_id} message {k}" for k in range(1, MESSAGES + 1)]

    async def send(client: httpx.AsyncClient, k: int, text: str) -> httpx.Response:
        await asyncio.sleep(random.uniform(0.0, 0.3))
        return await client.post(f"{servers.bases[k % 2]}/webhooks/rest/webhook",
                                 json={"sender": conversation_id, "message": text})

    async with httpx.AsyncClient(timeout=60) as client:
        responses = await asyncio.gather(*(send(client, k, text) for k, text in enumerate(texts)))

    seen: dict[int, str] = {}
    for text, response in zip(texts, responses, strict=True):
        assert response.status_code == 200, response.text
        [reply] = response.json()
        prefix, _, count = reply["text"].rpartition(" | seen ")
        assert prefix == f"got {text}"
        seen[int(count)] = text
    # Each message saw all the messages handled before it: the counts are 1..20, each once.
    assert sorted(seen) == list(range(1, MESSAGES + 1))
    handled_order = [seen[position] for position in sorted(seen)]
    _check_conversation(await _stored_tracker(servers.bases[1], conversation_id), handled_order)
    _check_runs_never_overlap(servers, conversation_id, handled_order)
