"""Authentication of the HTTP API, as Rasa's `--auth-token` and `--jwt-secret`/`--jwt-method`.

A token request is authenticated by `?token=<token>` (what Rasa clients send) or by an
`Authorization: Bearer <token>` header; when both are sent, either may be the right one (a stale
query parameter must not lock out a correct header). With a JWT secret, a Bearer JSON Web Token
signed with it is accepted as Rasa does: `{"user": {"role": "admin"}}` may do everything,
`{"user": {"username": "<conversation id>"}}` only that conversation's routes (403 elsewhere).
Channel webhooks, `/`, `/health`, `/version` and `/openapi.json` never ask for either: channels
verify their own signatures and load balancers must be able to probe the server.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from sanic import Request

from bot.server.errors import ApiError

__all__ = ["JwtSettings", "authenticate", "check_token", "token_from_request"]

_TOKEN_HINT = "add ?token=<auth token> or the header 'Authorization: Bearer <auth token>'"


@dataclass(frozen=True)
class JwtSettings:
    """`--jwt-secret` (for RS*/ES* methods: the public key) and `--jwt-method` (Rasa's default HS256)."""

    secret: str
    method: str = "HS256"


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_from_request(request: Request) -> str | None:
    """The token a request carries: the `token` query parameter, else a Bearer header."""
    return request.args.get("token") or _bearer(request)


def _matches(candidates: list[str | None], expected: str) -> bool:
    # Constant-time comparison: the token must not leak through response timing.
    return any(given is not None and hmac.compare_digest(given.encode(), expected.encode()) for given in candidates)


def check_token(request: Request, expected: str | None) -> None:
    """Raises a 401 ApiError unless the request carries `expected`; no-op when no token is configured."""
    if not expected:
        return
    candidates = [request.args.get("token") or None, _bearer(request)]
    if _matches(candidates, expected):
        return
    raise _unauthorised(any(candidates))


def authenticate(request: Request, token: str | None, jwt: JwtSettings | None,
                 conversation_id: str | None = None) -> None:
    """Lets the request through when its token or its JWT allows it; else 401 (or 403 for a JWT
    of another conversation). No-op when neither is configured."""
    if not token and jwt is None:
        return
    query, bearer = request.args.get("token") or None, _bearer(request)
    if token and _matches([query, bearer], token):
        return
    if jwt is not None and bearer is not None:
        user = _jwt_user(bearer, jwt)
        if user.get("role") == "admin" or (conversation_id is not None and user.get("username") == conversation_id):
            return
        raise ApiError(HTTPStatus.FORBIDDEN, "NotAuthorized", "This JWT does not allow this request.",
                       {"parameter": "Authorization", "in": "header"},
                       hint="an admin JWT ({'user': {'role': 'admin'}}) may use every route; a user's JWT "
                            "({'user': {'username': ID}}) only the routes of conversation ID")
    raise _unauthorised(query is not None or bearer is not None)


def _jwt_user(encoded: str, settings: JwtSettings) -> dict[str, Any]:
    import jwt

    try:
        payload = jwt.decode(encoded, settings.secret, algorithms=[settings.method])
    except jwt.PyJWTError as error:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", f"The JWT is not valid: {error}.",
                       {"parameter": "Authorization", "in": "header"},
                       hint=f"sign it with the server's --jwt-secret using {settings.method}") from None
    user = payload.get("user") if isinstance(payload, dict) else None
    return user if isinstance(user, dict) else {}


def _unauthorised(wrong: bool) -> ApiError:
    if wrong:
        return ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "The token is wrong.",
                        {"parameter": "token", "in": "query"},
                        hint="use the token the server was started with (bot run --auth-token) or a JWT "
                             "signed with its --jwt-secret")
    return ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "This endpoint needs a token.",
                    {"parameter": "token", "in": "query"}, hint=_TOKEN_HINT)
