"""Business hours: reading config/opening_hours.yml and answering "open at this moment / on this day?"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_SCHEDULE_FILE = Path(__file__).resolve().parent.parent / "config" / "opening_hours.yml"
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_LOOKAHEAD_DAYS = 14  # the longest closure (Christmas to New Year) is far shorter


class ScheduleError(ValueError):
    """The opening hours file is wrong; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Interval:
    """One opening interval within a day, e.g. 08:00-20:00."""

    opens: time
    closes: time

    def contains(self, moment: time) -> bool:
        return self.opens <= moment < self.closes


@dataclass(frozen=True)
class Holiday:
    """A date the weekly hours do not apply; `hours` empty means closed all day."""

    day: date
    names: dict[str, str]
    hours: tuple[Interval, ...] = ()

    def name(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()), self.day.isoformat())


@dataclass
class Schedule:
    """Weekly hours plus holidays, in one timezone."""

    timezone: ZoneInfo
    weekly: dict[int, tuple[Interval, ...]]  # 0 = Monday, as date.weekday()
    holidays: dict[date, Holiday] = field(default_factory=dict)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The intervals open on `day` (a holiday's hours replace the weekly ones)."""
        holiday = self.holidays.get(day)
        if holiday is not None:
            return holiday.hours
        return self.weekly.get(day.weekday(), ())

    def open_interval(self, moment: datetime) -> Interval | None:
        """The interval `moment` falls into, or None when closed then."""
        local = moment.astimezone(self.timezone)
        return next((i for i in self.hours_on(local.date()) if i.contains(local.time())), None)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next time (after `moment`) the doors open; None if closed for the next two weeks."""
        local = moment.astimezone(self.timezone)
        for offset in range(_LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for interval in self.hours_on(day):
                opening = datetime.combine(day, interval.opens, tzinfo=self.timezone)
                if opening > local:
                    return opening
        return None

    def upcoming_holidays(self, today: date, count: int = 3) -> list[Holiday]:
        """The next `count` holidays from `today` on (today included)."""
        return [self.holidays[d] for d in sorted(self.holidays) if d >= today][:count]


def next_date_of_weekday(today: date, weekday: int) -> date:
    """`today` if it is that weekday, otherwise the next such date."""
    return today + timedelta(days=(weekday - today.weekday()) % 7)


_loaded: dict[Path, tuple[tuple[int, int], Schedule]] = {}


def current_schedule(path: str | Path = DEFAULT_SCHEDULE_FILE) -> Schedule:
    """The schedule in `path`, read again only when the file changed (parsing takes ~0.1 s).

    Editing the file changes the answers at once, without restarting the bot.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return load_schedule(path)  # raises the error naming the file
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached is None or cached[0] != version:
        cached = _loaded[path] = (version, load_schedule(path))
    return cached[1]


def load_schedule(path: str | Path = DEFAULT_SCHEDULE_FILE) -> Schedule:
    """Reads the opening hours file; raises ScheduleError naming the file and what to fix."""
    path = Path(path)
    try:
        content = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"{path}: file not found; create it (see config/opening_hours.yml "
                            "in the example assistant)") from None
    except YAMLError as error:
        raise ScheduleError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(content, dict):
        raise ScheduleError(f"{path}: expected a mapping with 'timezone', 'weekly' and 'holidays'")
    return _parse_schedule(content, str(path))


def _parse_schedule(content: dict[str, Any], source: str) -> Schedule:
    tz_name = content.get("timezone", "Europe/Berlin")
    try:
        timezone = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{source}: unknown timezone '{tz_name}'; use an IANA name "
                            "such as Europe/Berlin") from None
    weekly_raw = content.get("weekly") or {}
    if not isinstance(weekly_raw, dict):
        raise ScheduleError(f"{source}: 'weekly' must map weekday names to lists of 'HH:MM-HH:MM'")
    unknown = sorted(set(map(str, weekly_raw)) - set(WEEKDAYS))
    if unknown:
        raise ScheduleError(f"{source}: unknown weekday(s) {', '.join(unknown)} under 'weekly'; "
                            f"use {', '.join(WEEKDAYS)}")
    weekly = {index: _parse_intervals(weekly_raw.get(name), f"{source}: weekly.{name}")
              for index, name in enumerate(WEEKDAYS)}
    holidays: dict[date, Holiday] = {}
    for position, entry in enumerate(content.get("holidays") or []):
        where = f"{source}: holidays[{position}]"
        if not isinstance(entry, dict) or "date" not in entry:
            raise ScheduleError(f"{where}: each holiday needs 'date' (YYYY-MM-DD) and 'name'")
        day = _parse_date(entry["date"], where)
        names = entry.get("name") or {}
        if isinstance(names, str):
            names = {"de": names}
        holidays[day] = Holiday(day, {str(k): str(v) for k, v in names.items()},
                                _parse_intervals(entry.get("hours"), where))
    return Schedule(timezone, weekly, holidays)


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ScheduleError(f"{where}: date '{value}' is not YYYY-MM-DD") from None


def _parse_intervals(value: Any, where: str) -> tuple[Interval, ...]:
    if value in (None, "closed"):
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ScheduleError(f"{where}: expected a list like [\"08:00-20:00\"] or [] for closed")
    intervals = []
    for item in items:
        match = _INTERVAL.match(str(item))
        if not match:
            raise ScheduleError(f"{where}: '{item}' is not an interval; write it as \"08:00-20:00\"")
        opens_h, opens_m, closes_h, closes_m = map(int, match.groups())
        try:
            interval = Interval(time(opens_h, opens_m), time(closes_h, closes_m))
        except ValueError:
            raise ScheduleError(f"{where}: '{item}' has an impossible time") from None
        if interval.closes <= interval.opens:
            raise ScheduleError(f"{where}: '{item}' closes before it opens")
        intervals.append(interval)
    return tuple(sorted(intervals, key=lambda i: i.opens))
