"""handover.yml in the database: teams, SLA policies and canned replies as code, beside the console's.

`sync_config` writes what the file says into the handover tables, in one transaction: the file
seeds them, and the API's edits win. Rows the file made earlier and no longer lists are removed;
rows made or edited over the API (the console; source "api", handover/config_edits.py) are kept
as they are, even when the file names the same team, policy or shortcut, and a row the API removed
stays removed (a tombstone). `bot handover export` writes the tables back as handover.yml.
Everything that routes, times or suggests reads these tables: a change to the file takes effect at
the next `bot run`, an API edit at once in every process (handover.plugin reloads on the feed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover import tables
from handover.config import HandoverConfig
from handover.hours import BusinessHours
from handover.sla import SlaPolicy

__all__ = ["API_SOURCE", "BUILTIN_SOURCE", "FILE_SOURCE", "CannedReply", "Team", "canned_reply_from_row",
           "is_tombstone", "list_canned_replies", "list_sla_policies", "list_teams", "live_team_names",
           "sla_policies_in", "sync_config", "teams_in"]

FILE_SOURCE = "file"  # made from handover.yml
BUILTIN_SOURCE = "builtin"  # the built-in SLA policies
API_SOURCE = "api"  # made or edited over the API: the file no longer changes it
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
    source: str | None  # "file" when handover.yml made it, "api" once edited over the API

    @property
    def hours(self) -> BusinessHours:
        """The team's hours as handover/hours.py computes with them (always open without any)."""
        return BusinessHours.from_dict(self.business_hours)


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
    return await tracker_store.run_in_transaction(teams_in, write=False)


async def list_sla_policies(tracker_store: Any) -> dict[str, SlaPolicy]:
    """Every SLA policy by name."""
    return await tracker_store.run_in_transaction(sla_policies_in, write=False)


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


def is_tombstone(config_text: str | None) -> bool:
    """A team or policy the API removed that handover.yml defines: kept so the next start skips it."""
    try:
        return bool(json.loads(config_text or "{}").get("deleted"))
    except (ValueError, AttributeError):
        return False


def _sync(conn: Connection, config: HandoverConfig) -> dict[str, int]:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SYNC_LOCK_ID)))
    counts = {"teams": len(config.teams), "sla_policies": len(config.all_sla_policies),
              "canned_replies": len(config.canned_replies), "removed": 0}
    policies = {name: (FILE_SOURCE if name in config.sla_policies else BUILTIN_SOURCE, policy)
                for name, policy in config.all_sla_policies.items()}
    existing = dict(conn.execute(sa.select(tables.sla_policies.c.name, tables.sla_policies.c.config)).all())
    for name, (source, policy) in policies.items():
        if _source(existing.get(name)) == API_SOURCE:  # edited or removed over the API: that wins
            continue
        row = {"config": json.dumps({**policy.model_dump(), "source": source})}
        _put(conn, tables.sla_policies, tables.sla_policies.c.name, name, row, name in existing)
    stale = [name for name, text in existing.items()
             if name not in policies and _source(text) in (FILE_SOURCE, BUILTIN_SOURCE)]
    counts["removed"] += _delete(conn, tables.sla_policies, tables.sla_policies.c.name, stale)

    existing = dict(conn.execute(sa.select(tables.teams.c.name, tables.teams.c.config)).all())
    for name, team in config.teams.items():
        if _source(existing.get(name)) == API_SOURCE:
            continue
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
        if key in by_key and by_key[key].source not in (FILE_SOURCE, None):  # the API's ("api", "api-deleted")
            continue
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


def teams_in(conn: Connection, name: str | None = None) -> list[Team]:
    """The teams (or the one called `name`) inside a transaction, tombstones left out."""
    query = sa.select(tables.teams).order_by(tables.teams.c.name)
    if name is not None:
        query = query.where(tables.teams.c.name == name)
    teams = []
    for row in conn.execute(query).mappings():
        extra = json.loads(row["config"] or "{}")
        if extra.get("deleted"):
            continue
        teams.append(Team(name=row["name"], display_name=row["display_name"] or row["name"],
                          languages=tuple(extra.get("languages") or ()), skills=tuple(extra.get("skills") or ()),
                          business_hours=json.loads(row["business_hours"]) if row["business_hours"] else None,
                          sla_policy=row["sla_policy"], source=extra.get("source")))
    return teams


def live_team_names(conn: Connection) -> set[str]:
    """The names of the teams there are (not the removed ones)."""
    return {name for name, config in conn.execute(sa.select(tables.teams.c.name, tables.teams.c.config)).all()
            if not is_tombstone(config)}


def sla_policies_in(conn: Connection) -> dict[str, SlaPolicy]:
    """The SLA policies inside a transaction, by name, tombstones left out."""
    policies = {}
    for name, text in conn.execute(sa.select(tables.sla_policies.c.name, tables.sla_policies.c.config)).all():
        if is_tombstone(text):
            continue
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
    query = query.where(replies.c.source.is_(None) | (replies.c.source != "api-deleted"))
    return [canned_reply_from_row(row) for row in conn.execute(query).mappings()]


def canned_reply_from_row(row: Any) -> CannedReply:
    return CannedReply(id=int(row["id"]), shortcut=row["shortcut"], text=row["text"], language=row["language"],
                       team=row["team"], source=row["source"])
