"""Graceful shutdown on SIGTERM/SIGINT: finish messages in flight, refuse new ones, exit in time.

Sanic's own handler stops the event loop at once and then drives it only through its shutdown
steps; under load, requests in flight were dropped without a reply and kept-alive clients held
the process past its grace period. Here the signal only starts draining, with the loop running
as usual: new requests get 503 (`Retry-After`) and every answer closes its connection, and once
the requests in flight are answered (or the grace period is nearly over) Sanic's stop runs.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from http import HTTPStatus
from typing import Any

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse, HTTPResponse, json

from bot.server.errors import error_body
from bot.server.state import server_state

__all__ = ["install_graceful_shutdown"]

logger = logging.getLogger(__name__)

_STOP_MARGIN = 1.0  # seconds of the grace period kept for closing stores after the drain
# Requests already on their way when the signal came (sent, not yet read) still get their 503:
# closing a kept-alive connection with an unread request would drop it without an answer.
_LINGER = 1.0


def install_graceful_shutdown(app: Sanic) -> None:
    """Counts requests in flight, refuses new ones while draining, and takes over SIGTERM/SIGINT."""
    app.register_middleware(_arrive, "request")
    app.register_middleware(_leave, "response")
    app.register_listener(_take_over_signals, "after_server_start")


async def _arrive(request: Request) -> HTTPResponse | None:
    state = server_state(request.app)
    if state.draining:
        _close_after_answer(request)
        return json(error_body(HTTPStatus.SERVICE_UNAVAILABLE, "ShuttingDown",
                               "The server is shutting down; send the request again.", None),
                    status=HTTPStatus.SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})
    state.in_flight += 1
    request.ctx.counted = True
    return None


async def _leave(request: Request, response: BaseHTTPResponse) -> None:
    state = server_state(request.app)
    if getattr(request.ctx, "counted", False):
        request.ctx.counted = False
        state.in_flight -= 1
    if state.draining:
        _close_after_answer(request)


def _close_after_answer(request: Request) -> None:
    if request.stream is not None and hasattr(request.stream, "keep_alive"):
        request.stream.keep_alive = False  # the answer says Connection: close, then the connection closes


async def _take_over_signals(app: Sanic, loop: Any = None) -> None:
    if getattr(app, "asgi", False):  # served by an ASGI server (or a test client): it owns the signals
        return
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(number, lambda: asyncio.ensure_future(_drain_then_stop(app)))
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests) or no signals
            return


async def _drain_then_stop(app: Sanic) -> None:
    state = server_state(app)
    if state.draining:
        return
    state.draining = True
    grace = float(app.config.GRACEFUL_SHUTDOWN_TIMEOUT)
    deadline = time.monotonic() + max(grace - _STOP_MARGIN, 0.0)
    logger.info("shutting down: finishing %d request(s) in flight, refusing new ones (up to %g s)",
                state.in_flight, grace)
    linger_until = min(time.monotonic() + _LINGER, deadline)
    while (state.in_flight > 0 or time.monotonic() < linger_until) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if state.in_flight > 0:
        logger.warning("shutting down with %d request(s) still in flight after %g s", state.in_flight, grace)
    # Sanic's own wait for open connections gets only what is left of the grace period.
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = max(deadline + _STOP_MARGIN - time.monotonic(), 0.1)
    app.stop(terminate=False)
