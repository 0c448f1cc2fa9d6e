"""`create_app`: the Sanic app of one `bot run` process, built without globals.

What is exposed:
  - always: the REST channel (`/webhooks/rest/...`), `/`, `/version`, `/health`, `/openapi.json`;
  - the HTTP API (`/status`, `/conversations/...`, `/model/parse`, `/domain`) only when it is
    enabled: with `enable_api=True` (`bot run --enable-api`, as in Rasa) or when an
    `auth_token` is set (a token only makes sense for the API, so it switches it on).
    With `enable_api=True` and no token the API is open to anyone who reaches the port;
    `bot run` warns about that when it listens on more than the loopback interface.

Lifecycle: the agent (or its loader, e.g. "load the newest model") runs in `before_server_start`,
which also opens the tracker store (migrations run there, not on the first message); the stores
are closed in `after_server_stop`. On SIGTERM, messages in flight finish, new ones get 503 and every
connection closes after its answer (bot/server/shutdown.py), so kept-alive clients cannot hold the process open.
"""

from __future__ import annotations

import gc
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import BaseHTTPResponse, HTTPResponse, empty

from bot.server.auth import JwtSettings
from bot.server.errors import JsonErrorHandler
from bot.server.logging import MessageLogListener
from bot.server.outages import dependency_failure
from bot.server.shutdown import install_graceful_shutdown
from bot.server.state import ServerSettings, ServerState, server_state
from bot.shared.limits import DEFAULT_RESPONSE_TIMEOUT, MessageLimits

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

class ServerExtension(Protocol):
    """Something that adds routes and runs beside the agent (the human handover is one)."""

    name: str

    def blueprints(self) -> list[Any]: ...

    def openapi(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Its paths and security schemes for /openapi.json."""
        ...

    async def start(self, app: Sanic, agent: Any) -> None: ...

    async def stop(self, app: Sanic) -> None: ...


DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT = 15.0  # seconds in-flight requests get to finish on SIGTERM
DEFAULT_REQUEST_MAX_SIZE = 10 * 1024 * 1024  # no chat message or event batch needs more
_CORS_HEADERS = "Content-Type, Authorization"
_CORS_METHODS = "GET, POST, PUT, DELETE, OPTIONS"


def create_app(
    agent: Any = None,
    *,
    agent_loader: Callable[[], Awaitable[Any]] | None = None,
    auth_token: str | None = None,
    enable_api: bool = False,
    cors: str | Iterable[str] | None = None,
    log_messages: bool = False,
    graceful_shutdown_timeout: float = DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
    response_timeout: float = DEFAULT_RESPONSE_TIMEOUT,
    request_max_size: int = DEFAULT_REQUEST_MAX_SIZE,
    message_limits: MessageLimits | None = None,
    jwt_secret: str | None = None,
    jwt_method: str = "HS256",
    name: str = "bot",
    credentials: Any = None,
    extensions: Sequence[ServerExtension] = (),
) -> Sanic:
    """The server app for `agent` (an `Agent`), or for the agent `agent_loader` builds at startup.

    `credentials` (a `ChannelCredentials` from credentials.yml) adds the web chat and socket.io;
    `extensions` (the human handover) add their blueprints now and start once the agent is loaded.
    """
    from bot.server.api import api_blueprint
    from bot.server.channels import install_channels
    from bot.server.customer_data_api import customer_data_blueprint
    from bot.server.info import info_blueprint
    from bot.server.model_api import model_blueprint
    from bot.server.rest_channel import rest_blueprint
    from bot.server.testing_api import testing_blueprint
    from bot.server.training_api import training_blueprint

    if agent is None and agent_loader is None:
        raise ValueError("create_app needs an agent or an agent_loader")
    settings = ServerSettings(auth_token=auth_token or None, enable_api=enable_api,
                              jwt=JwtSettings(jwt_secret, jwt_method) if jwt_secret else None,
                              cors=_origins(cors), log_messages=log_messages,
                              message_limits=message_limits or MessageLimits())
    app = _new_sanic(name)
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = graceful_shutdown_timeout
    app.config.RESPONSE_TIMEOUT = response_timeout
    app.config.REQUEST_MAX_SIZE = request_max_size
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.bot = ServerState(settings, agent=agent, agent_loader=agent_loader)

    app.ctx.extensions = list(extensions)
    app.blueprint(info_blueprint())
    app.blueprint(rest_blueprint())
    install_channels(app, credentials)
    if settings.api_enabled:
        app.blueprint(api_blueprint())
        app.blueprint(model_blueprint())
        app.blueprint(testing_blueprint())
        app.blueprint(training_blueprint())
        app.blueprint(customer_data_blueprint())
    for extension in app.ctx.extensions:
        for blueprint in extension.blueprints():
            app.blueprint(blueprint)
    if settings.cors:
        _install_cors(app, settings.cors)

    app.register_middleware(_note_success, "response")
    install_graceful_shutdown(app)
    app.register_listener(_start, "before_server_start")
    app.register_listener(_stop, "after_server_stop")
    return app


def _new_sanic(name: str) -> Sanic:
    """A Sanic app under `name`, or `name_2`, `name_3`, ... when tests build several in one process."""
    for attempt in itertools.count(1):
        candidate = name if attempt == 1 else f"{name}_{attempt}"
        try:
            # configure_logging=False: Sanic's records go to the root logger, in our text or JSON format.
            return Sanic(candidate, error_handler=JsonErrorHandler(), configure_logging=False)
        except SanicException as error:
            if "already in use" not in str(error) and "already registered" not in str(error):
                raise
    raise AssertionError("unreachable")


async def _start(app: Sanic, _loop: Any = None) -> None:
    state = server_state(app)
    if state.agent is None and state.agent_loader is not None:
        state.agent = await state.agent_loader()
    agent = state.require_agent()
    processor = agent.processor
    processor.message_limits = state.settings.message_limits
    if state.settings.log_messages and not any(isinstance(x, MessageLogListener) for x in processor.listeners):
        processor.listeners.append(MessageLogListener())
    # Opens the database now (and runs its migrations) so a wrong URL fails the start, not a message.
    try:
        await processor.tracker_store.count_conversations()
    except Exception as error:
        if (dependency := dependency_failure(error)) is not None:
            state.outages.failed(dependency, error, "start-up")
        raise
    await _check_lock_store(state, processor.lock_store)
    start_background = getattr(state.agent, "start_background", None)
    if start_background is not None:  # event broker, retention: an unreachable broker is logged, events wait
        await start_background()
    for extension in app.ctx.extensions:
        await extension.start(app, state.agent)
    try:
        await agent.warm_up()
    except Exception:  # only speed is at stake: a real message will show the problem in its context
        logger.warning("warming up the model failed; the first message will be slower", exc_info=True)
    # The model's and the libraries' objects live as long as the server: keeping them out of the
    # garbage collector's full passes removes pauses of tens of ms from the message latency.
    gc.collect()
    gc.freeze()
    state.started_at = time.time()


async def _check_lock_store(state: ServerState, lock_store: Any) -> None:
    """Says at start-up when the lock store does not answer; the server still starts and answers 503
    until it does (Redis restarting must not keep the bot down after it is back)."""
    try:
        async with lock_store.lock("__startup_check__", wait_timeout=5.0, lock_lifetime=5.0):
            pass
    except Exception as error:
        dependency = dependency_failure(error)
        if dependency is None:
            raise
        state.outages.failed(dependency, error, "start-up")


async def _note_success(request: Request, response: BaseHTTPResponse) -> None:
    """A message or API call that worked shows the stores answer again (ends a logged outage)."""
    route = getattr(request, "route", None)
    if response.status < 400 and route is not None and (".api." in route.name or ".rest_webhook." in route.name):
        server_state(request.app).outages.succeeded()


async def _stop(app: Sanic, _loop: Any = None) -> None:
    state = server_state(app)
    for extension in reversed(app.ctx.extensions):
        try:
            await extension.stop(app)
        except Exception:  # the stores must still close
            logger.exception("stopping the %s extension failed", getattr(extension, "name", extension))
    if state.agent is not None:
        await state.agent.close()


def _origins(cors: str | Iterable[str] | None) -> list[str]:
    if not cors:
        return []
    if isinstance(cors, str):
        return [origin.strip() for origin in cors.split(",") if origin.strip()]
    return [str(origin) for origin in cors]


def _install_cors(app: Sanic, origins: list[str]) -> None:
    """CORS for browser clients (the web widget): allowed origins, preflight answers."""

    def allowed_origin(request: Request) -> str | None:
        origin = request.headers.get("origin")
        if origin is None:
            return None
        if "*" in origins:
            return "*"
        return origin if origin in origins else None

    async def add_headers(request: Request, response: BaseHTTPResponse) -> None:
        origin = allowed_origin(request)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
            response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            if origin != "*":
                response.headers["Vary"] = "Origin"

    async def preflight(request: Request, **_path_parameters: Any) -> HTTPResponse:
        return empty(status=204)

    app.register_middleware(add_headers, "response")
    # Sanic answers OPTIONS on a route without it with 405, so every route gets a preflight route.
    paths = {route.path for route in app.router.routes if "OPTIONS" not in route.methods}
    for index, path in enumerate(sorted(paths)):
        app.add_route(preflight, "/" + path, methods=["OPTIONS"], name=f"cors_preflight_{index}",
                      strict_slashes=False)
