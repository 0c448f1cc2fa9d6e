"""Signed session tokens and signed customer ids for the web chat (HMAC-SHA256, stdlib only).

Session token: what the widget keeps in the browser's storage to resume its conversation. The
server issues it and alone can sign it (`session_secret`), so a visitor cannot pick another
conversation's id: `v1.<conversation id>.<issued at>.<signature>`.

Customer id: the shop's backend, which knows who is logged in, signs the customer's id with the
secret it shares with the bot (`customer_secret`) and prints id and signature into the page:

    signature = hex(HMAC-SHA256(customer_secret, customer_id))

(the same scheme as Intercom's "identity verification", so a shop backend may already have it).
The conversation of a verified customer follows them across devices; an id without a valid
signature is refused, never merged into that customer's history.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from bot.shared.errors import ChannelAuthError

__all__ = ["SessionTokens", "customer_conversation_id", "customer_signature", "verify_customer"]

_TOKEN_VERSION = "v1"
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_:\-]{1,200}$")
MAX_CUSTOMER_ID_LENGTH = 128


class SessionTokens:
    """Issues and verifies session tokens with one secret; tokens older than `ttl` seconds expire."""

    def __init__(self, secret: str | bytes | None, ttl: float = 30 * 24 * 3600) -> None:
        if not secret:
            secret = secrets.token_bytes(32)
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.ttl = ttl

    def new_conversation_id(self) -> str:
        """A fresh, unguessable conversation id for an anonymous visitor."""
        return "webchat-" + secrets.token_hex(16)

    def issue(self, conversation_id: str, now: float | None = None) -> str:
        """A token that resumes `conversation_id`."""
        if not _CONVERSATION_ID.match(conversation_id):
            raise ValueError(f"conversation id {conversation_id!r} cannot be put into a token")
        issued = str(int(time.time() if now is None else now))
        body = f"{_TOKEN_VERSION}.{conversation_id}.{issued}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: object, now: float | None = None) -> str:
        """The conversation id of a valid token; ChannelAuthError says what is wrong otherwise."""
        if not isinstance(token, str) or token.count(".") != 3:
            raise ChannelAuthError("The session token is malformed.", hint="start a new session without it")
        version, conversation_id, issued, signature = token.split(".")
        body = f"{version}.{conversation_id}.{issued}"
        if version != _TOKEN_VERSION or not issued.isdigit() or not _CONVERSATION_ID.match(conversation_id):
            raise ChannelAuthError("The session token is malformed.", hint="start a new session without it")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise ChannelAuthError("The session token's signature is wrong.",
                                   hint="the server's session_secret changed, or the token was altered")
        if (time.time() if now is None else now) - int(issued) > self.ttl:
            raise ChannelAuthError("The session token has expired.", hint="start a new session")
        return conversation_id

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def customer_signature(secret: str, customer_id: str) -> str:
    """What the shop's backend computes: hex HMAC-SHA256 of the customer id under the shared secret."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def verify_customer(secret: str | None, customer_id: object, signature: object) -> str:
    """The customer id when its signature is right; ChannelAuthError otherwise."""
    if not secret:
        raise ChannelAuthError("This server does not accept customer ids.",
                               hint="set 'customer_secret' under 'webchat:' in credentials.yml")
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= MAX_CUSTOMER_ID_LENGTH:
        raise ChannelAuthError(f"The customer id must be a string of 1 to {MAX_CUSTOMER_ID_LENGTH} characters.")
    if not isinstance(signature, str) or not hmac.compare_digest(
            signature.lower(), customer_signature(secret, customer_id)):
        raise ChannelAuthError("The customer id's signature is wrong.",
                               hint="sign the id with HMAC-SHA256 and the shared customer_secret, hex-encoded")
    return customer_id


def customer_conversation_id(customer_id: str) -> str:
    """The conversation of a verified customer, the same on every device (a digest: any id fits)."""
    return "customer-" + hashlib.sha256(customer_id.encode()).hexdigest()[:40]
