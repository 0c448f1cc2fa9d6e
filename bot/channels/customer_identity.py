"""Who the shop says the customer is: a signed customer id, as HMAC or as a JWT, checked and dated.

The widget passes what the shop's backend printed into the page as `customer` in `POST /webchat/session`:

    {"id": "kunde-1001", "signature": "<hex HMAC-SHA256>"}                    no expiry
    {"id": "kunde-1001", "expires": 1767225600, "signature": "<hex HMAC>"}    signed over "id|expires"
    {"token": "<JWT>"}                       HS256 (or `customer_jwt_method`), `sub` = id, `exp` required

All are signed with `customer_secret` from credentials.yml. An expired id is refused with its own
error (`ExpiredCustomerId`), so the widget can carry on anonymously and ask the shop for a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bot.channels.signing import MAX_CUSTOMER_ID_LENGTH, customer_signature, verify_customer
from bot.shared.errors import ChannelAuthError

__all__ = ["JWT_LEEWAY_SECONDS", "ExpiredCustomerId", "customer_expiring_signature", "verify_customer_claim"]

JWT_LEEWAY_SECONDS = 30  # clocks of the shop's backend and the bot's server differ a little
_MAX_JWT_CHARS = 4096


class ExpiredCustomerId(ChannelAuthError):
    """The customer id was signed correctly, but its time is up."""


def customer_expiring_signature(secret: str, customer_id: str, expires: int) -> str:
    """The HMAC a shop's backend computes for an id that is valid until `expires` (Unix seconds)."""
    return customer_signature(secret, f"{customer_id}|{expires}")


def verify_customer_claim(secret: str | None, claim: Any, *, jwt_method: str = "HS256",
                          now: float | None = None) -> str:
    """The customer id `claim` proves; ChannelAuthError (ExpiredCustomerId when expired) otherwise."""
    if not isinstance(claim, Mapping):
        raise ChannelAuthError("'customer' must be an object with 'id' and 'signature', or with 'token' (a JWT).")
    moment = time.time() if now is None else now
    if claim.get("token") is not None:
        return _verify_jwt(secret, claim.get("token"), jwt_method, moment)
    expires = claim.get("expires")
    if expires is None:
        return verify_customer(secret, claim.get("id"), claim.get("signature"))
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise ChannelAuthError("'customer.expires' must be a Unix time in whole seconds.")
    customer_id = claim.get("id")
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= MAX_CUSTOMER_ID_LENGTH:
        raise ChannelAuthError(f"The customer id must be a string of 1 to {MAX_CUSTOMER_ID_LENGTH} characters.")
    verify_customer(secret, f"{customer_id}|{expires}", claim.get("signature"))
    if moment > expires:
        raise ExpiredCustomerId("The customer id has expired.",
                                hint="the shop's page must print a freshly signed id (see docs/operator.md)")
    return customer_id


def _verify_jwt(secret: str | None, token: Any, method: str, now: float) -> str:
    import jwt  # PyJWT, as the HTTP API's JWT auth (bot/server/auth.py)

    if not secret:
        raise ChannelAuthError("This server does not accept customer ids.",
                               hint="set 'customer_secret' under 'webchat:' in credentials.yml")
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_JWT_CHARS:
        raise ChannelAuthError(f"'customer.token' must be a JWT of at most {_MAX_JWT_CHARS} characters.")
    try:
        # `exp` is checked below against `now` (PyJWT only knows its own clock); PyJWT checks the rest.
        payload = jwt.decode(token, secret, algorithms=[method], leeway=JWT_LEEWAY_SECONDS,
                             options={"require": ["sub", "exp"], "verify_exp": False})
    except jwt.PyJWTError as error:
        raise ChannelAuthError(f"The customer's token is not valid: {error}.",
                               hint=f"sign a JWT with 'sub' (the customer id) and 'exp' using {method} "
                                    "and the shared customer_secret") from None
    expires = payload.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise ChannelAuthError("The customer's token has an 'exp' that is not a Unix time.")
    if now > expires + JWT_LEEWAY_SECONDS:
        raise ExpiredCustomerId("The customer's token has expired.",
                                hint="the shop's page must print a freshly signed JWT (see docs/operator.md)")
    customer_id = payload.get("sub")
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= MAX_CUSTOMER_ID_LENGTH:
        raise ChannelAuthError(f"The token's 'sub' must be a customer id of 1 to {MAX_CUSTOMER_ID_LENGTH} "
                               "characters.")
    return customer_id

