"""What one server app holds: its settings and the agent (kept on `app.ctx`, never in globals)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING

from sanic import Sanic

from bot.channels.output import OutputChannels
from bot.server.auth import JwtSettings
from bot.server.errors import ApiError
from bot.server.outages import OutageLog
from bot.shared.limits import MessageLimits

if TYPE_CHECKING:
    from bot.core.agent import Agent

__all__ = ["ServerSettings", "ServerState", "server_state"]


@dataclass
class ServerSettings:
    """How the server behaves (what `bot run`'s options set)."""

    auth_token: str | None = None
    jwt: JwtSettings | None = None  # --jwt-secret / --jwt-method
    # The conversation/model API: on with --enable-api, an --auth-token or a --jwt-secret (app.py).
    enable_api: bool = False
    cors: list[str] = field(default_factory=list)  # allowed origins; "*" allows any
    log_messages: bool = False  # one `message_handled` log line per message
    health_timeout: float = 3.0  # seconds a store gets to answer the health check
    message_limits: MessageLimits = field(default_factory=MessageLimits)  # before NLU; over it: 413

    @property
    def api_enabled(self) -> bool:
        return self.enable_api or bool(self.auth_token) or self.jwt is not None


@dataclass
class ServerState:
    """The agent and how to build it when the server starts, and the channels that can push."""

    settings: ServerSettings
    agent: Agent | None = None
    agent_loader: Callable[[], Awaitable[Agent]] | None = None
    started_at: float | None = None
    draining: bool = False  # SIGTERM received: finish what runs, refuse what comes
    in_flight: int = 0  # requests being handled (graceful shutdown waits for them)
    # Filled by each channel blueprint that can reach a customer outside a request (web chat,
    # socket.io); the human side pushes agent messages through it (see bot/channels/output.py).
    outputs: OutputChannels = field(default_factory=OutputChannels)
    outages: OutageLog = field(default_factory=OutageLog)  # stores that stopped answering (logged once)

    def require_agent(self) -> Agent:
        """The loaded agent, or a 503 while there is none (still starting or failed to load)."""
        if self.agent is None:
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "NoAgent", "No model is loaded yet.",
                           hint="wait until the server has started; check its log for model loading errors")
        return self.agent


def server_state(app: Sanic) -> ServerState:
    """The `ServerState` that `create_app` put on the app."""
    return app.ctx.bot
