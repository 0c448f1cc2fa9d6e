"""One authentication check for the handover API and its WebSocket, with role scopes.

An agent is recognised by the session cookie the login sets (browsers; state-changing requests
must then carry the session's CSRF token in `X-CSRF-Token`) or by `Authorization: Bearer <token>`
with a token from `bot agents token NAME` (integrations; no CSRF, the header cannot be forged
by another site). Every refusal is a JSON error with a message.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from sanic import Request

from bot.server.errors import ApiError
from handover.agent_model import Agent, has_role

__all__ = ["COOKIE", "Caller", "authenticate", "require_role"]

COOKIE = "handover_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Caller:
    """Who is calling and how: by `session` (cookie) or by `token`."""

    agent: Agent
    via: str
    session_id: str | None = None
    csrf_token: str | None = None  # the session's (cookie callers only)
    expires_at: float | None = None  # when the session ends unless used again


async def authenticate(request: Request, directory: Any, *, check_csrf: bool = True) -> Caller:
    """The calling agent; 401 without valid credentials, 403 for a cookie request without its CSRF token."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        agent = await directory.agent_for_token(value.strip())
        if agent is None:
            raise _unauthenticated("The token is unknown, revoked, or its agent is disabled.")
        return Caller(agent, "token")
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        raise _unauthenticated("Log in first.")
    session = await directory.session(session_id)
    if session is None:
        raise _unauthenticated("The session has expired or was logged out; log in again.")
    if check_csrf and request.method not in _SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
            raise ApiError(HTTPStatus.FORBIDDEN, "CsrfTokenMissing",
                           "This request needs the session's CSRF token.",
                           {"parameter": "X-CSRF-Token", "in": "header"},
                           hint="send the csrf_token that POST /handover/login returned in X-CSRF-Token")
    return Caller(session.agent, "session", session_id, session.csrf_token, session.expires_at)


def require_role(caller: Caller, needed: str) -> None:
    """403 unless the caller's role is `needed` or above (agent < supervisor < admin)."""
    if not has_role(caller.agent, needed):
        raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden",
                       f"This needs the role '{needed}'; you are '{caller.agent.role}'.")


def _unauthenticated(message: str) -> ApiError:
    return ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", message,
                    hint="POST /handover/login, or send 'Authorization: Bearer <token from bot agents token>'")
