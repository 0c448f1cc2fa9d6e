"""SLA policies and clocks: first response, next response and resolution, paused outside business hours.

    policy = SLA_DEFAULTS["live_chat"]                      # 80 % of first responses within 20 s
    clock = policy.clock("first_response", started_at=queued_at, hours=team_hours)
    clock.state(now)         # "ok" | "amber" | "red" | "breached"
    clock.seconds_left(now)  # negative once breached
    clock.next_change(now)   # ("amber", when): when to push the next warning to agents

No clock inside: `now` and the start are passed in (aware datetimes, or POSIX timestamps read as UTC).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.shared.errors import BotError
from handover.hours import BusinessHours

__all__ = ["SLA_DEFAULTS", "SlaClock", "SlaKind", "SlaPolicy", "SlaState", "InvalidSlaPolicy", "attainment"]

SlaKind = Literal["first_response", "next_response", "resolution"]
SlaState = Literal["ok", "amber", "red", "breached"]
Moment = dt.datetime | float


class InvalidSlaPolicy(BotError):
    """An SLA policy with a missing or impossible setting."""


class SlaPolicy(BaseModel):
    """Response-time targets: `target_ratio` of conversations answered within each budget (seconds).

    A budget left out (None) sets no target for that clock. With `pause_outside_hours` the clocks count
    only the team's business time, so a conversation queued at night does not breach before opening.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    first_response_seconds: float | None = Field(default=None, gt=0)
    next_response_seconds: float | None = Field(default=None, gt=0)
    resolution_seconds: float | None = Field(default=None, gt=0)
    target_ratio: float = Field(gt=0, le=1)
    pause_outside_hours: bool = True
    warn_ratio: float = Field(default=0.75, gt=0, lt=1)
    red_ratio: float = Field(default=0.9, gt=0, lt=1)

    @model_validator(mode="after")
    def _warn_before_red(self) -> SlaPolicy:
        if self.warn_ratio >= self.red_ratio:
            raise ValueError(f"warn_ratio ({self.warn_ratio}) must be below red_ratio ({self.red_ratio})")
        return self

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], *, where: str | None = None) -> SlaPolicy:
        """Reads one policy from YAML (`sla_policies: {name: {...}}`), naming the bad field and value."""
        if not isinstance(data, Mapping):
            raise InvalidSlaPolicy(f"SLA policy '{name}': expected a mapping of settings, not {data!r}.",
                                   location=where)
        try:
            return cls(name=name, **data)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "(policy)"
            value = first.get("input")
            raise InvalidSlaPolicy(
                f"SLA policy '{name}': {field}: {first['msg']} (got {value!r}).", location=where,
                hint="Budgets are seconds above 0; ratios lie between 0 and 1 (e.g. target_ratio: 0.8).",
            ) from None

    def budget(self, kind: SlaKind) -> float | None:
        """The seconds allowed for one kind of clock; None when the policy sets no target for it."""
        return {"first_response": self.first_response_seconds, "next_response": self.next_response_seconds,
                "resolution": self.resolution_seconds}[kind]

    def clock(self, kind: SlaKind, started_at: Moment, hours: BusinessHours | None = None,
              stopped_at: Moment | None = None) -> SlaClock | None:
        """A running (or, with `stopped_at`, finished) clock of this policy; None without a target."""
        budget = self.budget(kind)
        if budget is None:
            return None
        pause_with = hours if (self.pause_outside_hours and hours is not None) else BusinessHours.always()
        return SlaClock(self, kind, budget, _as_datetime(started_at), pause_with,
                        None if stopped_at is None else _as_datetime(stopped_at))


SLA_DEFAULTS: dict[str, SlaPolicy] = {
    # A chat window is open: most customers expect an answer within seconds.
    "live_chat": SlaPolicy(name="live_chat", first_response_seconds=20, next_response_seconds=60,
                           target_ratio=0.8),
    # Messaging apps are asynchronous: five minutes is a good answer.
    "messaging": SlaPolicy(name="messaging", first_response_seconds=300, next_response_seconds=300,
                           target_ratio=0.9),
}


@dataclass(frozen=True)
class SlaClock:
    """One SLA budget running from `started_at`, counting business time only when the policy pauses."""

    policy: SlaPolicy
    kind: SlaKind
    budget_seconds: float
    started_at: dt.datetime
    hours: BusinessHours
    stopped_at: dt.datetime | None = None

    @property
    def deadline(self) -> dt.datetime:
        """When the budget runs out (later than start + budget when closed hours pause the clock)."""
        return self._after(self.budget_seconds)

    def elapsed_seconds(self, now: Moment) -> float:
        """The budget used up at `now` (the clock stops at `stopped_at`)."""
        end = _as_datetime(now)
        if self.stopped_at is not None and self.stopped_at < end:
            end = self.stopped_at
        return self.hours.open_seconds_between(self.started_at, end)

    def seconds_left(self, now: Moment) -> float:
        """Budget left at `now`; negative once breached (how far past the deadline, in counted time)."""
        return self.budget_seconds - self.elapsed_seconds(now)

    def state(self, now: Moment) -> SlaState:
        """"ok", "amber" past `warn_ratio` of the budget, "red" past `red_ratio`, "breached" past the deadline."""
        used = self.elapsed_seconds(now) / self.budget_seconds
        if used > 1:
            return "breached"
        if used >= self.policy.red_ratio:
            return "red"
        if used >= self.policy.warn_ratio:
            return "amber"
        return "ok"

    def met(self) -> bool | None:
        """Whether a stopped clock stayed within its budget; None while it still runs."""
        if self.stopped_at is None:
            return None
        return self.elapsed_seconds(self.stopped_at) <= self.budget_seconds

    def next_change(self, now: Moment) -> tuple[SlaState, dt.datetime] | None:
        """The next state this clock reaches and when, to schedule the warning; None when stopped or breached."""
        if self.stopped_at is not None:
            return None
        used = self.elapsed_seconds(now)
        for state, ratio in (("amber", self.policy.warn_ratio), ("red", self.policy.red_ratio)):
            if used < ratio * self.budget_seconds:
                return state, self._after(ratio * self.budget_seconds)  # type: ignore[return-value]
        if used <= self.budget_seconds:
            # "breached" means past the deadline; a millisecond after it, so a timer firing then sees it.
            return "breached", self.deadline + dt.timedelta(milliseconds=1)
        return None

    def _after(self, seconds: float) -> dt.datetime:
        return self.hours.add_open_seconds(self.started_at, seconds)


def attainment(met: Iterable[bool]) -> float | None:
    """The share of clocks that met their budget (compare with `target_ratio`); None for none."""
    results = list(met)
    return sum(results) / len(results) if results else None


def _as_datetime(moment: Moment) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError(f"SLA clocks need datetimes with a time zone, not {moment!r}.")
        return moment
    if isinstance(moment, (int, float)) and not isinstance(moment, bool) and math.isfinite(moment):
        return dt.datetime.fromtimestamp(moment, dt.UTC)
    raise ValueError(f"SLA clocks need a datetime or a POSIX timestamp, not {moment!r}.")
