"""Token authentication of the HTTP API, as Rasa's `--auth-token`.

A request is authenticated by `?token=<token>` (what Rasa clients send) or by an
`Authorization: Bearer <token>` header. Channel webhooks, `/`, `/health`, `/version` and
`/openapi.json` never ask for a token: channels verify their own signatures and load
balancers must be able to probe the server.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus

from sanic import Request

from bot.server.errors import ApiError

__all__ = ["check_token", "token_from_request"]


def token_from_request(request: Request) -> str | None:
    """The token a request carries: the `token` query parameter, else a Bearer header."""
    token = request.args.get("token")
    if token:
        return token
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def check_token(request: Request, expected: str | None) -> None:
    """Raises a 401 ApiError unless the request carries `expected`; no-op when no token is configured."""
    if not expected:
        return
    given = token_from_request(request)
    if given is None:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated",
                       "This endpoint needs a token.",
                       {"parameter": "token", "in": "query"},
                       hint="add ?token=<auth token> or the header 'Authorization: Bearer <auth token>'")
    # Constant-time comparison: the token must not leak through response timing.
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "The token is wrong.",
                       {"parameter": "token", "in": "query"},
                       hint="use the token the server was started with (bot run --auth-token)")
