"""Shared fixtures: paths to the repo, the shared compatibility data and a temp project."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis; each test uses its own key prefix."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        _unavailable("Redis", str(error))
    return REDIS_URL


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
