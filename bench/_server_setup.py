"""Processes and stores for the server benchmarks: start `bot run` on a loopback port against the
embedded stores (SQLite + in-process locks) or PostgreSQL + Redis, and clean up afterwards."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _rasa_peer import peer_environment  # bench/ is on the path, as for every bench module

REPO = Path(__file__).resolve().parent.parent
TINY_PROJECT = REPO / "tests" / "server" / "data" / "tiny"
TOKEN = "bench-token"

# Messages answered by rules with plain responses (no custom action, no outside service).
EXAMPLE_MESSAGES = ["hallo", "hello", "danke", "thanks", "Bist du ein Bot?", "bye"]
# The tiny project only answers its story from the start: hello, then great.
TINY_MESSAGES = ["hello", "great"]


@dataclass
class Model:
    """A trained model to serve: the archive folder, the project folder (custom actions) and messages."""

    models: Path
    project_dir: Path
    messages: list[str]
    origin: str  # "example assistant" or "tests/server/data/tiny"
    turns_per_conversation: int = 10  # then the load generator starts a new conversation


def resolve_model(model: Path | None, *, tiny: bool, work: Path) -> Model:
    """The example assistant's model from `model` (default models/), or the tiny test project's,
    trained into `work` (when asked, or as the fallback when no example model exists)."""
    models = model or REPO / "models"
    if not tiny and any(models.glob("*.tar.gz")):
        return Model(models, REPO, EXAMPLE_MESSAGES, "example assistant")
    if not tiny:
        print(f"No model archive in {models} (run `bot train` in the repo root); "
              "falling back to tests/server/data/tiny.", file=sys.stderr)
    from bot.model.training import train
    from bot.shared.project import Project

    project = work / "tiny"
    shutil.copytree(TINY_PROJECT, project)
    train(Project.discover(project), project / "models")
    return Model(project / "models", project, TINY_MESSAGES, "tests/server/data/tiny",
                 turns_per_conversation=len(TINY_MESSAGES))


@dataclass
class StoreSetup:
    """One endpoints.yml: `embedded` (SQLite file + in-memory locks) or `postgres+redis`."""

    name: str
    endpoints: Path
    sqlite_path: Path | None = None
    postgres_url: str | None = None
    schema: str | None = None
    redis_url: str | None = None
    key_prefix: str | None = None
    peer_database: str | None = None  # the database `rasa run` created (PostgreSQL), dropped in cleanup
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def embedded(cls, work: Path) -> StoreSetup:
        """SQLite as `bot run` uses it by default, but in a temp file so the repo's .bot/ stays clean."""
        folder = Path(tempfile.mkdtemp(prefix="embedded-", dir=work))
        sqlite_path = folder / "tracker.db"
        endpoints = folder / "endpoints.yml"
        endpoints.write_text(f"tracker_store:\n  type: sql\n  dialect: sqlite\n  db: {sqlite_path}\n")
        return cls("embedded", endpoints, sqlite_path=sqlite_path)

    @classmethod
    def postgres_redis(cls, work: Path, postgres_url: str, redis_url: str) -> StoreSetup:
        """PostgreSQL in a fresh schema and Redis under a fresh key prefix (both removed by `cleanup`)."""
        from sqlalchemy.engine import make_url

        folder = Path(tempfile.mkdtemp(prefix="pg-", dir=work))
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        key_prefix = f"bench-{uuid.uuid4().hex[:10]}"
        url = make_url(postgres_url)
        endpoints = folder / "endpoints.yml"
        endpoints.write_text(
            "tracker_store:\n  type: sql\n  dialect: postgresql\n"
            f"  url: {url.host}\n  port: {url.port or 5432}\n  db: {url.database}\n"
            f"  username: {url.username}\n  schema: {schema}\n"
            f"lock_store:\n  type: redis\n  url: {redis_url}\n  key_prefix: {key_prefix}\n")
        return cls("postgres+redis", endpoints, postgres_url=postgres_url, schema=schema,
                   redis_url=redis_url, key_prefix=key_prefix)

    def peer_endpoints(self) -> Path:
        """endpoints.yml for `rasa run`: the same SQLite file, or for PostgreSQL a fresh database that
        Rasa creates itself through `login_db` (Rasa's SQL store has no schema option), and Redis locks."""
        if self.postgres_url is None:
            return self.endpoints
        from sqlalchemy.engine import make_url

        url = make_url(self.postgres_url)
        self.peer_database = f"{self.schema}_rasa"
        endpoints = self.endpoints.with_name("endpoints-rasa.yml")
        endpoints.write_text(
            "tracker_store:\n  type: SQL\n  dialect: postgresql\n"
            f"  url: {url.host}\n  port: {url.port or 5432}\n  db: {self.peer_database}\n"
            f"  username: {url.username}\n  login_db: {url.database}\n"
            f"lock_store:\n  type: redis\n  url: {make_url(self.redis_url).host}\n"
            f"  port: {make_url(self.redis_url).port or 6379}\n  key_prefix: {self.key_prefix}\n")
        return endpoints

    def database_bytes(self) -> int:
        """On-disk size of the stored conversations (SQLite file + WAL, or the schema's relations)."""
        if self.sqlite_path is not None:
            import sqlite3
            from contextlib import closing

            # Fold the write-ahead log into the main file first, so its size is not counted twice.
            with closing(sqlite3.connect(self.sqlite_path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(p.stat().st_size for p in self.sqlite_path.parent.glob(self.sqlite_path.name + "*"))
        return asyncio.run(self._postgres_bytes())

    async def _postgres_bytes(self) -> int:
        import asyncpg

        conn = await asyncpg.connect(self._asyncpg_url())
        try:
            await conn.execute(f'VACUUM ANALYZE "{self.schema}".events')
            return int(await conn.fetchval(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
                self.schema))
        finally:
            await conn.close()

    def _asyncpg_url(self) -> str:
        assert self.postgres_url is not None
        return self.postgres_url.replace("postgresql+asyncpg://", "postgresql://")

    def cleanup(self) -> None:
        """Drops the schema (and the peer's database) and the Redis keys (SQLite goes with the work folder)."""
        if self.schema:
            asyncio.run(self._execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        if self.peer_database:
            asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{self.peer_database}" WITH (FORCE)'))
        if self.key_prefix:
            asyncio.run(self._delete_keys())

    async def _execute(self, statement: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._asyncpg_url())
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def _delete_keys(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{self.key_prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A `bot run` subprocess; `start()` returns the seconds until /health answered 200."""

    system = "ours"
    health_path = "/health"

    def __init__(self, model: Model, setup: StoreSetup, log: Path) -> None:
        self.model, self.setup, self.log_path = model, setup, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bot.cli.main", "run", "--model", str(self.model.models),
                "--endpoints", str(self.setup.endpoints), "--port", str(self.port),
                "--project-dir", str(self.model.project_dir), "--auth-token", TOKEN]

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self, timeout: float = 180.0) -> float:
        started = time.perf_counter()
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.model.project_dir, stdout=log,
                                            stderr=subprocess.STDOUT, env=self.environment())
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.system} server exited with {self.process.returncode}:\n"
                                   f"{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base}{self.health_path}", timeout=1.0).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.system} server was not healthy after {timeout:g} s:\n{self.log_path.read_text()}")

    def rss_bytes(self) -> tuple[int, int]:
        """(current, peak) resident memory of the server process, from /proc."""
        assert self.process is not None
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
        return values["VmRSS"], values["VmHWM"]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- Rasa 3.6 as the peer --------------------------------------------------------------------------

# The peer project: a Rasa bot both systems load unchanged (our example has our LanguageDetector).
PEER_BOTS = REPO.parent / "shared" / "rasa-bots"
# Messages rasa-init-moodbot answers with a plain response (rules and stories, no custom action).
MOODBOT_MESSAGES = ["hello", "I am feeling great", "are you a bot?", "bye"]


def peer_models(bot: str, rasa_python: Path | None, work: Path) -> tuple[Model, Model]:
    """The bot trained by `bot train` and by `rasa train`, from one copy (each into its own folder);
    without `rasa_python` only ours is trained (the second model is then not usable)."""
    project = work / bot
    shutil.copytree(PEER_BOTS / bot, project)
    messages = MOODBOT_MESSAGES if bot.endswith("moodbot") else ["hello"]
    commands = [[sys.executable, "-m", "bot.cli.main", "train", "--out", "models-ours"]]
    if rasa_python is not None:
        commands.append([str(rasa_python), "-m", "rasa", "train", "--out", "models-rasa"])
    for command in commands:
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, env=peer_environment(None))
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    origin = f"../shared/rasa-bots/{bot}"
    return (Model(project / "models-ours", project, messages, origin, len(messages)),
            Model(project / "models-rasa", project, messages, origin, len(messages)))


class RasaServer(Server):
    """`rasa run` of the same project with its REST channel, the same stores where Rasa has them."""

    system = "Rasa"
    health_path = "/"  # Rasa answers "Hello from Rasa" there once the model is loaded

    def __init__(self, model: Model, setup: StoreSetup, log: Path, python: Path) -> None:
        super().__init__(model, setup, log)
        self.python = python

    def command(self) -> list[str]:
        return [str(self.python), "-m", "rasa", "run", "--model", str(self.model.models), "--endpoints",
                str(self.setup.peer_endpoints()), "--port", str(self.port), "--connector", "rest",
                "--interface", "127.0.0.1", "--enable-api", "--auth-token", TOKEN]  # the API: trackers

    def environment(self) -> dict[str, str]:
        return peer_environment(None)
