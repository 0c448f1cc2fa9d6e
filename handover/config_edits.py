"""Edits of teams, business hours, SLA policies and canned replies made over the API (the console).

handover.yml seeds these tables; an edit made here wins and is kept: the row's source becomes
"api", and `sync_config` (every start) leaves such rows alone. Removing a row that handover.yml
made leaves a tombstone (source "api", deleted), so the next start does not bring it back.
`bot handover export` writes what the tables hold as handover.yml, to take edits back into the file.

Every function runs inside one transaction (`tracker_store.run_in_transaction(..., write=True)`)
and raises a `ConfigEditError` subclass that the API turns into 400, 404 or 409 with its message.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.shared.errors import BotError
from handover import tables
from handover.config_store import (
    API_SOURCE,
    BUILTIN_SOURCE,
    FILE_SOURCE,
    CannedReply,
    Team,
    canned_reply_from_row,
    is_tombstone,
    live_team_names,
    sla_policies_in,
    teams_in,
)
from handover.sla import SLA_DEFAULTS, SlaPolicy

__all__ = [
    "ConfigConflict", "ConfigEditError", "ConfigNotFound", "add_canned_reply", "delete_canned_reply",
    "delete_sla_policy", "delete_team", "export_config", "put_sla_policy", "put_team", "set_member",
    "set_team_hours", "update_canned_reply",
]

FALLBACK_POLICY = "live_chat"  # what a team without a policy uses (handover.plugin.HandoverSettings.sla)
_TOMBSTONE = {"source": API_SOURCE, "deleted": True}
_DELETED_REPLY = "api-deleted"  # canned replies keep their source in a column of its own


class ConfigEditError(BotError):
    """An edit that cannot be made as asked (400)."""


class ConfigNotFound(ConfigEditError):
    """The team, policy or canned reply does not exist (404)."""


class ConfigConflict(ConfigEditError):
    """The edit clashes with what is stored: in use, or a duplicate (409)."""


# -- teams -----------------------------------------------------------------------------------------

def put_team(conn: Connection, name: str, values: Mapping[str, Any],
             members: list[tuple[str, int | None]] | None) -> tuple[Team, bool]:
    """Creates or replaces a team's name, languages, skills and policy (hours kept unless given).

    `members` (usernames with an optional capacity), when given, is the team's whole membership:
    those agents get the team, others lose it. Returns the team and whether it was created.
    """
    existing = _team_row(conn, name)
    created = existing is None or is_tombstone(existing["config"])
    policy = values.get("sla_policy")
    if policy is not None and policy not in sla_policies_in(conn):
        raise _unknown("SLA policy", policy, sla_policies_in(conn), "sla_policy")
    row: dict[str, Any] = {"display_name": values.get("display_name"), "sla_policy": policy,
                           "config": json.dumps({"languages": list(values.get("languages") or []),
                                                 "skills": list(values.get("skills") or []), "source": API_SOURCE})}
    if "business_hours" in values:
        row["business_hours"] = _hours_text(values["business_hours"])
    elif created:
        row["business_hours"] = None
    _upsert(conn, tables.teams, tables.teams.c.name, name, row, existing is not None)
    if members is not None:
        _set_members(conn, name, members)
    return teams_in(conn, name)[0], created


def set_team_hours(conn: Connection, name: str, hours: Mapping[str, Any] | None) -> Team:
    """Replaces a team's business hours (None: always open)."""
    existing = _live_team(conn, name)
    extra = {**json.loads(existing["config"] or "{}"), "source": API_SOURCE}
    conn.execute(sa.update(tables.teams).where(tables.teams.c.name == name)
                 .values(business_hours=_hours_text(hours), config=json.dumps(extra)))
    return teams_in(conn, name)[0]


def delete_team(conn: Connection, name: str, default_team: str | None) -> None:
    """Removes a team nobody depends on; its members lose it."""
    existing = _live_team(conn, name)
    if name == default_team:
        raise ConfigConflict(f"team '{name}' is handover.yml's routing.default_team",
                             hint="name another default_team in handover.yml first")
    conversations = tables.conversations
    open_count = conn.execute(sa.select(sa.func.count()).where(
        conversations.c.team == name, conversations.c.state.in_(("queued", "offered", "assigned")))).scalar_one()
    if open_count:
        raise ConfigConflict(f"team '{name}' has {open_count} open conversation(s)",
                             hint="transfer them to another team, or resolve them, first")
    replies = conn.execute(sa.select(sa.func.count()).where(
        tables.canned_replies.c.team == name, tables.canned_replies.c.source != _DELETED_REPLY)).scalar_one()
    if replies:
        raise ConfigConflict(f"team '{name}' has {replies} canned repl{'y' if replies == 1 else 'ies'}",
                             hint="delete them or move them to another team first")
    _set_members(conn, name, [])
    if _source(existing["config"]) == FILE_SOURCE:
        conn.execute(sa.update(tables.teams).where(tables.teams.c.name == name).values(
            display_name=None, business_hours=None, sla_policy=None, config=json.dumps(_TOMBSTONE)))
    else:
        conn.execute(sa.delete(tables.teams).where(tables.teams.c.name == name))


def _set_members(conn: Connection, team: str, members: list[tuple[str, int | None]]) -> None:
    agents = tables.agents
    wanted = dict(members)
    rows = conn.execute(sa.select(agents.c.username, agents.c.teams)).all()
    known = {row.username for row in rows}
    for username in wanted:
        if username not in known:
            close = difflib.get_close_matches(username, sorted(known), n=1)
            raise ConfigNotFound(f"members: no agent named '{username}'",
                                 hint=f"did you mean '{close[0]}'?" if close else "`bot agents list` shows them")
    for row in rows:
        teams = json.loads(row.teams or "[]")
        values: dict[str, Any] = {}
        if row.username in wanted and team not in teams:
            values["teams"] = json.dumps([*teams, team])
        elif row.username not in wanted and team in teams:
            values["teams"] = json.dumps([name for name in teams if name != team])
        if wanted.get(row.username) is not None:
            values["capacity"] = wanted[row.username]
        if values:
            conn.execute(sa.update(agents).where(agents.c.username == row.username).values(**values))


def set_member(conn: Connection, team: str, username: str, member: bool) -> bool:
    """Adds the agent to the team (`member`) or removes them; False when nothing changed.

    One agent and one team at a time, so two supervisors editing the same team at once do not undo
    each other's changes (as replacing the whole membership with `put_team` would).
    """
    _live_team(conn, team)
    agents = tables.agents
    row = conn.execute(sa.select(agents.c.teams).where(agents.c.username == username)).first()
    if row is None:
        known = list(conn.scalars(sa.select(agents.c.username)))
        close = difflib.get_close_matches(username, sorted(known), n=1)
        raise ConfigNotFound(f"no agent named '{username}'",
                             hint=f"did you mean '{close[0]}'?" if close else "`bot agents list` shows them")
    teams = json.loads(row.teams or "[]")
    if (team in teams) == member:
        return False
    teams = [*teams, team] if member else [name for name in teams if name != team]
    conn.execute(sa.update(agents).where(agents.c.username == username).values(teams=json.dumps(teams)))
    return True


def _team_row(conn: Connection, name: str) -> Mapping[str, Any] | None:
    return conn.execute(sa.select(tables.teams).where(tables.teams.c.name == name)).mappings().first()


def _live_team(conn: Connection, name: str) -> Mapping[str, Any]:
    row = _team_row(conn, name)
    if row is None or is_tombstone(row["config"]):
        raise _unknown("team", name, live_team_names(conn), "name", missing=ConfigNotFound)
    return row


def _hours_text(hours: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(hours)) if hours else None


# -- SLA policies ------------------------------------------------------------------------------------

def put_sla_policy(conn: Connection, policy: SlaPolicy) -> bool:
    """Creates or replaces a policy; returns whether it was created."""
    table = tables.sla_policies
    existing = conn.execute(sa.select(table.c.config).where(table.c.name == policy.name)).scalar_one_or_none()
    created = existing is None or is_tombstone(existing)
    config = {**policy.model_dump(exclude={"name"}), "source": API_SOURCE}
    _upsert(conn, table, table.c.name, policy.name, {"config": json.dumps(config)}, existing is not None)
    return created


def delete_sla_policy(conn: Connection, name: str) -> None:
    """Removes a policy no team uses (the fallback policy stays)."""
    table = tables.sla_policies
    existing = conn.execute(sa.select(table.c.config).where(table.c.name == name)).scalar_one_or_none()
    if existing is None or is_tombstone(existing):
        raise _unknown("SLA policy", name, sla_policies_in(conn), "name", missing=ConfigNotFound)
    if name == FALLBACK_POLICY:
        raise ConfigConflict(f"'{name}' is the policy of every team without one; it cannot be removed",
                             hint="change its targets instead (PUT)")
    users = [team.name for team in teams_in(conn) if team.sla_policy == name]
    if users:
        raise ConfigConflict(f"SLA policy '{name}' is used by team(s) {', '.join(users)}",
                             hint="give those teams another policy first")
    if _source(existing) in (FILE_SOURCE, BUILTIN_SOURCE):
        conn.execute(sa.update(table).where(table.c.name == name).values(config=json.dumps(_TOMBSTONE)))
    else:
        conn.execute(sa.delete(table).where(table.c.name == name))


# -- canned replies ----------------------------------------------------------------------------------

def add_canned_reply(conn: Connection, shortcut: str, text: str, language: str | None,
                     team: str | None) -> CannedReply:
    """A new canned reply; one per shortcut, language and team."""
    _check_reply_team(conn, team)
    replies = tables.canned_replies
    same = _same_key(conn, shortcut, language, team)
    values = {"shortcut": shortcut, "text": text, "language": language, "team": team, "source": API_SOURCE}
    if same is not None and same.source != _DELETED_REPLY:
        raise ConfigConflict(f"canned reply '{shortcut}' exists for language {language or '(any)'} and team "
                             f"{team or '(any)'} (id {same.id})", hint=f"change it with PUT .../{same.id}")
    if same is not None:  # a tombstone of a file's reply becomes the reply again
        conn.execute(sa.update(replies).where(replies.c.id == same.id).values(**values))
        reply_id = same.id
    else:
        reply_id = conn.execute(sa.insert(replies).values(**values)).inserted_primary_key[0]
    return _reply(conn, reply_id)


def update_canned_reply(conn: Connection, reference: str, changes: Mapping[str, Any],
                        language: str | None = None, team: str | None = None) -> CannedReply:
    """Changes a reply found by id or shortcut (`language`/`team` tell apart replies sharing a shortcut)."""
    current = _find_reply(conn, reference, language, team)
    new = {"shortcut": current.shortcut, "text": current.text, "language": current.language,
           "team": current.team, **changes}
    _check_reply_team(conn, new["team"])
    key = (new["shortcut"], new["language"], new["team"])
    if key != (current.shortcut, current.language, current.team):
        same = _same_key(conn, *key)
        if same is not None and same.source != _DELETED_REPLY:
            raise ConfigConflict(f"canned reply '{key[0]}' exists for language {key[1] or '(any)'} and team "
                                 f"{key[2] or '(any)'} (id {same.id})", hint="choose another shortcut")
        if same is not None:
            conn.execute(sa.delete(tables.canned_replies).where(tables.canned_replies.c.id == same.id))
        if current.source == FILE_SOURCE:  # the file must not bring the old one back
            _bury_reply(conn, current.shortcut, current.language, current.team)
    conn.execute(sa.update(tables.canned_replies).where(tables.canned_replies.c.id == current.id)
                 .values(**new, source=API_SOURCE))
    return _reply(conn, current.id)


def delete_canned_reply(conn: Connection, reference: str, language: str | None = None,
                        team: str | None = None) -> CannedReply:
    """Removes a reply found by id or shortcut; returns what it was."""
    current = _find_reply(conn, reference, language, team)
    replies = tables.canned_replies
    if current.source == FILE_SOURCE:
        conn.execute(sa.update(replies).where(replies.c.id == current.id).values(source=_DELETED_REPLY))
    else:
        conn.execute(sa.delete(replies).where(replies.c.id == current.id))
    return current


def _bury_reply(conn: Connection, shortcut: str, language: str | None, team: str | None) -> None:
    conn.execute(sa.insert(tables.canned_replies).values(shortcut=shortcut, language=language, team=team, text="",
                                                         source=_DELETED_REPLY))


def _check_reply_team(conn: Connection, team: str | None) -> None:
    if team is not None and team not in live_team_names(conn):
        raise _unknown("team", team, live_team_names(conn), "team")


def _same_key(conn: Connection, shortcut: str, language: str | None, team: str | None) -> Any:
    replies = tables.canned_replies
    query = sa.select(replies.c.id, replies.c.source).where(
        replies.c.shortcut == shortcut,
        replies.c.language.is_(None) if language is None else replies.c.language == language,
        replies.c.team.is_(None) if team is None else replies.c.team == team)
    return conn.execute(query).first()


def _find_reply(conn: Connection, reference: str, language: str | None, team: str | None) -> CannedReply:
    replies = tables.canned_replies
    live = replies.c.source.is_(None) | (replies.c.source != _DELETED_REPLY)
    if reference.isdigit():
        row = conn.execute(sa.select(replies).where(replies.c.id == int(reference), live)).mappings().first()
        if row is not None:
            return canned_reply_from_row(row)
    query = sa.select(replies).where(replies.c.shortcut == reference.lstrip("/"), live)
    if language is not None:
        query = query.where(replies.c.language == language)
    if team is not None:
        query = query.where(replies.c.team == team)
    found = [canned_reply_from_row(row) for row in conn.execute(query).mappings()]
    if not found:
        raise ConfigNotFound(f"no canned reply '{reference}'",
                             hint="GET /handover/canned-replies lists them with their ids")
    if len(found) > 1:
        listed = ", ".join(f"id {reply.id} ({reply.language or 'any language'}, {reply.team or 'any team'})"
                           for reply in found)
        raise ConfigConflict(f"shortcut '{reference}' names {len(found)} canned replies: {listed}",
                             hint="use the id, or add ?language= and ?team=")
    return found[0]


def _reply(conn: Connection, reply_id: int) -> CannedReply:
    row = conn.execute(sa.select(tables.canned_replies).where(tables.canned_replies.c.id == reply_id)).mappings()
    return canned_reply_from_row(row.one())


# -- export ----------------------------------------------------------------------------------------

def export_config(conn: Connection) -> dict[str, Any]:
    """The tables' teams, SLA policies and canned replies in handover.yml's shape (plain data)."""
    teams: dict[str, Any] = {}
    for team in teams_in(conn):
        entry: dict[str, Any] = {}
        if team.display_name != team.name:
            entry["display_name"] = team.display_name
        entry.update({key: list(value) for key, value in (("languages", team.languages),
                                                          ("skills", team.skills)) if value})
        if team.business_hours:
            entry["business_hours"] = team.business_hours
        if team.sla_policy:
            entry["sla_policy"] = team.sla_policy
        teams[team.name] = entry
    policies = {name: policy.model_dump(exclude={"name"}, exclude_defaults=True)
                for name, policy in sla_policies_in(conn).items()
                if SLA_DEFAULTS.get(name) != policy}
    replies = tables.canned_replies
    rows = conn.execute(sa.select(replies).where(replies.c.source.is_(None) | (replies.c.source != _DELETED_REPLY))
                        .order_by(replies.c.shortcut, replies.c.language, replies.c.team)).mappings()
    canned = [{key: value for key, value in (("shortcut", row["shortcut"]), ("text", row["text"]),
                                             ("language", row["language"]), ("team", row["team"]))
               if value is not None} for row in rows]
    return {"teams": teams, "sla_policies": policies, "canned_replies": canned}


# -- shared ----------------------------------------------------------------------------------------

def _source(config_text: str | None) -> str | None:
    try:
        return json.loads(config_text or "{}").get("source")
    except (ValueError, AttributeError):
        return None


def _upsert(conn: Connection, table: sa.Table, key_column: sa.Column, key: str, values: dict[str, Any],
            exists: bool) -> None:
    if exists:
        conn.execute(sa.update(table).where(key_column == key).values(**values))
    else:
        conn.execute(sa.insert(table).values({key_column.name: key, **values}))


def _unknown(what: str, name: str, known: Any, field: str,
             missing: type[ConfigEditError] = ConfigEditError) -> ConfigEditError:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    listed = ", ".join(sorted(str(k) for k in known)) or f"no {what} is defined"
    error = missing(f"{field}: unknown {what} '{name}'",
                    hint=f"did you mean '{close[0]}'?" if close else f"use one of: {listed}")
    return error
