"""Real `bot run` processes for the tests that need more than one (a deployment's PostgreSQL and Redis).

`shared_stores` (a fixture in tests/conftest.py) gives a module its own PostgreSQL schema and Redis key
prefix and the endpoints.yml naming them; `bot_processes` starts servers on it and stops them again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SharedStores:
    """One schema in the test PostgreSQL and one key prefix in the test Redis, and the endpoints.yml using them."""

    postgres_url: str
    schema: str
    redis_url: str
    key_prefix: str
    endpoints: Path

    @classmethod
    def create(cls, postgres_url: str, redis_url: str, folder: Path, name: str) -> SharedStores:
        from sqlalchemy.engine import make_url

        suffix = uuid.uuid4().hex[:10]
        made = cls(postgres_url, f"test_{name}_{suffix}", redis_url, f"test-{name}-{suffix}", folder / "endpoints.yml")
        database = make_url(postgres_url)
        made.endpoints.write_text(
            "tracker_store:\n  type: sql\n  dialect: postgresql\n"
            f"  url: {database.host}\n  port: {database.port}\n  db: {database.database}\n"
            f"  username: {database.username}\n  schema: {made.schema}\n"
            f"lock_store:\n  type: redis\n  url: {redis_url}\n  key_prefix: {made.key_prefix}\n"
        )
        return made

    async def remove(self) -> None:
        """Drops the schema and deletes every Redis key under the prefix (locks and the live feed's)."""
        import asyncpg
        import redis.asyncio as aioredis

        conn = await asyncpg.connect(self.postgres_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            await conn.close()
        client = aioredis.Redis.from_url(self.redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{self.key_prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


def wait_until_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    """Polls /health until it answers 200; fails with the server's log if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bot run exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"bot run did not become healthy in {timeout:g} s:\n{log.read_text()}")


@dataclass
class BotProcess:
    base: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def bot_processes(count: int, *, project: Path, model: Path, endpoints: Path, work: Path, args: tuple[str, ...] = (),
                  env: Mapping[str, str] | None = None) -> Iterator[list[BotProcess]]:
    """`count` `bot run` processes on one endpoints.yml, all started before any is waited for (as a deploy
    starts them), each logging to work/server<n>.log; SIGTERM (then, if stuck, SIGKILL) when done.

    The processes get this process's whole environment, plus `env`.
    """
    running: list[BotProcess] = []
    logs = []
    try:
        for index in range(count):
            port = free_port()
            log_path = work / f"server{index}.log"
            log = open(log_path, "w")  # noqa: SIM115 - closed below
            logs.append(log)
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run", "--model", str(model), "--endpoints", str(endpoints),
                 "--port", str(port), "--project-dir", str(project), *args],
                cwd=project, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
            running.append(BotProcess(f"http://127.0.0.1:{port}", process, log_path))
        for server in running:
            wait_until_healthy(server.base, server.process, server.log)
        yield running
    finally:
        for server in running:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in running:
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        for log in logs:
            log.close()
