"""Open endpoints (no token): `/`, `/version`, `/health` and `/openapi.json`.

Rasa leaves `/` and `/version` open; `/health` is ours, for load balancers and orchestrators:
200 when the model is loaded and both stores answer, else 503 with what failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

import bot
from bot.server.openapi import openapi_document
from bot.server.outages import OutageLog, dependency_failure
from bot.server.state import server_state

__all__ = ["MINIMUM_COMPATIBLE_VERSION", "info_blueprint"]

logger = logging.getLogger(__name__)

# The oldest framework version whose model archives this version loads.
MINIMUM_COMPATIBLE_VERSION = "0.1.0"
_HEALTH_CONVERSATION = "__health_check__"


def info_blueprint() -> Blueprint:
    """A fresh blueprint of the open endpoints."""
    blueprint = Blueprint("info")

    @blueprint.get("/")
    async def hello(request: Request) -> HTTPResponse:
        """Rasa's root greeting."""
        return text(f"Hello from bot: {bot.__version__}")

    @blueprint.get("/version")
    async def version(request: Request) -> HTTPResponse:
        """The framework version and the oldest version whose models it loads."""
        return json({"version": bot.__version__, "minimum_compatible_version": MINIMUM_COMPATIBLE_VERSION})

    @blueprint.get("/health")
    async def health(request: Request) -> HTTPResponse:
        """ok/failed per dependency; 503 when anything failed."""
        state = server_state(request.app)
        checks: dict[str, Any] = {}
        agent = state.agent
        checks["model"] = {"status": "ok" if agent is not None else "failed",
                           **({} if agent is not None else {"detail": "no model loaded"})}
        if agent is not None:
            processor = agent.processor
            timeout = state.settings.health_timeout
            checks["tracker_store"] = await _check(processor.tracker_store.count_conversations(), timeout,
                                                   state.outages)
            checks["lock_store"] = await _check(_take_lock(processor.lock_store, timeout), timeout, state.outages)
        healthy = all(check["status"] == "ok" for check in checks.values())
        uptime = None if state.started_at is None else round(time.time() - state.started_at, 1)
        return json({"status": "ok" if healthy else "failed", "checks": checks, "uptime_seconds": uptime},
                    status=200 if healthy else 503)

    @blueprint.get("/openapi.json")
    async def openapi(request: Request) -> HTTPResponse:
        """The OpenAPI 3 description of this server's routes."""
        settings = server_state(request.app).settings
        document = openapi_document(api_enabled=settings.api_enabled,
                                    token=bool(settings.auth_token) or settings.jwt is not None)
        for extension in getattr(request.app.ctx, "extensions", ()):  # the handover's routes
            paths, schemes = extension.openapi()
            document["paths"].update(paths)
            document["components"]["securitySchemes"].update(schemes)
        return json(document)

    return blueprint


async def _take_lock(lock_store: Any, timeout: float) -> None:
    async with lock_store.lock(_HEALTH_CONVERSATION, wait_timeout=timeout, lock_lifetime=timeout):
        pass


async def _check(awaitable: Any, timeout: float, outages: OutageLog) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        return {"status": "failed", "detail": f"no answer within {timeout:g} s"}
    except Exception as error:  # the point of a health check: report any failure, never raise it
        # The error text may hold SQL, hosts or passwords: it goes to the log, the caller gets its kind.
        dependency = dependency_failure(error)
        if dependency is not None:
            outages.failed(dependency, error, "GET /health")
            return {"status": "failed", "detail": "unreachable"}
        logger.warning("health check failed", exc_info=error)
        return {"status": "failed", "detail": f"failed ({type(error).__name__}); see the server log"}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
