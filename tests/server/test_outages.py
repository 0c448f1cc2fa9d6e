"""A store that stops answering: 503 with Retry-After, no internal address, one log line per outage."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from bot.server.outages import dependency_failure

WEBHOOK = "/webhooks/rest/webhook"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


def _app_with_redis_at(tiny_project: Path, tmp_path: Path, url: str):
    from bot.core.agent import Agent
    from bot.server import create_app
    from bot.stores import create_tracker_store
    from bot.stores.redis_lock_store import RedisLockStore

    store = create_tracker_store({"type": "sql", "dialect": "sqlite", "db": str(tmp_path / "tracker.db")})
    agent = Agent.load(tiny_project / "models", tracker_store=store, lock_store=RedisLockStore.from_url(url),
                       project_dir=tmp_path)
    return create_app(agent, auth_token="s3cret-token")


async def test_redis_down_is_503_with_retry_after_logged_once(tiny_project, tmp_path, caplog) -> None:
    port = _closed_port()
    app = _app_with_redis_at(tiny_project, tmp_path, f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.INFO):
        responses = [await app.asgi_client.post(WEBHOOK, json={"sender": "anna", "message": "hello"})
                     for _ in range(3)]
    for _, response in responses:
        assert response.status == 503
        assert int(response.headers["retry-after"]) > 0
        assert response.json["detail"]["dependency"] == "the lock store (Redis)"
        assert str(port) not in response.text and "127.0.0.1" not in response.text
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # start-up check and 3 messages: one line
    assert "Check that Redis runs" in warnings[0].getMessage() and str(port) in warnings[0].getMessage()
    _, health = await app.asgi_client.get("/health")
    assert health.status == 503 and str(port) not in health.text


async def test_a_real_unreachable_postgresql_is_an_outage() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"postgresql+asyncpg://bot:bot@127.0.0.1:{_closed_port()}/bot")
    try:
        async with engine.connect():
            raise AssertionError("nothing should listen on a closed port")
    except Exception as error:  # the driver's real error, whatever its class
        assert dependency_failure(error) is not None
    finally:
        await engine.dispose()


def test_bad_data_is_not_an_outage() -> None:
    from sqlalchemy.exc import IntegrityError

    assert dependency_failure(IntegrityError("INSERT ...", {}, Exception("duplicate key"))) is None
    assert dependency_failure(ValueError("NaN")) is None
