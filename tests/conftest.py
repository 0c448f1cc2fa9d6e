"""Shared fixtures: paths to the repo, the shared compatibility data and a temp project."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what is generated, not how fast: on a busy 2-core machine Hypothesis's own
# speed checks (deadline, too_slow) fail tests whose properties hold, so they are off everywhere
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo_dir() -> Path:
    return REPO


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing: the compatibility data must sit beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def form_bot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """../shared/rasa-bots/form-01-actions, unchanged, trained once per session (in this process).

    (project folder, TrainResult). Its full training is slow (Rasa's 100 epochs), so the compatibility
    and the CLI tests share it; a test that changes the project works on a copy.
    """
    import shutil

    from bot.model.training import train
    from bot.shared.project import Project

    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing: the compatibility data must sit beside the checkout")
    project = tmp_path_factory.mktemp("form-bot") / "form-01-actions"
    shutil.copytree(SHARED / "rasa-bots" / "form-01-actions", project)
    return project, train(Project.discover(project), project / "models")


# -- real PostgreSQL and Redis: tests fail (CI) or skip (laptop) when a server is down --------------
POSTGRES_HOST = os.environ.get("BOT_TEST_POSTGRES_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _run(coroutine_function) -> object:
    """Runs a coroutine to the end in its own thread: sync fixtures may be set up inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


def _unavailable(what: str, why: str) -> None:
    message = f"{what} is not reachable ({why})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the {what} tests.")
    pytest.skip(f"{message}; start it to run these tests.")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """An asyncpg URL of the `test` database, as user postgres or root (trust auth)."""
    if not _port_open(POSTGRES_HOST, 5432):
        _unavailable("PostgreSQL", f"nothing listens on {POSTGRES_HOST}:5432")
    import asyncpg

    async def first_working_user() -> str | None:
        for user in ("postgres", "root"):
            try:
                conn = await asyncpg.connect(host=POSTGRES_HOST, port=5432, user=user, database="test", timeout=5)
            except (OSError, asyncpg.PostgresError):
                continue
            await conn.close()
            return user
        return None

    user = _run(first_working_user)
    if user is None:
        _unavailable("PostgreSQL", "neither user postgres nor root can open database 'test'")
    return f"postgresql+asyncpg://{user}@{POSTGRES_HOST}:5432/test"


@pytest.fixture
def postgres_schema(postgres_url: str) -> AsyncIterator[str]:
    """A fresh schema per test, dropped afterwards, so runs never see each other's rows."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema
    import asyncpg

    async def drop() -> None:
        url = postgres_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(url)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()

    _run(drop)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """An SQL tracker store on a fresh SQLite file, then on a fresh PostgreSQL schema."""
    from bot.stores.sql_tracker_store import SQLTrackerStore

    if request.param == "sqlite":
        store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        store = SQLTrackerStore(request.getfixturevalue("postgres_url"),
                                schema=request.getfixturevalue("postgres_schema"))
    yield store
    await store.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis; each test uses its own key prefix."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        _unavailable("Redis", str(error))
    return REDIS_URL


@pytest.fixture(scope="module")
def shared_stores(postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory,
                  request: pytest.FixtureRequest) -> Iterator[Any]:
    """A PostgreSQL schema and Redis key prefix only this test module's `bot run` processes use, with the
    endpoints.yml naming them (see tests/bot_processes.py); both are removed after the module."""
    from tests.bot_processes import SharedStores

    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:16]
    stores = SharedStores.create(postgres_url, redis_url, tmp_path_factory.mktemp(name), name)
    yield stores
    _run(stores.remove)


# A two-intent project (greet, goodbye) that tests extend with their own config, stories or rules.
TINY_PROJECT = {
    "domain.yml": """
        version: "3.1"
        intents: [greet, goodbye]
        responses:
          utter_greet: [{text: hi}]
          utter_goodbye: [{text: bye}]
        """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hi
            - hello
        - intent: goodbye
          examples: |
            - bye
            - see you
        """,
}


@pytest.fixture
def write_project(tmp_path: Path):
    """Writes TINY_PROJECT's files plus (or replaced by) `files` (name -> dedented YAML) into tmp_path."""
    import textwrap

    def write(files: dict[str, str]) -> Path:
        for name, text in {**TINY_PROJECT, **files}.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return write


# -- real RabbitMQ (127.0.0.1:5672, guest/guest) for the event broker tests ----------------------------
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass
class RabbitQueue:
    """The exchange and queue one test publishes to, and a way to read what arrived."""

    url: str
    exchange: str
    queue: str

    def endpoint(self) -> dict[str, Any]:
        return {"type": "pika", "url": "127.0.0.1", "username": "guest", "password": "guest", "port": 5672,
                "queues": [self.queue], "exchange_name": self.exchange}

    async def drain(self) -> list[dict[str, Any]]:
        """Takes every message waiting in the queue: its JSON body plus `_message_id`."""
        import aio_pika

        connection = await aio_pika.connect(self.url)
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(self.queue, durable=True)
            received = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                received.append({**json.loads(message.body), "_message_id": message.message_id})
            return received
        finally:
            await connection.close()

    @staticmethod
    def stop_broker() -> None:
        """Stops RabbitMQ's application (connections drop, nothing is accepted) until `start_broker`."""
        rabbitmqctl("stop_app")

    @staticmethod
    async def start_broker() -> None:
        rabbitmqctl("start_app")
        await wait_for_rabbitmq()

    async def collect(self, expected: int, timeout: float = 120.0) -> list[dict[str, Any]]:
        """Drains until `expected` messages arrived (or the timeout passed), then once more for extras."""
        received: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(received) < expected and asyncio.get_running_loop().time() < deadline:
            received += await self.drain()
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        return received + await self.drain()


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitQueue]:
    if not _port_open("127.0.0.1", 5672):
        _unavailable("RabbitMQ", "nothing listens on 127.0.0.1:5672")
    import aio_pika

    name = f"test-{uuid.uuid4().hex[:10]}"
    target = RabbitQueue(RABBITMQ_URL, f"{name}-exchange", f"{name}-events")
    yield target
    if not _port_open("127.0.0.1", 5672):  # a test stopped RabbitMQ and failed before starting it again
        await target.start_broker()
    connection = await aio_pika.connect(RABBITMQ_URL)
    channel = await connection.channel()
    await channel.queue_delete(target.queue)
    await channel.exchange_delete(target.exchange)
    await connection.close()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


async def wait_for_rabbitmq(timeout: float = 120.0) -> None:
    """Until RabbitMQ takes AMQP connections again (after `start_app`)."""
    import aio_pika

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            connection = await aio_pika.connect(RABBITMQ_URL)
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
            continue
        await connection.close()
        return
