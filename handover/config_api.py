"""`/handover/` routes that edit teams, business hours, SLA policies and canned replies.

Who may edit what (as Zendesk and Chatwoot split it): supervisors run their teams day to day, so
they change an existing team's skills, languages and members, its business hours (a holiday, a
short day) and the canned replies; admins create and remove teams and own the SLA policies,
which are commitments to customers. Every edit is stored in the database (handover/config_edits.py:
API edits win over handover.yml and are kept), published as a `config` feed item, and followed
by every `bot run` process at once (handover/live_config.py).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from pydantic import ValidationError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.server.errors import ApiError, bad_request, json_body
from handover import config_edits, store
from handover.agent_model import MAX_CAPACITY
from handover.api import MAX_TEXT
from handover.auth import Caller, authenticate, require_role
from handover.config import CannedReplyConfig, TeamConfig, parse_names
from handover.config_store import list_sla_policies, teams_in
from handover.hours import BusinessHours, InvalidBusinessHours
from handover.live_config import CONFIG_FEED_KIND
from handover.runtime import HandoverRuntime, runtime
from handover.sla import InvalidSlaPolicy, SlaPolicy

__all__ = ["config_blueprint"]

T = TypeVar("T")

_TEAM_FIELDS = ("display_name", "languages", "skills", "sla_policy", "business_hours", "members")
_REPLY_FIELDS = ("shortcut", "text", "language", "team")



def config_blueprint() -> Blueprint:
    bp = Blueprint("handover_config", url_prefix="/handover")

    @bp.put("/teams/<name:str>")
    async def put_team(request: Request, name: str) -> HTTPResponse:
        """Creates (admins) or changes (supervisors) a team: name, languages, skills, SLA policy, members."""
        caller = await _caller(request, "supervisor")
        rt = runtime(request.app)
        name = _name(name, "team name")
        body = _object(json_body(request), _TEAM_FIELDS)
        members = _members(body.pop("members")) if "members" in body else None
        values = _validated(lambda: TeamConfig(**body)).model_dump(exclude_unset=True)
        if "business_hours" in body:
            _open_some_time(body["business_hours"], rt.service.clock())
        else:
            values.pop("business_hours", None)

        def work(conn: Connection) -> Any:
            if not teams_in(conn, name):
                require_role(caller, "admin")  # a new team: admins only
            return config_edits.put_team(conn, name, values, members)

        team, created = await _edit(rt, caller, "team", name, "saved", work)
        return json(_team(team), status=201 if created else 200)

    @bp.delete("/teams/<name:str>")
    async def delete_team(request: Request, name: str) -> HTTPResponse:
        """Removes a team without open conversations or canned replies (admins)."""
        caller = await _caller(request, "admin")
        rt = runtime(request.app)
        await _edit(rt, caller, "team", name, "deleted",
                    lambda conn: config_edits.delete_team(conn, name, rt.plugin.settings.default_team))
        return HTTPResponse(status=204)

    @bp.put("/teams/<name:str>/hours")
    async def put_hours(request: Request, name: str) -> HTTPResponse:
        """Sets a team's business hours: timezone, weekly, holidays, special_days as in handover.yml."""
        caller = await _caller(request, "supervisor")
        rt = runtime(request.app)
        hours = json_body(request)
        if hours is not None and not isinstance(hours, dict):
            raise bad_request("The body must be the business hours as a JSON object (or {} for always open).", "body")
        _open_some_time(hours, rt.service.clock())
        team = await _edit(rt, caller, "team", name, "hours",
                           lambda conn: config_edits.set_team_hours(conn, name, hours or None))
        return json(_team(team))

    @bp.put("/teams/<name:str>/members/<username:str>")
    async def add_member(request: Request, name: str, username: str) -> HTTPResponse:
        """Adds an agent to a team (supervisors); nothing changes when they are in it already."""
        return await _membership(request, name, username, member=True)

    @bp.delete("/teams/<name:str>/members/<username:str>")
    async def remove_member(request: Request, name: str, username: str) -> HTTPResponse:
        """Takes an agent out of a team (supervisors); the conversations they have stay theirs."""
        return await _membership(request, name, username, member=False)

    @bp.get("/sla-policies")
    async def sla_policies(request: Request) -> HTTPResponse:
        """Every SLA policy (supervisors)."""
        await _caller(request, "supervisor")
        policies = await list_sla_policies(runtime(request.app).service.tracker_store)
        return json([policy.model_dump() for policy in policies.values()])

    @bp.get("/sla-policies/<name:str>")
    async def sla_policy(request: Request, name: str) -> HTTPResponse:
        """One SLA policy (supervisors)."""
        await _caller(request, "supervisor")
        policies = await list_sla_policies(runtime(request.app).service.tracker_store)
        if name not in policies:
            raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", f"No SLA policy '{name}'.",
                           hint=f"the policies are: {', '.join(sorted(policies))}")
        return json(policies[name].model_dump())

    @bp.put("/sla-policies/<name:str>")
    async def put_sla_policy(request: Request, name: str) -> HTTPResponse:
        """Creates or replaces an SLA policy (admins): budgets in seconds, target and warning ratios."""
        caller = await _caller(request, "admin")
        rt = runtime(request.app)
        name = _name(name, "SLA policy name")
        body = _object(json_body(request), tuple(SlaPolicy.model_fields))
        body.pop("name", None)
        try:
            policy = SlaPolicy.from_dict(name, body)
        except InvalidSlaPolicy as error:
            raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidSlaPolicy", error.message, hint=error.hint) from None
        created = await _edit(rt, caller, "sla_policy", name, "saved",
                              lambda conn: config_edits.put_sla_policy(conn, policy))
        return json(policy.model_dump(), status=201 if created else 200)

    @bp.delete("/sla-policies/<name:str>")
    async def delete_sla_policy(request: Request, name: str) -> HTTPResponse:
        """Removes an SLA policy no team uses (admins)."""
        caller = await _caller(request, "admin")
        await _edit(runtime(request.app), caller, "sla_policy", name, "deleted",
                    lambda conn: config_edits.delete_sla_policy(conn, name))
        return HTTPResponse(status=204)

    @bp.post("/canned-replies")
    async def add_reply(request: Request) -> HTTPResponse:
        """A new canned reply (supervisors): shortcut, text with {slot} placeholders, language, team."""
        caller = await _caller(request, "supervisor")
        reply = _validated(lambda: CannedReplyConfig(**_short_text(_object(json_body(request), _REPLY_FIELDS))))
        added = await _edit(runtime(request.app), caller, "canned_reply", reply.shortcut, "created",
                            lambda conn: config_edits.add_canned_reply(conn, reply.shortcut, reply.text,
                                                                       reply.language, reply.team))
        return json(_reply(added), status=201)

    @bp.put("/canned-replies/<reference:str>")
    async def put_reply(request: Request, reference: str) -> HTTPResponse:
        """Changes a canned reply found by id or shortcut (supervisors); the fields given are replaced."""
        caller = await _caller(request, "supervisor")
        body = _short_text(_object(json_body(request), _REPLY_FIELDS))
        if not body:
            raise bad_request(f"Give at least one of: {', '.join(_REPLY_FIELDS)}.", "body")
        # Checked as a whole reply; only the fields given are changed.
        probe = {"shortcut": "x", "text": "x", **{key: value for key, value in body.items()}}
        checked = _validated(lambda: CannedReplyConfig(**probe))
        changes = {key: getattr(checked, key) for key in body}
        language, team = request.args.get("language"), request.args.get("team")
        updated = await _edit(runtime(request.app), caller, "canned_reply", reference, "saved",
                              lambda conn: config_edits.update_canned_reply(conn, reference, changes, language, team))
        return json(_reply(updated))

    @bp.delete("/canned-replies/<reference:str>")
    async def delete_reply(request: Request, reference: str) -> HTTPResponse:
        """Removes a canned reply found by id or shortcut (supervisors)."""
        caller = await _caller(request, "supervisor")
        language, team = request.args.get("language"), request.args.get("team")
        await _edit(runtime(request.app), caller, "canned_reply", reference, "deleted",
                    lambda conn: config_edits.delete_canned_reply(conn, reference, language, team))
        return HTTPResponse(status=204)

    return bp


async def _membership(request: Request, team: str, username: str, *, member: bool) -> HTTPResponse:
    """The agent as stored after joining or leaving the team (200 either way: the request is idempotent)."""
    caller = await _caller(request, "supervisor")
    rt = runtime(request.app)
    username = urllib.parse.unquote(username).strip().lower()
    await _edit(rt, caller, "team", team, "member added" if member else "member removed",
                lambda conn: config_edits.set_member(conn, team, username, member))
    return json((await rt.directory.get_agent(username)).as_dict())


async def _caller(request: Request, role: str) -> Caller:
    caller = await authenticate(request, runtime(request.app).directory)
    require_role(caller, role)
    return caller


async def _edit(rt: HandoverRuntime, caller: Caller, what: str, name: str, action: str,
                work: Callable[[Connection], T]) -> T:
    """Runs the edit and its `config` feed item in one transaction; every process then reloads."""
    result: list[T] = []

    def run(conn: Connection, now: float) -> list[dict[str, Any]]:
        result.append(work(conn))
        return [store.insert_feed(conn, CONFIG_FEED_KIND, now, {"what": what, "name": name, "action": action,
                                                                "by": caller.agent.username})]

    try:
        await rt.service.record(run)
    except config_edits.ConfigNotFound as error:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", error.message, hint=error.hint) from None
    except config_edits.ConfigConflict as error:
        raise ApiError(HTTPStatus.CONFLICT, "Conflict", error.message, hint=error.hint) from None
    except config_edits.ConfigEditError as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", error.message, hint=error.hint) from None
    except IntegrityError:  # two requests created the same name at once
        raise ApiError(HTTPStatus.CONFLICT, "Conflict", f"'{name}' was changed at the same time; try again.") \
            from None
    if rt.live_config is not None:
        await rt.live_config.reload()  # this process at once; the others on the feed item
    return result[0]


def _open_some_time(hours: Mapping[str, Any] | None, now: float) -> None:
    """Hours that read well and open again some day: a team never open would strand its queue."""
    try:
        parsed = BusinessHours.from_dict(hours)
    except InvalidBusinessHours as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBusinessHours", error.message, hint=error.hint) from None
    if parsed.next_opening(dt.datetime.fromtimestamp(now, dt.UTC)) is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBusinessHours",
                       "business hours: these hours never open again, so nobody would answer the team's queue.",
                       hint="add weekly hours or a special day, or send {} for always open")


def _object(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "body")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}.", unknown[0])
    return dict(body)


def _short_text(body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text")
    if isinstance(text, str) and (not text.strip() or len(text) > MAX_TEXT):
        raise bad_request(f"text: write 1 to {MAX_TEXT} characters.", "text")
    return body


def _name(name: str, what: str) -> str:
    try:
        return parse_names([name], what)[0]
    except ValueError as error:
        raise bad_request(str(error), "name", "path") from None


def _validated(build: Callable[[], T]) -> T:
    """A pydantic model of the body, or a 400 naming the first bad field and what is wrong."""
    try:
        return build()
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "body"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        raise bad_request(f"{field}: {message} (got {problem.get('input')!r}).", field) from None
    except TypeError as error:  # e.g. a list where keyword fields were expected
        raise bad_request(f"The body does not fit: {error}.", "body") from None


def _members(value: Any) -> list[tuple[str, int | None]]:
    """members: ["anna", {"username": "ben", "capacity": 4}]"""
    if not isinstance(value, list):
        raise bad_request("'members' must be a list of usernames or {\"username\", \"capacity\"} objects.",
                          "members")
    members: list[tuple[str, int | None]] = []
    for index, item in enumerate(value):
        entry = {"username": item} if isinstance(item, str) else item
        if not isinstance(entry, Mapping) or not isinstance(entry.get("username"), str) \
                or set(entry) - {"username", "capacity"}:
            raise bad_request(f"members[{index}]: write a username or {{\"username\", \"capacity\"}}.", "members")
        capacity = entry.get("capacity")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                     or not 0 <= capacity <= MAX_CAPACITY):
            raise bad_request(f"members[{index}].capacity: {capacity!r} is not a whole number from 0 to "
                              f"{MAX_CAPACITY}.", "members")
        members.append((entry["username"].strip().lower(), capacity))
    return members


def _team(team: Any) -> dict[str, Any]:
    return {"name": team.name, "display_name": team.display_name, "languages": list(team.languages),
            "skills": list(team.skills), "business_hours": team.business_hours, "sla_policy": team.sla_policy,
            "source": team.source}


def _reply(reply: Any) -> dict[str, Any]:
    return {"id": reply.id, "shortcut": reply.shortcut, "text": reply.text, "language": reply.language,
            "team": reply.team, "source": reply.source}
