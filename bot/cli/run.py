"""`bot run`: serve the newest model over HTTP (REST channel, health, and the API when enabled).

One process by default. For more throughput run several `bot run` processes (or `--workers N`)
behind a load balancer; they must then share PostgreSQL (tracker_store) and Redis (lock_store)
through endpoints.yml, because the embedded SQLite file and in-process locks are per machine
and per process.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.shared.errors import BotError
from bot.shared.limits import (
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_CONCURRENT_TURNS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_RESPONSE_TIMEOUT,
    MessageLimits,
)

__all__ = ["RunSettings", "build_app", "register", "run", "serve"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """Everything `bot run` was told; picklable, so worker processes can rebuild the app from it."""

    model: str = "models"
    endpoints: str | None = "endpoints.yml"
    project_dir: str = "."
    host: str = "127.0.0.1"
    port: int = 5005
    auth_token: str | None = None
    enable_api: bool = False
    cors: tuple[str, ...] = ()
    log_format: str = "text"
    log_level: int = logging.INFO
    workers: int = 1
    graceful_shutdown_timeout: float = 15.0
    credentials: str | None = None  # None: credentials.yml when it exists
    max_message_characters: int = DEFAULT_MAX_CHARACTERS
    max_message_tokens: int = DEFAULT_MAX_TOKENS
    jwt_secret: str | None = None
    jwt_method: str = "HS256"
    max_concurrent_turns: int = DEFAULT_MAX_CONCURRENT_TURNS  # 0: no limit
    response_timeout: float = DEFAULT_RESPONSE_TIMEOUT


def _load_agent(settings: RunSettings) -> Any:
    from bot.core.agent import Agent
    from bot.server.logging import worker_number
    from bot.shared.endpoints import load_endpoints

    endpoints = load_endpoints(settings.endpoints)
    agent = Agent.load(settings.model, endpoints=endpoints, project_dir=Path(settings.project_dir),
                       max_concurrent_turns=settings.max_concurrent_turns or None)
    from bot.shared.blas import limit_blas_threads

    limit_blas_threads()  # after the model loaded numpy and scipy: their BLAS is limited where it is loaded
    # With workers the main process's start-up summary names the model; each worker says it at debug level.
    logger.log(logging.INFO if worker_number() is None else logging.DEBUG, "model: %s", agent.model.path)
    return agent


async def _load_agent_async(settings: RunSettings) -> Any:
    import asyncio

    # Unpacking the archive and loading weights is blocking work: keep it off the event loop.
    return await asyncio.get_running_loop().run_in_executor(None, _load_agent, settings)


def build_app(settings: RunSettings, agent: Any = None) -> Any:
    """The server app for `settings` (module level, so Sanic's worker processes can call it)."""
    from bot.channels.credentials import load_credentials
    from bot.server import create_app
    from bot.server.logging import configure_logging, worker_number

    worker = worker_number()
    if worker is not None:  # a fresh worker process of --workers N: log as the main process does
        configure_logging(settings.log_format, settings.log_level, worker=worker)
    loader = None if agent is not None else partial(_load_agent_async, settings)
    credentials = load_credentials(settings.credentials or "credentials.yml",
                                   required=settings.credentials is not None)
    return create_app(agent, agent_loader=loader, auth_token=settings.auth_token, credentials=credentials,
                      enable_api=settings.enable_api, cors=list(settings.cors),
                      log_messages=settings.log_format == "json",
                      graceful_shutdown_timeout=settings.graceful_shutdown_timeout,
                      response_timeout=settings.response_timeout,
                      message_limits=MessageLimits(settings.max_message_characters or None,
                                                   settings.max_message_tokens or None),
                      jwt_secret=settings.jwt_secret, jwt_method=settings.jwt_method,
                      extensions=_extensions(settings))


def _extensions(settings: RunSettings) -> list[Any]:
    """The human handover when its package is installed (the engine runs without it)."""
    import importlib

    try:
        module = importlib.import_module("handover.server")
    except ModuleNotFoundError as missing:
        if missing.name not in ("handover", "handover.server"):
            raise
        logger.info("the handover package is not installed: no agent API")
        return []
    return [module.HandoverExtension(settings.project_dir)]


def serve(settings: RunSettings) -> None:
    """Loads the model, then serves until SIGINT/SIGTERM (in-flight requests finish first)."""
    from sanic import Sanic

    from bot.server.logging import configure_logging

    # A server logs at INFO (startup, one line per message with JSON logs) unless --debug asked for more.
    settings = replace(settings, log_level=min(logging.getLogger().getEffectiveLevel(), logging.INFO))
    configure_logging(settings.log_format, settings.log_level)
    _warn_about_exposure(settings)
    run_options: dict[str, Any] = {"host": settings.host, "port": settings.port, "motd": False, "access_log": False}
    if settings.workers <= 1:
        # Loaded before the server starts, so a missing model or a bad endpoints.yml is a clean error.
        app = build_app(settings, _load_agent(settings))
        app.prepare(single_process=True, **run_options)
        logger.info("bot server listening on http://%s:%d", settings.host, settings.port)
        Sanic.serve_single(app)
        return
    from sanic.worker.loader import AppLoader

    _check_shared_stores(settings)
    loader = AppLoader(factory=partial(build_app, settings))
    app = loader.load()
    app.prepare(workers=settings.workers, **run_options)
    logger.info("bot server listening on http://%s:%d with %d workers, model %s", settings.host, settings.port,
                settings.workers, _model_path(settings))
    Sanic.serve(primary=app, app_loader=loader)


def _model_path(settings: RunSettings) -> str:
    from bot.model.archive import find_latest_model

    try:
        return str(find_latest_model(settings.model, full=True))
    except BotError:
        return settings.model  # each worker reports the problem when it loads the model


def _warn_about_exposure(settings: RunSettings) -> None:
    if not (settings.enable_api and not settings.auth_token and not settings.jwt_secret):
        return
    try:
        loopback = ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    if not loopback:
        logger.warning("the HTTP API is enabled without --auth-token on %s: anyone who reaches port %d "
                       "can read and change conversations", settings.host, settings.port)


def _check_shared_stores(settings: RunSettings) -> None:
    """Several workers must share a lock store, else two of them may answer one conversation at once."""
    from bot.shared.endpoints import load_endpoints

    endpoints = load_endpoints(settings.endpoints)
    lock_type = endpoints.lock_store.type_name if endpoints.lock_store else None
    if lock_type != "redis":
        raise BotError(f"--workers {settings.workers} needs a lock store all workers share",
                       location=settings.endpoints,
                       hint="add 'lock_store: {type: redis, url: ...}' to endpoints.yml, or run one worker")


def run(
    model: Annotated[Path, typer.Option(help="A model archive or the folder of archives (newest is used).")]
    = Path("models"),
    endpoints: Annotated[Path, typer.Option(help="Endpoints file (stores, action server).")]
    = Path("endpoints.yml"),
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 5005,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    auth_token: Annotated[str | None, typer.Option(
        "--auth-token", envvar="BOT_AUTH_TOKEN",
        help="Token the HTTP API requires (?token= or Authorization: Bearer); enables the API.")] = None,
    enable_api: Annotated[bool, typer.Option("--enable-api", help="Serve the HTTP API (conversations, "
                                             "parse, status) besides the channels.")] = False,
    cors: Annotated[list[str] | None, typer.Option(help="Allowed CORS origin; repeat it, or '*' for any.")]
    = None,
    log_format: Annotated[str, typer.Option(help="'text' or 'json' (one JSON object per line).")] = "text",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (more than 1 needs Redis locks).")] = 1,
    project_dir: Annotated[Path, typer.Option(help="Project folder (in-process custom actions, SQLite file).")]
    = Path("."),
    graceful_shutdown_timeout: Annotated[float, typer.Option(
        help="Seconds in-flight messages get to finish on shutdown.")] = 15.0,
    credentials: Annotated[Path | None, typer.Option(
        help="Channels file (Rasa's format: rest, socketio, webchat). Default: credentials.yml if present.")]
    = None,
    max_message_characters: Annotated[int, typer.Option(
        min=0, help="Longer user messages are refused with 413 before NLU (0: no limit).")] = DEFAULT_MAX_CHARACTERS,
    max_message_tokens: Annotated[int, typer.Option(
        min=0, help="User messages with more tokens are refused with 413 before any model (0: no limit).")]
    = DEFAULT_MAX_TOKENS,
    jwt_secret: Annotated[str | None, typer.Option(
        "--jwt-secret", envvar="BOT_JWT_SECRET",
        help="Accept JSON Web Tokens signed with this secret (as Rasa); enables the API.")] = None,
    jwt_method: Annotated[str, typer.Option(help="The JWT signing method (HS256, HS384, HS512).")] = "HS256",
    max_concurrent_turns: Annotated[int, typer.Option(
        min=0, help="Customer messages handled at once; more wait in arrival order (0: no limit).")]
    = DEFAULT_MAX_CONCURRENT_TURNS,
    response_timeout: Annotated[float, typer.Option(
        min=1, help="Seconds a request may take before it is answered 503 (as Rasa's --response-timeout).")]
    = DEFAULT_RESPONSE_TIMEOUT,
) -> None:
    """Serve the assistant over HTTP: the REST channel and, with --enable-api or --auth-token, the API."""
    if log_format not in ("text", "json"):
        raise typer.BadParameter("use 'text' or 'json'", param_hint="--log-format")
    settings = RunSettings(
        model=str(model), endpoints=str(endpoints), project_dir=str(project_dir), host=host, port=port,
        auth_token=auth_token, enable_api=enable_api,
        cors=tuple(origin for value in cors or [] for origin in value.split(",") if origin.strip()),
        log_format=log_format, workers=workers, graceful_shutdown_timeout=graceful_shutdown_timeout,
        credentials=str(credentials) if credentials else None,
        max_message_characters=max_message_characters, max_message_tokens=max_message_tokens,
        jwt_secret=jwt_secret, jwt_method=jwt_method, max_concurrent_turns=max_concurrent_turns,
        response_timeout=response_timeout)
    try:
        serve(settings)
    except BotError as error:
        from bot.cli.output import make_console, print_error

        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        print_error(make_console(stderr=True), error)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Adds `bot run` to the CLI."""
    app.command("run")(run)


if __name__ == "__main__":  # `python -m bot.cli.run ...`, e.g. before the command is registered in main
    _cli = typer.Typer(add_completion=False)
    register(_cli)
    _cli()
