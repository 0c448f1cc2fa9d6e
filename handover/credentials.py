"""API tokens and login sessions: the statements behind `AgentDirectory`'s token and session methods.

A token (for integrations: `Authorization: Bearer ...`) and a session id (the console's cookie)
are random 256-bit secrets. Only their SHA-256 is stored, so a copy of the database lets nobody in;
a plain hash is enough here (unlike passwords) because the secrets are random, not guessable words.
The CSRF token of a session is stored as it is: the page must be told it again after a reload.
These functions are synchronous and run inside `run_in_transaction`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import tables
from handover.agent_model import Agent, UnknownAgent, agent_from_row

__all__ = ["TOKEN_PREFIX", "AgentSession", "TokenInfo", "new_secret", "sha256_hex"]

# Marks our tokens in logs and for secret scanners ("hov" = handover).
TOKEN_PREFIX = "hov_"


@dataclass(frozen=True)
class AgentSession:
    """A live login session: whose it is, the CSRF token the page must send back, and its times."""

    agent: Agent
    csrf_token: str
    created_at: float
    expires_at: float
    last_seen_at: float


@dataclass(frozen=True)
class TokenInfo:
    """What is known about a token without the token itself."""

    label: str | None
    created_at: float
    last_used_at: float | None
    revoked: bool


def new_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def sha256_hex(secret: str) -> str:
    """What is stored for a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _agent_id(conn: Connection, username: str) -> int:
    agent_id = conn.scalar(sa.select(tables.agents.c.id).where(tables.agents.c.username == username))
    if agent_id is None:
        raise UnknownAgent(f"no agent named '{username}'", hint="`bot agents list` shows the agents")
    return int(agent_id)


def _agent(conn: Connection, agent_id: int) -> Agent | None:
    row = conn.execute(sa.select(tables.agents).where(tables.agents.c.id == agent_id)).mappings().first()
    return agent_from_row(row) if row is not None else None


# -- tokens ----------------------------------------------------------------------------------

def issue_token(conn: Connection, username: str, label: str | None, now: float) -> str:
    token = TOKEN_PREFIX + new_secret()
    conn.execute(sa.insert(tables.tokens).values(token_hash=sha256_hex(token), agent_id=_agent_id(conn, username),
                                                 label=label, created_at=now, last_used_at=None, revoked=False))
    return token


def token_agent(conn: Connection, token_hash: str) -> tuple[Agent, float | None] | None:
    """The token's agent and when the token was last used; None if unknown, revoked or the agent disabled."""
    row = conn.execute(sa.select(tables.tokens).where(tables.tokens.c.token_hash == token_hash)).mappings().first()
    if row is None or row["revoked"]:
        return None
    agent = _agent(conn, row["agent_id"])
    if agent is None or agent.disabled:
        return None
    return agent, row["last_used_at"]


def touch_token(conn: Connection, token_hash: str, agent_id: int, now: float) -> None:
    conn.execute(sa.update(tables.tokens).where(tables.tokens.c.token_hash == token_hash).values(last_used_at=now))
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == agent_id).values(last_seen_at=now))


def list_tokens(conn: Connection, username: str) -> list[TokenInfo]:
    query = (sa.select(tables.tokens).where(tables.tokens.c.agent_id == _agent_id(conn, username))
             .order_by(tables.tokens.c.created_at.desc()))
    return [TokenInfo(row["label"], row["created_at"], row["last_used_at"], bool(row["revoked"]))
            for row in conn.execute(query).mappings()]


def revoke_token(conn: Connection, token_hash: str) -> bool:
    result = conn.execute(sa.update(tables.tokens)
                          .where(tables.tokens.c.token_hash == token_hash, tables.tokens.c.revoked == sa.false())
                          .values(revoked=True))
    return result.rowcount > 0


def revoke_tokens(conn: Connection, username: str, label: str | None) -> int:
    query = sa.update(tables.tokens).where(tables.tokens.c.agent_id == _agent_id(conn, username),
                                           tables.tokens.c.revoked == sa.false())
    if label is not None:
        query = query.where(tables.tokens.c.label == label)
    return conn.execute(query.values(revoked=True)).rowcount


# -- sessions --------------------------------------------------------------------------------

def insert_session(conn: Connection, session_hash: str, agent_id: int, csrf_token: str, now: float,
                   expires_at: float) -> None:
    conn.execute(sa.insert(tables.sessions).values(session_hash=session_hash, agent_id=agent_id, csrf_token=csrf_token,
                                                   created_at=now, expires_at=expires_at, last_seen_at=now))
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == agent_id).values(last_seen_at=now))


def session_row(conn: Connection, session_hash: str) -> AgentSession | None:
    row = conn.execute(sa.select(tables.sessions).where(tables.sessions.c.session_hash == session_hash)
                       ).mappings().first()
    if row is None:
        return None
    agent = _agent(conn, row["agent_id"])
    if agent is None:
        return None
    return AgentSession(agent, row["csrf_token"], row["created_at"], row["expires_at"], row["last_seen_at"])


def touch_session(conn: Connection, session_hash: str, agent_id: int, now: float, expires_at: float) -> None:
    conn.execute(sa.update(tables.sessions).where(tables.sessions.c.session_hash == session_hash)
                 .values(last_seen_at=now, expires_at=expires_at))
    conn.execute(sa.update(tables.agents).where(tables.agents.c.id == agent_id).values(last_seen_at=now))


def delete_session(conn: Connection, session_hash: str) -> None:
    conn.execute(sa.delete(tables.sessions).where(tables.sessions.c.session_hash == session_hash))


def purge_expired_sessions(conn: Connection, now: float) -> int:
    return conn.execute(sa.delete(tables.sessions).where(tables.sessions.c.expires_at <= now)).rowcount
