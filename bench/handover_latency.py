"""Human handover latency: escalation to an agent's live feed, and an agent's reply to the customer.

    python bench/handover_latency.py                                   # 20 agents, 500 conversations, both setups
    python bench/handover_latency.py --agents 5 --conversations 50 --setups embedded

N agents (tokens from the agent directory, as `bot agents create/token` make them) go online and
connect to `GET /handover/ws`; M customers escalate at once over the REST channel ("agent please").
Routing offers each conversation to an agent below capacity; that agent accepts it, replies with
POST /handover/conversations/{id}/messages and resolves it, which frees a place for the backlog.

Figures (p50/p99, ms, measured in this process over loopback):
  escalation -> feed: from sending "agent please" until the first feed event of that conversation
                      arrives on any agent's WebSocket (the queue change every agent sees)
  escalation -> offer: until the offer arrives at the agent it is made to (includes queueing
                       behind busy agents: with M >> N x capacity it is mostly waiting time)
  reply -> customer:  from sending the agent's reply until the customer has it: with the callback
                      channel (default) when the server's POST of it reaches this process's
                      receiver; with --channel rest when it shows in GET /conversations/{id}/tracker
                      (polled every 20 ms: REST has no push, and the polling itself loads the server)
Customers escalate all at once (--rate 0, a burst: the escalation figures then mostly measure the
bot turns queueing behind each other on the CPU) or at --rate per second; every conversation stays
open (queued, offered or with an agent) until an agent resolves it, so up to M run concurrently.
`embedded` runs one `bot run` on SQLite; `postgres+redis` runs two, the customers and agents
spread over both (feed fan-out through Redis). Everything stops after --timeout seconds at most.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_setup import TOKEN, Model, Server, StoreSetup  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CALLBACK_WEBHOOK = "/webhooks/callback/webhook"
HELPDESK = REPO / "tests" / "handover" / "data" / "helpdesk"
WEBHOOK = "/webhooks/rest/webhook"
POLL_SECONDS = 0.02


@dataclass
class Timings:
    """Per conversation: when its escalation was sent and when each milestone was seen (monotonic)."""

    escalated: dict[str, float] = field(default_factory=dict)
    first_feed: dict[str, float] = field(default_factory=dict)
    offered: dict[str, float] = field(default_factory=dict)
    reply: dict[str, float] = field(default_factory=dict)  # reply latency in seconds
    replies_sent: dict[str, tuple[str, float]] = field(default_factory=dict)  # conversation -> (text, sent at)
    delivered: dict[str, asyncio.Event] = field(default_factory=dict)  # set when the receiver got the reply
    done: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)  # offers an agent has started on (an offer can repeat)
    # Feed ids of "agent went away" items: routing does that to an agent who let an offer expire. The
    # agents here accept at once, so each one is an offer that never reached its agent's feed (or an
    # accept slower than the offer timeout).
    expired_offers: set[int] = field(default_factory=set)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _train(work: Path) -> Model:
    from bot.model.training import train
    from bot.shared.project import Project

    project = work / "helpdesk"
    shutil.copytree(HELPDESK, project)
    train(Project.discover(project), project / "models")
    return Model(project / "models", project, ["agent please"], "tests/handover/data/helpdesk")


def _make_agents(setup: StoreSetup, count: int, capacity: int) -> dict[str, str]:
    """Creates the agents (API-token accounts) in the setup's database before the servers start."""
    from handover.cli import _with_directory

    async def work(directory: Any) -> dict[str, str]:
        tokens = {}
        for index in range(count):
            name = f"bench{index}"
            await directory.create_agent(name, None, role="agent", capacity=capacity)
            tokens[name] = await directory.issue_token(name, "bench")
        return tokens

    return asyncio.run(_with_directory(setup.endpoints, Path("handover.yml.absent"), work))


class CallbackReceiver:
    """The customers' front end for Rasa's callback channel: a small HTTP/1.1 server taking the server's POSTs."""

    def __init__(self, timings: Timings) -> None:
        self.timings = timings
        self.server: asyncio.Server | None = None
        self.port = 0
        self._handlers: set[asyncio.Task] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/bot"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:  # keep-alive: the server's HTTP client reuses its connections
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value)
                self._received(json.loads(await reader.readexactly(length)) if length else {})
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    def _received(self, message: dict[str, Any]) -> None:
        conversation = message.get("recipient_id")
        sent = self.timings.replies_sent.get(conversation)
        if sent is not None and message.get("text") == sent[0] and conversation not in self.timings.reply:
            self.timings.reply[conversation] = time.monotonic() - sent[1]
            self.timings.delivered.setdefault(conversation, asyncio.Event()).set()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)


async def _agent(name: str, token: str, base: str, timings: Timings, stop: asyncio.Event,
                 http: httpx.AsyncClient, ready: asyncio.Event, ready_count: list[int], agents: int,
                 channel: str) -> None:
    """One agent: online, reads the feed, and works through every offer made to it."""
    headers = {"Authorization": f"Bearer {token}"}
    response = await http.put(f"{base}/handover/presence", json={"status": "online"}, headers=headers)
    response.raise_for_status()
    work: set[asyncio.Task] = set()
    url = base.replace("http://", "ws://") + "/handover/ws"
    async with websockets.connect(url, additional_headers=headers, max_queue=None) as ws:
        await ws.recv()  # hello
        ready_count[0] += 1
        if ready_count[0] == agents:
            ready.set()
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if frame.get("type") == "event" and frame["kind"] == "agent_status" \
                    and frame["data"].get("status") == "away":
                timings.expired_offers.add(frame["id"])
            if frame.get("type") != "event" or not frame.get("conversation_id"):
                continue
            now = time.monotonic()
            conversation = frame["conversation_id"]
            if conversation in timings.escalated:
                timings.first_feed.setdefault(conversation, now)
            if frame["kind"] == "offer" and frame["data"].get("offered_to") == name:
                timings.offered.setdefault(conversation, now)
                key = f"{conversation}@{frame['data'].get('version')}"
                if key not in timings.handled:
                    timings.handled.add(key)
                    task = asyncio.create_task(_serve(name, conversation, base, headers, http, timings, channel))
                    work.add(task)
                    task.add_done_callback(work.discard)
    for task in list(work):
        task.cancel()


async def _serve(name: str, conversation: str, base: str, headers: dict[str, str], http: httpx.AsyncClient,
                 timings: Timings, channel: str) -> None:
    """Accept, reply, wait until the customer's conversation shows the reply, resolve."""
    path = f"{base}/handover/conversations/{conversation}"
    try:
        response = await http.post(f"{path}/accept", headers=headers)
        if response.status_code != 200:
            timings.errors.append(f"accept {conversation} by {name}: {response.status_code} {response.text[:120]}")
            return
        text = f"Hello from {name} to {conversation}"
        sent = time.monotonic()
        timings.replies_sent[conversation] = (text, sent)
        delivered = timings.delivered.setdefault(conversation, asyncio.Event())
        response = await http.post(f"{path}/messages", json={"text": text}, headers=headers)
        if response.status_code != 201:
            timings.errors.append(f"reply {conversation}: {response.status_code} {response.text[:120]}")
            return
        deadline = sent + 60
        if channel == "callback":
            try:
                await asyncio.wait_for(delivered.wait(), 60)
            except TimeoutError:
                timings.errors.append(f"reply to {conversation} not received by the callback URL after 60 s")
        while channel == "rest" and time.monotonic() < deadline:
            tracker = await http.get(f"{base}/conversations/{conversation}/tracker", params={"token": TOKEN})
            if any(e.get("event") == "bot" and e.get("text") == text for e in tracker.json()["events"]):
                timings.reply[conversation] = time.monotonic() - sent
                break
            await asyncio.sleep(POLL_SECONDS)
        if channel == "rest" and conversation not in timings.reply:
            timings.errors.append(f"reply to {conversation} not in its tracker after 60 s")
        response = await http.post(f"{path}/resolve", headers=headers)
        if response.status_code != 200:
            timings.errors.append(f"resolve {conversation}: {response.status_code} {response.text[:120]}")
        timings.done.add(conversation)
    except httpx.HTTPError as error:
        timings.errors.append(f"{conversation}: {type(error).__name__} {error}")


async def _customer(conversation: str, base: str, http: httpx.AsyncClient, timings: Timings, channel: str,
                    delay: float) -> None:
    await asyncio.sleep(delay)
    timings.escalated[conversation] = time.monotonic()
    webhook = CALLBACK_WEBHOOK if channel == "callback" else WEBHOOK
    try:
        response = await http.post(base + webhook, json={"sender": conversation, "message": "agent please"})
        if response.status_code != 200:
            timings.errors.append(f"escalate {conversation}: {response.status_code} {response.text[:120]}")
    except httpx.HTTPError as error:
        timings.errors.append(f"escalate {conversation}: {type(error).__name__} {error}")


async def _measure(bases: list[str], tokens: dict[str, str], args: argparse.Namespace, timings: Timings) -> None:
    stop, ready = asyncio.Event(), asyncio.Event()
    limits = httpx.Limits(max_connections=600, max_keepalive_connections=600)
    conversations, timeout, channel = args.conversations, args.timeout, args.channel
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        count = [0]
        agents = [asyncio.create_task(_agent(name, token, bases[i % len(bases)], timings, stop, http, ready, count,
                                             len(tokens), channel))
                  for i, (name, token) in enumerate(tokens.items())]
        await asyncio.wait_for(ready.wait(), 120)
        started = time.monotonic()
        names = [f"customer{i}" for i in range(conversations)]
        await asyncio.gather(*(_customer(name, bases[i % len(bases)], http, timings, channel,
                                         i / args.rate if args.rate > 0 else 0.0)
                               for i, name in enumerate(names)))
        while len(timings.done) < conversations and time.monotonic() - started < timeout:
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*agents, return_exceptions=True)


async def _measure_with_receiver(servers: list[Server], tokens: dict[str, str], args: argparse.Namespace,
                                 receiver: CallbackReceiver, timings: Timings) -> None:
    try:
        await _measure([s.base for s in servers], tokens, args, timings)
    finally:
        await receiver.close()


class CallbackServer(Server):
    """`bot run` with a credentials.yml whose callback channel POSTs to the bench's receiver."""

    def __init__(self, model: Model, setup: StoreSetup, log: Path, credentials: Path | None) -> None:
        super().__init__(model, setup, log)
        self.credentials = credentials

    def command(self) -> list[str]:
        extra = ["--credentials", str(self.credentials)] if self.credentials else []
        return super().command() + extra


def _run_setup(name: str, args: argparse.Namespace, model: Model, work: Path) -> dict[str, Any]:
    if name == "embedded":
        setup, processes = StoreSetup.embedded(work), 1
    else:
        setup, processes = StoreSetup.postgres_redis(work, args.postgres_url, args.redis_url), 2
    servers: list[Server] = []
    timings = Timings()
    loop = asyncio.new_event_loop()
    receiver = CallbackReceiver(timings)
    try:
        credentials = None
        if args.channel == "callback":  # the receiver listens before the servers start, in the bench's loop
            credentials = work / f"{name}-credentials.yml"
            credentials.write_text(f"callback:\n  url: {loop.run_until_complete(receiver.start())}\n")
        tokens = _make_agents(setup, args.agents, args.capacity)
        for index in range(processes):
            server = CallbackServer(model, setup, work / f"{name}-server{index}.log", credentials)
            server.start()
            servers.append(server)
        started = time.monotonic()
        loop.run_until_complete(_measure_with_receiver(servers, tokens, args, receiver, timings))
        elapsed = time.monotonic() - started
    finally:
        for server in servers:
            server.stop()
        loop.close()
        setup.cleanup()
    feed = [(timings.first_feed[c] - t) * 1000 for c, t in timings.escalated.items() if c in timings.first_feed]
    offer = [(timings.offered[c] - t) * 1000 for c, t in timings.escalated.items() if c in timings.offered]
    reply = [seconds * 1000 for seconds in timings.reply.values()]
    return {"setup": name, "processes": processes, "agents": args.agents, "conversations": args.conversations,
            "capacity": args.capacity, "channel": args.channel, "rate": args.rate, "done": len(timings.done), "seconds": elapsed,
            "feed": feed, "offer": offer, "reply": reply, "errors": timings.errors,
            "expired_offers": len(timings.expired_offers)}


def _print(result: dict[str, Any]) -> None:
    arrival = f"{result['rate']:g}/s" if result["rate"] else "all at once"
    print(f"\n{result['setup']} ({result['processes']} process(es)): {result['agents']} agents x capacity "
          f"{result['capacity']}, {result['conversations']} conversations ({arrival}, {result['channel']} "
          f"channel); {result['done']} served in "
          f"{result['seconds']:.1f} s; load {'/'.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{'figure':<22}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, key in (("escalation -> feed", "feed"), ("escalation -> offer", "offer"),
                       ("reply -> customer", "reply")):
        values = result[key]
        if values:
            print(f"{label:<22}{len(values):>6}{_percentile(values, 0.5):>10.1f}{_percentile(values, 0.99):>10.1f}"
                  f"{max(values):>10.1f}")
        else:
            print(f"{label:<22}{0:>6}")
    print(f"offers that expired (agent set away): {result['expired_offers']}")
    if result["errors"]:
        print(f"errors: {len(result['errors'])}, first: {result['errors'][:3]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=3, help="conversations an agent holds at once")
    parser.add_argument("--setups", default="embedded,postgres+redis")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=600.0, help="stop a setup's run after this many seconds")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="escalations per second (0: all conversations escalate at once)")
    parser.add_argument("--channel", choices=("callback", "rest"), default="callback",
                        help="the customers' channel: callback (replies pushed to this process) or rest (polled)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="handover-bench-") as folder:
        work = Path(folder)
        model = _train(work)
        results = []
        for name in args.setups.split(","):
            results.append(_run_setup(name.strip(), args, model, work))
            _print(results[-1])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
