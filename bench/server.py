"""Server benchmarks: `bot run` as users run it, measured from outside over loopback HTTP.

    python bench/server.py latency     # p50/p99 round trip and messages/s at 1, 10, 100 conversations
    python bench/server.py memory      # server RSS; database bytes per stored conversation
    python bench/server.py coldstart   # process start until /health answers 200 (median of 3)
    python bench/server.py all
    python bench/server.py latency --peer rasa --levels 1,10 --think 0,1   # side by side with Rasa 3.6
    python bench/server.py latency --bot rasa-init-moodbot --setups embedded --levels 1,10,100 --think 0 --client raw

Each runs against the embedded stores (SQLite + in-process locks) and PostgreSQL + Redis
(`--setups` picks). See bench/README.md ("Server") for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_setup import (  # noqa: E402
    TOKEN,
    Model,
    RasaServer,
    Server,
    StoreSetup,
    peer_models,
    resolve_model,
)


@dataclass
class Target:
    """A system under test: its model and how to start its server on a store setup."""

    system: str
    model: Model
    make: Callable[[StoreSetup, Path], Server]


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [header] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


# -- latency ---------------------------------------------------------------------------------------

class RawClient:
    """A minimal HTTP/1.1 keep-alive client for `--client raw`: one connection, JSON POSTs, replies
    with Content-Length (what Sanic sends). It costs the load generator a fraction of httpx's CPU,
    so on 2 cores more of the machine is left to the server."""

    def __init__(self, base: str) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = json.dumps(body).encode()
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
                          + payload)
        try:
            status = int((await self.reader.readline()).split()[1])
            length, close = 0, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            reply = await self.reader.readexactly(length)
        except (ValueError, IndexError, asyncio.IncompleteReadError) as error:
            await self.close()
            raise ConnectionError(f"bad HTTP answer: {error!r}") from error
        if close:
            await self.close()
        return status, reply

    async def close(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of process `pid` so far, from /proc; of this process when None."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


async def _run_level(base: str, concurrency: int, seconds: float, max_messages: int, model: Model,
                     think: float = 0.0, *, client: str = "httpx", server_pid: int | None = None) -> dict[str, Any]:
    """`concurrency` conversations, each sending its next message `think` seconds (±50 %, 0 = at once)
    after the last is answered; after `model.turns_per_conversation` messages a worker starts a new
    conversation, as users do. think=0 measures capacity; a think time measures what a customer waits
    while that many conversations are open at once. The CPU time of the load generator (this process)
    and of the server over the level is reported beside the figures: both share the machine's cores."""
    messages = model.messages
    latencies: list[float] = []
    errors = empty = 0
    sent = itertools.count()
    run = uuid.uuid4().hex[:6]
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)

    async def conversation(post: Callable[[dict[str, Any]], Any], worker: int, deadline: float) -> None:
        nonlocal errors, empty
        pause = random.Random(worker)
        if think:
            await asyncio.sleep(pause.uniform(0, think))  # conversations do not start in lockstep
        for turn in itertools.count():
            if time.perf_counter() >= deadline or next(sent) >= max_messages:
                return
            sender = f"bench-{run}-{concurrency}-{worker}-{turn // model.turns_per_conversation}"
            text = messages[turn % len(messages)]
            before = time.perf_counter()
            try:
                status, reply = await post({"sender": sender, "message": text})
            except (httpx.HTTPError, OSError) as error:
                errors += 1
                if errors == 1:
                    print(f"    first error: {error!r}", file=sys.stderr)
                continue
            if status != 200:
                errors += 1
                if errors == 1:
                    print(f"    first error: {status} {reply[:300]!r}", file=sys.stderr)
                continue
            latencies.append(time.perf_counter() - before)
            empty += not json.loads(reply)  # the bot chose to say nothing (still a full round trip)
            if think:
                await asyncio.sleep(pause.uniform(0.5, 1.5) * think)

    async with httpx.AsyncClient(timeout=60, limits=limits) as shared:
        async def httpx_post(body: dict[str, Any]) -> tuple[int, bytes]:
            response = await shared.post(f"{base}/webhooks/rest/webhook", json=body)
            return response.status_code, response.content

        raw = [RawClient(base) for _ in range(concurrency)] if client == "raw" else []
        posts = [functools.partial(raw[worker].post, "/webhooks/rest/webhook") if raw else httpx_post
                 for worker in range(concurrency)]
        client_cpu, server_cpu = _cpu_seconds(None), _cpu_seconds(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        try:
            await asyncio.gather(*(conversation(posts[worker], worker, started + seconds)
                                   for worker in range(concurrency)))
        finally:
            for connection in raw:
                await connection.close()
        elapsed = time.perf_counter() - started
        client_cpu = _cpu_seconds(None) - client_cpu
        server_cpu = _cpu_seconds(server_pid) - server_cpu if server_pid else None
    return {"concurrency": concurrency, "think_s": think, "messages": len(latencies), "errors": errors, "empty_replies": empty,
            "seconds": elapsed,
            "p50_ms": 1000 * _percentile(latencies, 0.5) if latencies else None,
            "p99_ms": 1000 * _percentile(latencies, 0.99) if latencies else None,
            "messages_per_s": len(latencies) / elapsed, "load": _load(), "client": client,
            "client_cpu_ms_per_msg": 1000 * client_cpu / max(len(latencies), 1),
            "server_cpu_ms_per_msg": 1000 * server_cpu / max(len(latencies), 1) if server_cpu is not None else None,
            "client_cpu_share": client_cpu / elapsed,
            "server_cpu_share": server_cpu / elapsed if server_cpu is not None else None}


def latency(target: Target, setups: list[StoreSetup], args: argparse.Namespace, work: Path) -> list[dict]:
    results = []
    model = target.model
    for setup in setups:
        server = target.make(setup, work / f"latency-{target.system}-{setup.name}.log")
        server.start()
        try:
            asyncio.run(_run_level(server.base, 1, 30, 10, model))  # warm-up (lazy imports, pools)
            for think in args.think:
                for level in args.levels:
                    row = asyncio.run(_run_level(server.base, level, args.seconds, args.max_messages, model, think,
                                                 client=args.client, server_pid=server.process.pid))
                    row["setup"] = setup.name
                    row["system"] = target.system
                    row["rss_mb"] = server.rss_bytes()[0] / 2**20
                    results.append(row)
                    print(f"  {target.system} {setup.name} x{level} think {think:g} s: {row['messages']} messages, "
                          f"load {row['load']}", file=sys.stderr)
        finally:
            server.stop()
    return results


def print_latency(results: list[dict], model: Model, args: argparse.Namespace) -> None:
    _print_table(
        f"Round trip POST /webhooks/rest/webhook ({model.origin}, up to {args.seconds:g} s or "
        f"{args.max_messages} messages per level)",
        ["system", "stores", "conversations", "think s", "messages", "errors", "empty", "p50 ms", "p99 ms", "msg/s",
         "server CPU ms/msg", "server CPU %", f"client ({args.client}) CPU ms/msg", "client CPU %",
         "server RSS MB", "load 1/5/15"],
        [[r["system"], r["setup"], r["concurrency"], _fmt(r["think_s"]), r["messages"], r["errors"], r["empty_replies"], _fmt(r["p50_ms"]), _fmt(r["p99_ms"]),
          _fmt(r["messages_per_s"]), _fmt(r["server_cpu_ms_per_msg"], 2), _fmt(_percent(r["server_cpu_share"]), 0),
          _fmt(r["client_cpu_ms_per_msg"], 2), _fmt(_percent(r["client_cpu_share"]), 0),
          _fmt(r["rss_mb"], 0), r["load"]] for r in results])


def _percent(share: float | None) -> float | None:
    return None if share is None else 100 * share


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# -- memory ----------------------------------------------------------------------------------------

async def _api_conversations(base: str, count: int, text: str) -> list[dict[str, Any]]:
    """`count` one-message conversations through the REST channel; returns the last one's events."""
    async with httpx.AsyncClient(timeout=60) as client:
        semaphore = asyncio.Semaphore(10)

        async def one(index: int) -> None:
            async with semaphore:
                response = await client.post(f"{base}/webhooks/rest/webhook",
                                             json={"sender": f"api-{index}", "message": text})
                response.raise_for_status()

        await asyncio.gather(*(one(index) for index in range(count)))
        tracker = await client.get(f"{base}/conversations/api-0/tracker", params={"token": TOKEN})
        tracker.raise_for_status()
        return tracker.json()["events"]


async def _store_conversations(setup: StoreSetup, first: int, count: int, events: list[dict]) -> None:
    """Appends `events` as `count` new conversations through the tracker store (as a server would)."""
    from bot.shared.endpoints import load_endpoints
    from bot.stores import create_tracker_store

    store = create_tracker_store(load_endpoints(str(setup.endpoints)).tracker_store)
    parallel = 1 if setup.sqlite_path else 16
    try:
        for start in range(first, first + count, parallel):
            stop = min(start + parallel, first + count)
            now = time.time()
            await asyncio.gather(*(
                store.append_events(f"stored-{index}", [{**event, "timestamp": now} for event in events])
                for index in range(start, stop)))
    finally:
        await store.close()


def memory(target: Target, setups: list[StoreSetup], args: argparse.Namespace, work: Path) -> list[dict]:
    results = []
    model = target.model
    for setup in setups:
        if target.system != "ours" and setup.sqlite_path is None:
            continue  # the peer's PostgreSQL size is not measured (its tables are not in our schema)
        server = target.make(setup, work / f"memory-{target.system}-{setup.name}.log")
        server.start()
        try:
            idle_rss, _ = server.rss_bytes()
            empty_bytes = setup.database_bytes()
            events = asyncio.run(_api_conversations(server.base, args.api_conversations, model.messages[0]))
            rss_after_api, peak_rss = server.rss_bytes()
            started = time.perf_counter()
            # More conversations are appended through our tracker store, so only for our server.
            stored = max(0, args.conversations - args.api_conversations) if target.system == "ours" else 0
            asyncio.run(_store_conversations(setup, 0, stored, events))
            filled_bytes = setup.database_bytes()
            total = args.api_conversations + stored
            results.append({
                "system": target.system, "setup": setup.name, "idle_rss_mb": idle_rss / 2**20, "rss_after_api_mb": rss_after_api / 2**20,
                "peak_rss_mb": peak_rss / 2**20, "api_conversations": args.api_conversations,
                "conversations": total, "events_per_conversation": len(events),
                "database_bytes": filled_bytes, "bytes_per_conversation": (filled_bytes - empty_bytes) / total,
                "store_seconds": time.perf_counter() - started, "load": _load()})
        finally:
            server.stop()
    return results


def print_memory(results: list[dict], model: Model, args: argparse.Namespace) -> None:
    _print_table(
        f"Memory ({model.origin}; {args.api_conversations} conversations through the API, the rest "
        "appended through the tracker store with the same events)",
        ["system", "stores", "idle RSS MB", f"RSS after {args.api_conversations} conv. MB", "peak RSS MB",
         "conversations", "events/conv.", "DB MB", "bytes/conv.", "DB MB per 10k conv.", "load 1/5/15"],
        [[r["system"], r["setup"], _fmt(r["idle_rss_mb"]), _fmt(r["rss_after_api_mb"]), _fmt(r["peak_rss_mb"]),
          r["conversations"], r["events_per_conversation"], _fmt(r["database_bytes"] / 2**20),
          _fmt(r["bytes_per_conversation"], 0), _fmt(r["bytes_per_conversation"] * 10_000 / 2**20), r["load"]]
         for r in results])


# -- cold start ------------------------------------------------------------------------------------

def coldstart(target: Target, setups: list[StoreSetup], args: argparse.Namespace, work: Path) -> list[dict]:
    results = []
    for setup in setups:
        times = []
        for attempt in range(args.repeat):
            server = target.make(setup, work / f"coldstart-{target.system}-{setup.name}-{attempt}.log")
            try:
                times.append(server.start())
            finally:
                server.stop()
        results.append({"system": target.system, "setup": setup.name, "seconds": times,
                        "median_s": statistics.median(times), "load": _load()})
    return results


def print_coldstart(results: list[dict], model: Model, args: argparse.Namespace) -> None:
    _print_table(f"Cold start of the server until its health check is 200 ({model.origin})",
                 ["system", "stores", "median s", "runs s", "load 1/5/15"],
                 [[r["system"], r["setup"], _fmt(r["median_s"], 2), " ".join(f"{t:.2f}" for t in r["seconds"]),
                   r["load"]] for r in results])


# -- command line ----------------------------------------------------------------------------------

COMMANDS = {"latency": (latency, print_latency), "memory": (memory, print_memory),
            "coldstart": (coldstart, print_coldstart)}


def _setups(names: list[str], args: argparse.Namespace, work: Path) -> list[StoreSetup]:
    setups = []
    for name in names:
        if name == "embedded":
            setups.append(StoreSetup.embedded(work))
        elif name in ("postgres+redis", "postgres"):
            setups.append(StoreSetup.postgres_redis(work, args.postgres_url, args.redis_url))
        else:
            raise SystemExit(f"unknown setup '{name}': use embedded and/or postgres+redis")
    return setups


def _targets(args: argparse.Namespace, work: Path) -> list[Target]:
    """Our server on the example (or --model / --tiny); with --peer, ours and Rasa's on a Rasa bot."""
    if args.bot:
        ours, _ = peer_models(args.bot, None, work)
        return [Target("ours", ours, lambda setup, log: Server(ours, setup, log))]
    if not args.peer:
        model = resolve_model(args.model, tiny=args.tiny, work=work)
        return [Target("ours", model, lambda setup, log: Server(model, setup, log))]
    from _rasa_peer import rasa_python

    python = rasa_python(args.rasa_python)
    ours, peer = peer_models(args.peer_bot, python, work)
    return [Target("ours", ours, lambda setup, log: Server(ours, setup, log)),
            Target("Rasa", peer, lambda setup, log: RasaServer(peer, setup, log, python))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", help=f"{', '.join(COMMANDS)}, several comma-separated, or all")
    parser.add_argument("--model", type=Path, help="model folder (default: models/ of the repo)")
    parser.add_argument("--tiny", action="store_true", help="use tests/server/data/tiny instead of the example")
    parser.add_argument("--setups", default="embedded,postgres+redis", help="comma-separated store setups")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--levels", default="1,10,100", help="concurrent conversations per latency level")
    parser.add_argument("--seconds", type=float, default=20.0, help="latency: time limit per level")
    parser.add_argument("--think", default="0,1",
                        help="latency: seconds a user takes between a reply and the next message (0 = at once)")
    parser.add_argument("--max-messages", type=int, default=2000, help="latency: message limit per level")
    parser.add_argument("--conversations", type=int, default=10_000, help="memory: conversations to store")
    parser.add_argument("--api-conversations", type=int, default=200, help="memory: of those, sent over HTTP")
    parser.add_argument("--repeat", type=int, default=3, help="coldstart: starts per setup")
    parser.add_argument("--peer", choices=["rasa"], help="also measure Rasa 3.6 (its own venv) on the same "
                        "Rasa bot, stores and load; the model is then that bot's, trained by both")
    parser.add_argument("--peer-bot", default="rasa-init-moodbot", help="the bot in ../shared/rasa-bots for --peer")
    parser.add_argument("--bot", help="ours only, on this bot of ../shared/rasa-bots (as --peer rasa trains it), "
                        "e.g. rasa-init-moodbot")
    parser.add_argument("--client", choices=["httpx", "raw"], default="httpx",
                        help="latency: the load generator's HTTP client; raw is a minimal keep-alive client that "
                        "leaves more CPU to the server")
    parser.add_argument("--rasa-python", type=Path, help="Python of Rasa's venv (default: ../rasa-venv/bin/python)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    wanted = list(COMMANDS) if args.command == "all" else args.command.split(",")
    if unknown := [name for name in wanted if name not in COMMANDS]:
        parser.error(f"unknown command {', '.join(unknown)}: use {', '.join(COMMANDS)} or all")
    args.levels = [int(level) for level in args.levels.split(",")]
    args.think = [float(think) for think in args.think.split(",")]

    print(f"load average before: {_load()} on {os.cpu_count()} CPUs", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as folder:
        work = Path(folder)
        targets = _targets(args, work)
        model = targets[0].model
        figures: dict[str, Any] = {"model": model.origin, "cpus": os.cpu_count(), "load_before": _load()}
        for name, (command, show) in COMMANDS.items():
            if name not in wanted:
                continue
            figures[name] = []
            for target in targets:
                setups = _setups(args.setups.split(","), args, work)  # fresh stores for each measurement
                try:
                    figures[name] += command(target, setups, args, work)
                finally:
                    for setup in setups:
                        setup.cleanup()
            show(figures[name], model, args)
    print(f"\nload average after: {_load()}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
