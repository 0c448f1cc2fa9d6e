"""Business hours per team: weekly hours, holidays and special days in the team's IANA time zone.

    hours = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {"mon-fri": ["08:00-18:00"]},
                                     "holidays": ["2026-12-25"], "special_days": {"2026-12-24": ["08:00-12:00"]}})
    hours.is_open(now)                      # now: an aware datetime, passed in (no clock inside)
    hours.next_opening(now)                 # when the team is back
    hours.add_open_seconds(queued, 300)     # an SLA deadline counted in business time

Opening times are wall-clock times of the team's zone: "08:00-18:00" on the Sunday clocks change is
still 08:00 to 18:00 local (ten hours), and a period that spans the change ("01:00-04:00") is as long
as the clocks say it is (two hours in March, four in October). All arithmetic runs on UTC timestamps:
Python subtracts two datetimes of the same zone by wall clock, which is wrong across a change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.shared.errors import BotError
from handover._hours_config import (
    FULL_DAY,
    WEEKDAYS,
    InvalidBusinessHours,
    OpeningPeriod,
    parse_business_hours,
    zone_named,
)

__all__ = ["BusinessHours", "InvalidBusinessHours", "NeverOpen", "OpeningPeriod", "WEEKDAYS"]

# How far ahead the searches look before concluding the team never opens (ten years of days).
_MAX_DAYS = 3660
_DAY = dt.timedelta(days=1)


class NeverOpen(BotError):
    """A deadline in business time that can never be reached: the hours have no open time ahead."""


@dataclass(frozen=True)
class BusinessHours:
    """When a team answers. Times are wall-clock times in `timezone`; a close time of 00:00 is midnight."""

    timezone: str = "UTC"
    weekly: Mapping[int, list[OpeningPeriod]] = field(default_factory=lambda: {d: [FULL_DAY] for d in range(7)})
    holidays: frozenset[dt.date] = frozenset()
    special_days: Mapping[dt.date, list[OpeningPeriod]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", zone_named(self.timezone, "timezone"))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    # -- building ----------------------------------------------------------------------------------

    @classmethod
    def always(cls) -> BusinessHours:
        """Open around the clock: what a team gets when no hours are configured."""
        return cls()

    @classmethod
    def from_dict(cls, data: Mapping | None, *, where: str | None = None) -> BusinessHours:
        """Reads the plain dict a YAML file gives; `None` or `{}` is always open.

        Raises `InvalidBusinessHours` naming the field and the value (and `where`, e.g. "handover.yml").
        """
        if not data:
            return cls.always()
        return cls(**parse_business_hours(data, where))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone  # type: ignore[attr-defined,no-any-return]

    @property
    def always_open(self) -> bool:
        """True when every day is open all day and nothing overrides a day."""
        return (not self.holidays and not self.special_days
                and all(self.weekly.get(day) == [FULL_DAY] for day in range(7)))

    # -- questions -----------------------------------------------------------------------------------

    def periods_on(self, day: dt.date) -> list[OpeningPeriod]:
        """The opening periods of one local date: a special day's own, none on a holiday, else the weekday's."""
        if day in self.special_days:
            return list(self.special_days[day])
        if day in self.holidays:
            return []
        return list(self.weekly.get(day.weekday(), []))

    def is_open(self, now: dt.datetime) -> bool:
        """Whether the team answers at `now` (an aware datetime)."""
        t = _timestamp(now, "now")
        day = dt.datetime.fromtimestamp(t, self.zone).date()
        return any(start <= t < end for start, end in self._day_spans(day))

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """When someone can next answer: `now` itself while open, else the start of the next open period.

        None when the hours have no open time ahead (no weekly hours and no special day to come).
        """
        t = _timestamp(now, "now")
        for start, end in self._periods(t):
            if end > t:
                return self._local(max(start, t))
        return None

    def next_closing(self, now: dt.datetime) -> dt.datetime | None:
        """When the open period around `now` ends (or the next one, while closed); None if it never ends."""
        t = _timestamp(now, "now")
        for _, end in self._periods(t):
            if end > t:
                return None if end == float("inf") else self._local(end)
        return None

    def open_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds of open time between `start` and `end` (0 when `end` is not after `start`)."""
        a, b = _timestamp(start, "start"), _timestamp(end, "end")
        if b <= a:
            return 0.0
        if self.always_open:
            return b - a
        total = 0.0
        for p_start, p_end in self._periods(a, until=b):
            if p_start >= b:
                break
            total += max(0.0, min(p_end, b) - max(p_start, a))
        return total

    def add_open_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant by which `seconds` of open time have passed since `start`: a deadline in business time.

        Raises `NeverOpen` when the hours have no open time ahead.
        """
        a = _timestamp(start, "start")
        if seconds < 0:
            raise ValueError(f"add_open_seconds needs a duration of zero or more seconds, not {seconds}.")
        if seconds == 0:
            return self._local(a)
        if self.always_open:
            return self._local(a + seconds)
        left = float(seconds)
        for p_start, p_end in self._periods(a):
            if p_end <= a:
                continue
            begin = max(p_start, a)
            if p_end - begin >= left:
                return self._local(begin + left)
            left -= p_end - begin
        raise NeverOpen(f"The business hours in {self.timezone} have no open time after {start.isoformat()}.",
                        hint="Add weekly hours or a special day, or leave the hours out to be always open.")

    # -- the periods as UTC timestamps ---------------------------------------------------------------

    def _local(self, timestamp: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(timestamp, self.zone)

    def _day_spans(self, day: dt.date) -> list[tuple[float, float]]:
        """One local date's periods as UTC timestamps; a close of 00:00 is the next midnight."""
        spans = []
        for opens, closes in self.periods_on(day):
            start = dt.datetime.combine(day, opens, tzinfo=self.zone)
            end_day = day + _DAY if closes == dt.time(0) else day
            end = dt.datetime.combine(end_day, closes, tzinfo=self.zone)
            spans.append((start.timestamp(), end.timestamp()))
        return sorted(spans)

    def _periods(self, after: float, until: float | None = None) -> Iterator[tuple[float, float]]:
        """Merged open periods (adjacent ones, e.g. across midnight, joined) from the day before `after`.

        Scans day by day, lazily; stops after `until` (plus a day) or when nothing can open any more.
        Without `until`, a period that runs into a future of full weekly days ends at infinity.
        """
        first = dt.datetime.fromtimestamp(after, self.zone).date() - _DAY
        last_day = dt.datetime.fromtimestamp(until, self.zone).date() + _DAY if until is not None else None
        last_override = max([*self.special_days, *self.holidays], default=first)
        weekly_open = any(self.weekly.get(day) for day in range(7))
        weekly_full = all(self.weekly.get(day) == [FULL_DAY] for day in range(7))
        pending: tuple[float, float] | None = None
        for offset in range(_MAX_DAYS):
            day = first + offset * _DAY
            if (last_day is not None and day > last_day) or (not weekly_open and day > last_override):
                break
            if weekly_full and pending is not None and day > last_override + _DAY and until is None:
                # Only full weekly days from here on: the period open now never closes.
                yield (pending[0], float("inf"))
                return
            for start, end in self._day_spans(day):
                if pending is not None and start <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
        if pending is not None:
            yield pending

def _timestamp(moment: dt.datetime, name: str) -> float:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"Business hours need '{name}' as a datetime with a time zone, not {moment!r}.")
    return moment.timestamp()
