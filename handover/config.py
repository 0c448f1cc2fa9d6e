"""handover.yml: teams, business hours, SLA policies, routing, triggers and canned replies.

The file sits in the project folder beside endpoints.yml and is optional: without it there are
no teams (every conversation queues for any agent), the two built-in SLA policies `live_chat`
and `messaging`, and the routing defaults. `bot run` and the `bot agents`/`bot teams` commands
read it and write its teams, SLA policies and canned replies into the database (config as code,
`handover.config_store.sync_config`); what the console adds lives in the same tables.

Every mistake is reported with file:line and what to change.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import string
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.shared.errors import BotError, location
from bot.shared.yaml_io import line_of, read_yaml, read_yaml_file, to_plain
from handover.hours import BusinessHours, InvalidBusinessHours
from handover.sla import SLA_DEFAULTS, SlaPolicy
from handover.triggers import TriggerConfig

__all__ = [
    "DEFAULT_CONFIG_FILE", "CannedReplyConfig", "HandoverConfig", "InvalidHandoverConfig", "RoutingConfig",
    "TeamConfig", "load_handover_config", "load_handover_config_text",
    "parse_languages", "parse_names",
]

DEFAULT_CONFIG_FILE = "handover.yml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class InvalidHandoverConfig(BotError):
    """handover.yml is malformed or inconsistent."""


class _Model(BaseModel):
    # A misspelt key must not be dropped silently (a team's hours would quietly be "always closed").
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_names(value: Any, what: str = "names") -> list[str]:
    """Team, skill or shortcut names from a list or "a,b" text, stripped, in order, without repeats."""
    return _names(value, what, _NAME)


def parse_languages(value: Any) -> list[str]:
    """Language codes (de, en, pt-br) from a list or "de,en" text, lower-cased, without repeats."""
    return _names(value, "languages", _LANGUAGE, lower=True)


def _names(value: Any, what: str, pattern: re.Pattern[str], lower: bool = False) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, e.g. [a, b]")
    names: list[str] = []
    for item in value:
        name = str(item).strip()
        name = name.lower() if lower else name
        if not pattern.match(name):
            if pattern is _LANGUAGE:
                raise ValueError(f"'{item}' is not a language code; write ISO 639 codes such as de, en or pt-br")
            raise ValueError(f"'{item}' is not a valid name in {what} (letters, digits, '-', '_', '.'; no spaces)")
        if name not in names:
            names.append(name)
    return names


class TeamConfig(_Model):
    """One team: who handles which conversations, and when."""

    display_name: str | None = None
    languages: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    # handover/hours.py's format, checked by it and kept as written (dates as YYYY-MM-DD); None: always open
    business_hours: dict[str, Any] | None = None
    sla_policy: str | None = None

    @field_validator("business_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        try:
            hours = BusinessHours.from_dict(value)
        except InvalidBusinessHours as error:
            raise _hours_error(error, value) from None
        # Hours that never open would strand the team's queue: every escalation to it would fail.
        _check_opens(hours, value, (info.context or {}).get("now"))
        return _iso_dates(value)

    @property
    def hours(self) -> BusinessHours:
        """The team's hours as handover/hours.py computes with them (always open without any)."""
        return BusinessHours.from_dict(self.business_hours)

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> list[str]:
        return parse_languages(value)

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: Any) -> list[str]:
        return parse_names(value, "skills")


class RoutingConfig(_Model):
    """How conversations are offered to agents."""

    offer_timeout_seconds: float = Field(default=30, gt=0)
    default_capacity: int = Field(default=3, ge=1, le=100)
    offline_grace_seconds: float = Field(default=120, ge=0)
    decline_cooldown_seconds: float = Field(default=300, ge=0)
    default_team: str | None = None


class CannedReplyConfig(_Model):
    """A prepared answer an agent inserts by its shortcut; `{slot}` is replaced by the slot's value."""

    shortcut: str
    text: str
    language: str | None = None
    team: str | None = None

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str) -> str:
        value = value.strip().lstrip("/")
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a valid shortcut (letters, digits, '-', '_', '.'; no spaces)")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return None if value is None else parse_languages([value])[0]

    @field_validator("text")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as error:
            raise ValueError(f"{error}; write a slot as {{slot_name}} and a literal brace as {{{{ or }}}}") from None
        for name in fields:
            if not name.isidentifier():
                raise ValueError(f"'{{{name}}}' is not a slot placeholder; write the slot's name, e.g. {{order_id}}")
        return value

    @property
    def placeholders(self) -> list[str]:
        """The slot names the text uses."""
        return [name for _, name, _, _ in string.Formatter().parse(self.text) if name]


class HandoverConfig(_Model):
    """The whole handover.yml. `source` names the file in errors; None when built in code."""

    version: str | None = None  # "3.1", as in Rasa's files; an unquoted 3.1 is read as text too

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    teams: dict[str, TeamConfig] = Field(default_factory=dict)
    sla_policies: dict[str, SlaPolicy] = Field(default_factory=dict)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    triggers: TriggerConfig = Field(default_factory=TriggerConfig)  # handover/triggers.py's settings
    canned_replies: list[CannedReplyConfig] = Field(default_factory=list)
    source: str | None = None

    @field_validator("teams", "sla_policies", "triggers", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        if value is None:  # "teams:" with nothing below it
            return {}
        if isinstance(value, dict):
            for name in value:
                if not _NAME.match(str(name)):
                    raise ValueError(f"'{name}' is not a valid name (letters, digits, '-', '_', '.'; no spaces)")
        return value

    @field_validator("sla_policies", mode="before")
    @classmethod
    def _policy_names(cls, value: Any) -> Any:
        # The policy's name is its key in the file; SlaPolicy carries it as a field.
        if isinstance(value, dict):
            return {name: {**policy, "name": str(name)} if isinstance(policy, dict) else policy
                    for name, policy in value.items()}
        return value

    @model_validator(mode="after")
    def _references(self) -> HandoverConfig:
        policies = self.all_sla_policies
        for name, team in self.teams.items():
            if team.sla_policy is not None and team.sla_policy not in policies:
                raise _unknown(("teams", name, "sla_policy"), "SLA policy", team.sla_policy, policies)
        if self.routing.default_team is not None and self.routing.default_team not in self.teams:
            raise _unknown(("routing", "default_team"), "team", self.routing.default_team, self.teams)
        seen: set[tuple[str, str | None, str | None]] = set()
        for index, reply in enumerate(self.canned_replies):
            if reply.team is not None and reply.team not in self.teams:
                raise _unknown(("canned_replies", index, "team"), "team", reply.team, self.teams)
            key = (reply.shortcut, reply.language, reply.team)
            if key in seen:
                raise _PathError(("canned_replies", index, "shortcut"),
                                 f"shortcut '{reply.shortcut}' is given twice for language "
                                 f"{reply.language or '(any)'} and team {reply.team or '(any)'}",
                                 hint="give one of them another shortcut, language or team")
            seen.add(key)
        return self

    @property
    def all_sla_policies(self) -> dict[str, SlaPolicy]:
        """The built-in policies (handover/sla.py's SLA_DEFAULTS), overridden or extended by the file's."""
        return {**SLA_DEFAULTS, **self.sla_policies}


class _PathError(ValueError):
    """A problem a model validator found, with the path of keys (below the model) where it sits."""

    def __init__(self, path: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint


def _hours_error(error: InvalidBusinessHours, hours: Any) -> _PathError:
    """hours.py's "business hours: weekly.mon[0]: ..." as a path of keys below the team's business_hours."""
    field, _, message = error.message.removeprefix("business hours: ").partition(": ")
    path: list[Any] = []
    node, rest = hours, "" if field == "(top)" else field
    while rest:
        index = re.match(r"^\[(\d+)\]\.?", rest)
        if index:
            path.append(int(index.group(1)))
            node = node[int(index.group(1))] if isinstance(node, list) and int(index.group(1)) < len(node) else None
            rest = rest[index.end():]
            continue
        # Keys may hold dots themselves ("24.12.2026"): take the longest key of this mapping that fits.
        keys = sorted((str(key) for key in node), key=len, reverse=True) if isinstance(node, dict) else []
        key = next((k for k in keys if rest == k or rest.startswith((k + ".", k + "["))), rest.split(".")[0])
        path.append(key)
        node = next((value for name, value in node.items() if str(name) == key), None) if isinstance(node, dict) else None
        rest = rest[len(key):].removeprefix(".")
    return _PathError(tuple(path), message.rstrip("."), hint=error.hint)


def _check_opens(hours: BusinessHours, written: Any, now: dt.datetime | None) -> None:
    """Refuses hours with no open time ahead of `now` (without a clock: with no open time at all)."""
    earliest = min(hours.special_days, default=dt.date(2000, 1, 1))
    start = now or dt.datetime.combine(earliest, dt.time(0), tzinfo=hours.zone)
    if hours.next_opening(start) is not None:
        return
    path: tuple[Any, ...] = ("weekly",) if isinstance(written, dict) and "weekly" in written else ()
    opening_days = sorted(day for day, periods in hours.special_days.items() if periods)
    past = f"; its special days with hours ended on {opening_days[-1].isoformat()}" if opening_days else ""
    raise _PathError(path, f"these hours never open: no weekday has opening times{past}, so every "
                           "escalation to the team would be refused",
                     hint='give a weekday opening times, e.g. weekly: {mon-fri: ["08:00-18:00"]}, add a special '
                          "day to come, or remove business_hours for a team that is always open")


def _iso_dates(value: Any) -> Any:
    """YAML reads 2026-12-25 as a date; stored as JSON it is the text again."""
    if isinstance(value, dict):
        return {_iso_dates(key): _iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_dates(item) for item in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _unknown(path: tuple[Any, ...], what: str, name: str, known: Any) -> _PathError:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    listed = ", ".join(sorted(str(k) for k in known)) or f"no {what} is defined"
    return _PathError(path, f"unknown {what} '{name}'",
                      hint=f"did you mean '{close[0]}'?" if close else f"use one of: {listed}")


def load_handover_config(path: str | Path | None = DEFAULT_CONFIG_FILE, *,
                         now: dt.datetime | None = None) -> HandoverConfig:
    """Reads handover.yml; None or a missing file gives the defaults (no teams, built-in SLA policies).

    A team's hours must open again after `now` (the current time unless given).
    """
    if path is None or not Path(path).exists():
        return HandoverConfig()
    return _build(read_yaml_file(path), str(path), now)


def load_handover_config_text(text: str, source: str = "<string>", *,
                              now: dt.datetime | None = None) -> HandoverConfig:
    """Reads handover YAML from a string; `source` names it in errors."""
    return _build(read_yaml(text, source), source, now)


def _build(content: Any, source: str, now: dt.datetime | None = None) -> HandoverConfig:
    if content is None:
        return HandoverConfig(source=source)
    if not isinstance(content, dict):
        raise InvalidHandoverConfig("handover.yml must be a mapping of sections such as 'teams:'",
                                    location=location(source, line_of(content)),
                                    hint="start with 'teams:' and a team name below it")
    known = [name for name in HandoverConfig.model_fields if name != "source"]
    for key in content:
        if str(key) not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            raise InvalidHandoverConfig(
                f"unknown section '{key}'", location=location(source, line_of(content, key)),
                hint=f"did you mean '{close[0]}'?" if close else f"the sections are: {', '.join(known)}")
    try:
        # The file is read at a boundary (bot run, the CLI): the clock is read here, not inside.
        return HandoverConfig.model_validate({**to_plain(content), "source": source},
                                             context={"now": now or dt.datetime.now(dt.UTC)})
    except ValidationError as error:
        raise _explain(error, content, source) from None


def _explain(error: ValidationError, content: Any, source: str) -> InvalidHandoverConfig:
    """The first problem as file:line, the path of keys, what is wrong and what to do."""
    # A misspelt key also makes the right one "missing": name the misspelling first.
    problem = next((e for e in error.errors() if e["type"] == "extra_forbidden"), error.errors()[0])
    cause = (problem.get("ctx") or {}).get("error")
    path = tuple(part for part in problem["loc"] if not str(part).startswith("function-") and part != "[key]")
    if isinstance(cause, _PathError):
        path, message, hint = path + cause.path, cause.message, cause.hint
    else:
        message, hint = _message(problem, path)
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
    return InvalidHandoverConfig(f"{_dotted(path)}: {message}{suffix}",
                                 location=location(source, _line(content, path)), hint=hint)


def _message(problem: dict[str, Any], path: tuple[Any, ...]) -> tuple[str, str | None]:
    kind, message = problem["type"], problem["msg"].removeprefix("Value error, ")
    field = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        return f"unknown key '{field}'", "remove it, or check the spelling against docs/operator.md"
    if kind == "missing":
        return f"'{field}' is missing", f"add '{field}: ...' here"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"{message} ({problem.get('input')!r})", "write dates as YYYY-MM-DD, e.g. 2026-12-24"
    if kind.startswith(("greater_than", "less_than")):
        return f"{problem.get('input')!r}: {message}", f"change '{field}' to a value in range"
    if kind in ("float_parsing", "int_parsing", "bool_parsing", "string_type", "dict_type", "list_type"):
        return f"{problem.get('input')!r}: {message}", f"give '{field}' a value of the right kind"
    return message, None


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "handover.yml"


def _line(content: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the deepest key of `path` that the YAML recorded."""
    node, line = content, line_of(content)
    for part in path:
        if isinstance(node, dict):
            key = next((k for k in node if str(k) == str(part)), None)
            if key is None:
                break
            line, node = line_of(node, key) or line, node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line, node = line_of(node, part) or line, node[part]
        else:
            break
    return line
