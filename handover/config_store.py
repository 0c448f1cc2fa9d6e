"""handover.yml in the database: teams, SLA policies and canned replies as code, beside the console's.

`sync_config` writes what the file says into the handover tables, in one transaction: rows the
file made earlier and no longer lists are removed, rows made elsewhere (the console, the API)
are left alone unless the file names the same team, policy or shortcut, which the file then
takes over. Everything that routes, times or suggests reads these tables, so a change to the file
takes effect at the next `bot run` (or any `bot agents`/`bot teams` command).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import tables
from handover.config import HandoverConfig
from handover.sla import SlaPolicy

__all__ = ["BUILTIN_SOURCE", "FILE_SOURCE", "CannedReply", "Team", "list_canned_replies", "list_sla_policies",
           "list_teams", "sync_config"]

FILE_SOURCE = "file"  # made from handover.yml
BUILTIN_SOURCE = "builtin"  # the built-in SLA policies
_SYNC_LOCK_ID = 7_271_845_302  # PostgreSQL advisory lock: two processes starting at once sync one after the other


@dataclass(frozen=True)
class Team:
    """A team as stored: who it serves (languages, skills), when (business hours) and how fast (SLA policy)."""

    name: str
    display_name: str
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    business_hours: dict[str, Any] | None  # handover/hours.py's format (BusinessHours.from_dict); None: always open
    sla_policy: str | None
    source: str | None  # "file" when handover.yml made it


@dataclass(frozen=True)
class CannedReply:
    """A prepared answer; `team`/`language` None means for every team/language."""

    id: int
    shortcut: str
    text: str
    language: str | None
    team: str | None
    source: str | None


async def sync_config(tracker_store: Any, config: HandoverConfig) -> dict[str, int]:
    """Writes the file's teams, SLA policies (with the built-in ones) and canned replies; returns counts."""
    return await tracker_store.run_in_transaction(_sync, config, write=True)


async def list_teams(tracker_store: Any) -> list[Team]:
    """Every team, by name."""
    return await tracker_store.run_in_transaction(_teams, write=False)


async def list_sla_policies(tracker_store: Any) -> dict[str, SlaPolicy]:
    """Every SLA policy by name."""
    return await tracker_store.run_in_transaction(_sla_policies, write=False)


async def list_canned_replies(tracker_store: Any, *, team: str | None = None,
                              language: str | None = None) -> list[CannedReply]:
    """Canned replies by shortcut; with `team`/`language`, those for it plus those for every team/language."""
    return await tracker_store.run_in_transaction(_canned_replies, team, language, write=False)


# -- statements ------------------------------------------------------------------------------

def _source(config_text: str | None) -> str | None:
    try:
        return json.loads(config_text or "{}").get("source")
    except (ValueError, AttributeError):
        return None


def _sync(conn: Connection, config: HandoverConfig) -> dict[str, int]:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))
    counts = {"teams": len(config.teams), "sla_policies": len(config.all_sla_policies),
              "canned_replies": len(config.canned_replies), "removed": 0}
    policies = {name: (FILE_SOURCE if name in config.sla_policies else BUILTIN_SOURCE, policy)
                for name, policy in config.all_sla_policies.items()}
    existing = dict(conn.execute(sa.select(tables.sla_policies.c.name, tables.sla_policies.c.config)).all())
    for name, (source, policy) in policies.items():
        row = {"config": json.dumps({**policy.model_dump(), "source": source})}
        _put(conn, tables.sla_policies, tables.sla_policies.c.name, name, row, name in existing)
    stale = [name for name, text in existing.items()
             if name not in policies and _source(text) in (FILE_SOURCE, BUILTIN_SOURCE)]
    counts["removed"] += _delete(conn, tables.sla_policies, tables.sla_policies.c.name, stale)

    existing = dict(conn.execute(sa.select(tables.teams.c.name, tables.teams.c.config)).all())
    for name, team in config.teams.items():
        row = {"display_name": team.display_name,
               "business_hours": json.dumps(team.business_hours) if team.business_hours else None,
               "sla_policy": team.sla_policy,
               "config": json.dumps({"languages": team.languages, "skills": team.skills, "source": FILE_SOURCE})}
        _put(conn, tables.teams, tables.teams.c.name, name, row, name in existing)
    stale = [name for name, text in existing.items() if name not in config.teams and _source(text) == FILE_SOURCE]
    counts["removed"] += _delete(conn, tables.teams, tables.teams.c.name, stale)

    replies = tables.canned_replies
    rows = conn.execute(sa.select(replies.c.id, replies.c.shortcut, replies.c.language, replies.c.team,
                                  replies.c.source)).all()
    by_key = {(row.shortcut, row.language, row.team): row for row in rows}
    wanted = set()
    for reply in config.canned_replies:
        key = (reply.shortcut, reply.language, reply.team)
        wanted.add(key)
        values = {"shortcut": reply.shortcut, "language": reply.language, "team": reply.team, "text": reply.text,
                  "source": FILE_SOURCE}
        if key in by_key:
            conn.execute(sa.update(replies).where(replies.c.id == by_key[key].id).values(**values))
        else:
            conn.execute(sa.insert(replies).values(**values))
    stale_ids = [row.id for key, row in by_key.items() if key not in wanted and row.source == FILE_SOURCE]
    counts["removed"] += _delete(conn, replies, replies.c.id, stale_ids)
    return counts


def _put(conn: Connection, table: sa.Table, key_column: sa.Column, key: str, values: dict[str, Any],
         exists: bool) -> None:
    # The advisory lock (PostgreSQL) or the write lock (SQLite) is held, so nobody inserts in between.
    if exists:
        conn.execute(sa.update(table).where(key_column == key).values(**values))
    else:
        conn.execute(sa.insert(table).values({key_column.name: key, **values}))


def _delete(conn: Connection, table: sa.Table, key_column: sa.Column, keys: list[Any]) -> int:
    if not keys:
        return 0
    return conn.execute(sa.delete(table).where(key_column.in_(keys))).rowcount


def _teams(conn: Connection) -> list[Team]:
    teams = []
    for row in conn.execute(sa.select(tables.teams).order_by(tables.teams.c.name)).mappings():
        extra = json.loads(row["config"] or "{}")
        teams.append(Team(name=row["name"], display_name=row["display_name"] or row["name"],
                          languages=tuple(extra.get("languages") or ()), skills=tuple(extra.get("skills") or ()),
                          business_hours=json.loads(row["business_hours"]) if row["business_hours"] else None,
                          sla_policy=row["sla_policy"], source=extra.get("source")))
    return teams


def _sla_policies(conn: Connection) -> dict[str, SlaPolicy]:
    policies = {}
    for name, text in conn.execute(sa.select(tables.sla_policies.c.name, tables.sla_policies.c.config)).all():
        values = {key: value for key, value in json.loads(text or "{}").items() if key in SlaPolicy.model_fields}
        policies[name] = SlaPolicy(**{**values, "name": name})
    return policies


def _canned_replies(conn: Connection, team: str | None, language: str | None) -> list[CannedReply]:
    replies = tables.canned_replies
    query = sa.select(replies).order_by(replies.c.shortcut, replies.c.language, replies.c.team)
    if team is not None:
        query = query.where(sa.or_(replies.c.team.is_(None), replies.c.team == team))
    if language is not None:
        query = query.where(sa.or_(replies.c.language.is_(None), replies.c.language == language))
    return [CannedReply(id=int(row["id"]), shortcut=row["shortcut"], text=row["text"], language=row["language"],
                        team=row["team"], source=row["source"]) for row in conn.execute(query).mappings()]
