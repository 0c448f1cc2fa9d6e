"""Soak run: many conversations at once against `bot run`, then a check that nothing was lost or reordered.

    python bench/soak.py                                  # 1,000 conversations x 20 messages, 64 in flight
    python bench/soak.py --setups postgres+redis --processes 2 --kill
    python bench/soak.py --conversations 200 --tiny       # smaller, on tests/server/data/tiny

Each conversation sends its messages one after another (the next when the reply came), 64
conversations in flight. Every message carries its number in `metadata`; at the end the tracker
of every conversation is read back through the HTTP API and its user messages must be exactly the
acknowledged ones, in order. With `--processes 2` (PostgreSQL + Redis) the load alternates between
two `bot run` processes; `--kill` kills one with SIGKILL halfway and the load fails over to the other.
Prints msg/s, p50/p99 round trip, lost, reordered, duplicated, 5xx and each process's RSS at the
start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server_setup import TOKEN, Server, StoreSetup, resolve_model  # noqa: E402

WEBHOOK = "/webhooks/rest/webhook"


class Load:
    """The load generator's counters."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.acknowledged: dict[str, list[int]] = {}
        self.failovers = 0
        self.cut_short = 0
        self.first_error: dict[int, str] = {}  # status -> the first body answered with it (what went wrong)


async def _conversation(client: httpx.AsyncClient, bases: list[str], alive: list[bool], sender: str,
                        messages: list[str], count: int, load: Load, start: int, deadline: float) -> None:
    turn = itertools.count(start)
    for number in range(count):
        if time.perf_counter() >= deadline:
            load.cut_short += 1  # --max-seconds passed: the rest of this conversation is not sent
            return
        body = {"sender": sender, "message": messages[number % len(messages)], "metadata": {"soak": number}}
        while True:
            index = next(turn) % len(bases)
            if not alive[index]:
                continue
            started = time.perf_counter()
            try:
                response = await client.post(bases[index] + WEBHOOK, json=body, timeout=120)
            except httpx.TransportError:
                load.failovers += 1  # the process died under this request: send it again elsewhere
                if not any(alive):
                    return
                await asyncio.sleep(0.05)
                continue
            load.latencies.append(time.perf_counter() - started)
            load.statuses[response.status_code] = load.statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                load.acknowledged.setdefault(sender, []).append(number)
            else:
                load.first_error.setdefault(response.status_code, response.text[:300])
            break


async def _drive(bases: list[str], alive: list[bool], args: argparse.Namespace, messages: list[str],
                 kill: Any) -> tuple[Load, float]:
    load = Load()
    gate = asyncio.Semaphore(args.concurrency)
    done = 0
    total = args.conversations

    async def one(index: int) -> None:
        nonlocal done
        async with gate:
            await _conversation(client, bases, alive, f"soak-{index}", messages, args.messages, load, index,
                                started + args.max_seconds)
        done += 1
        if kill is not None and done == total // 2:
            kill()
        if done % max(total // 10, 1) == 0:
            elapsed = time.perf_counter() - started
            print(f"    {done}/{total} conversations, {len(load.latencies)} messages in {elapsed:.0f} s "
                  f"({len(load.latencies) / elapsed:.1f} msg/s), load {_load()}", file=sys.stderr)

    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency * 2)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits) as client:
        await asyncio.gather(*(one(index) for index in range(total)))
        return load, time.perf_counter() - started


async def _check(base: str, load: Load, conversations: int) -> dict[str, int]:
    """Reads every conversation back: lost (acknowledged, not stored), duplicated, reordered."""
    lost = duplicated = reordered = 0
    async with httpx.AsyncClient(timeout=60) as client:
        for index in range(conversations):
            sender = f"soak-{index}"
            response = await client.get(f"{base}/conversations/{sender}/tracker",
                                        params={"token": TOKEN, "include_events": "ALL"})
            stored = [e.get("metadata", {}).get("soak") for e in response.json()["events"] if e["event"] == "user"]
            stored = [n for n in stored if n is not None]
            acknowledged = load.acknowledged.get(sender, [])
            lost += len(set(acknowledged) - set(stored))
            duplicated += len(stored) - len(set(stored))
            reordered += sum(1 for a, b in itertools.pairwise(stored) if b < a)
    return {"lost": lost, "duplicated": duplicated, "reordered": reordered}


def _rss_mb(server: Server) -> float | None:
    if server.process is None or server.process.poll() is not None:
        return None
    return round(server.rss_bytes()[0] / 2**20)


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run(setup: StoreSetup, args: argparse.Namespace, work: Path, model: Any) -> dict[str, Any]:
    began, load_before = time.perf_counter(), _load()
    servers = [Server(model, setup, work / f"{setup.name}-{i}.log") for i in range(args.processes)]
    for server in servers:
        server.start()
    try:
        rss_start = [_rss_mb(s) for s in servers]
        alive = [True] * len(servers)

        def kill_one() -> None:
            alive[0] = False  # stop routing new messages to it, then kill it with requests in flight
            os.kill(servers[0].process.pid, signal.SIGKILL)

        load, seconds = asyncio.run(_drive([s.base for s in servers], alive, args, model.messages,
                                           kill_one if args.kill else None))
        rss_end = [_rss_mb(s) for s in servers]
        survivor = next(s for s, up in zip(servers, alive, strict=True) if up)
        checked = asyncio.run(_check(survivor.base, load, args.conversations))
    finally:
        for server in servers:
            server.stop()
    sent = sum(load.statuses.values())
    latencies = sorted(load.latencies)
    return {
        "setup": setup.name, "processes": args.processes, "killed": args.kill,
        "messages": sent, "msg_per_s": round(sent / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "5xx": sum(n for status, n in load.statuses.items() if status >= 500),
        "statuses": load.statuses, "first_errors": load.first_error, "failovers": load.failovers, **checked,
        "rss_start_mb": rss_start, "rss_end_mb": rss_end,
        "cut_short": load.cut_short, "load_seconds": round(seconds), "run_seconds": round(time.perf_counter() - began),
        "load_before": load_before, "load_after": _load(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setups", default="embedded", help="embedded and/or postgres+redis, comma-separated")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="messages per conversation")
    parser.add_argument("--concurrency", type=int, default=64, help="conversations in flight")
    parser.add_argument("--processes", type=int, default=1, help="bot run processes (more than 1: postgres+redis)")
    parser.add_argument("--kill", action="store_true", help="kill -9 one process halfway (needs --processes 2)")
    parser.add_argument("--max-seconds", type=float, default=1800,
                        help="stop starting messages after this long (counted as cut_short conversations)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: models/)")
    parser.add_argument("--tiny", action="store_true", help="use tests/server/data/tiny (trained first)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    if args.kill and args.processes < 2:
        parser.error("--kill needs --processes 2 or more (someone has to survive)")
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        work = Path(folder)
        model = resolve_model(args.model, tiny=args.tiny, work=work)
        for name in args.setups.split(","):
            if name == "embedded" and args.processes > 1:
                print("embedded: one process only (SQLite and in-process locks are per process)", file=sys.stderr)
                continue
            setup = (StoreSetup.embedded(work) if name == "embedded"
                     else StoreSetup.postgres_redis(work, args.postgres_url, args.redis_url))
            try:
                result = run(setup, args, work, model)
            finally:
                setup.cleanup()
            print(f"{model.origin}, {args.conversations} conversations x {args.messages} messages, "
                  f"{args.concurrency} in flight")
            for key, value in result.items():
                print(f"  {key:14} {value}")


if __name__ == "__main__":
    main()
