"""Reads business hours from the plain dict a YAML file gives, with errors naming the field and value.

    {"timezone": "Europe/Berlin",
     "weekly": {"mon-fri": ["08:00-18:00"], "sat": ["10:00-14:00"]},   # days left out are closed
     "holidays": ["2026-12-25", "2026-12-26"],
     "special_days": {"2026-12-24": ["08:00-12:00"], "2026-12-31": []}}  # [] or "closed": closed
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.shared.errors import BotError

OpeningPeriod = tuple[dt.time, dt.time]
# 00:00 as a close time means the midnight that ends the day; "00:00-24:00" is the whole day.
FULL_DAY: OpeningPeriod = (dt.time(0), dt.time(0))

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {name: index for index, name in enumerate(WEEKDAYS)} | {
    name: index for index, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_KEYS = ("timezone", "weekly", "holidays", "special_days")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_EXAMPLE = '"08:00-18:00"'


class InvalidBusinessHours(BotError):
    """Business hours that cannot be read as written (a bad time zone, day, time range or date)."""


def _fail(where: str | None, field: str, message: str, hint: str) -> InvalidBusinessHours:
    return InvalidBusinessHours(f"business hours: {field}: {message}", location=where, hint=hint)


def zone_named(name: Any, field: str, where: str | None = None) -> ZoneInfo:
    """The IANA zone called `name`, or an error with the closest known names."""
    if not isinstance(name, str) or not name.strip():
        raise _fail(where, field, f"{name!r} is not a time zone name.", "Use an IANA name such as 'Europe/Berlin'.")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3)
        hint = f"Did you mean {', '.join(repr(c) for c in close)}?" if close else "Use an IANA name such as 'Europe/Berlin'."
        raise _fail(where, field, f"{name!r} is not a known IANA time zone.", hint) from None


def parse_business_hours(data: Mapping, where: str | None = None) -> dict[str, Any]:
    """The keyword arguments of `BusinessHours` from a YAML-shaped dict."""
    if not isinstance(data, Mapping):
        raise _fail(where, "(top)", f"expected a mapping with {', '.join(_KEYS)}, not {data!r}.",
                    "Write the hours as a mapping, e.g. {timezone: Europe/Berlin, weekly: {...}}.")
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            raise _fail(where, str(key), "is not a business-hours setting.",
                        (f"Did you mean '{close[0]}'? " if close else "") + f"Known: {', '.join(_KEYS)}.")
    if "timezone" not in data:
        raise _fail(where, "timezone", "is missing.", "Name the team's IANA time zone, e.g. timezone: Europe/Berlin.")
    zone_named(data["timezone"], "timezone", where)
    result: dict[str, Any] = {"timezone": str(data["timezone"]).strip()}
    if "weekly" in data:
        result["weekly"] = _weekly(data["weekly"], where)
    result["holidays"] = frozenset(_date(value, f"holidays[{index}]", where)
                                   for index, value in enumerate(_list(data.get("holidays"), "holidays", where)))
    special = data.get("special_days") or {}
    if not isinstance(special, Mapping):
        raise _fail(where, "special_days", f"expected a mapping of date to time ranges, not {special!r}.",
                    'Write e.g. special_days: {"2026-12-24": ["08:00-12:00"]}.')
    result["special_days"] = {
        _date(day, f"special_days.{day}", where): _periods(periods, f"special_days.{day}", where)
        for day, periods in special.items()
    }
    return result


def _weekly(weekly: Any, where: str | None) -> dict[int, list[OpeningPeriod]]:
    if not isinstance(weekly, Mapping):
        raise _fail(where, "weekly", f"expected a mapping of weekday to time ranges, not {weekly!r}.",
                    'Write e.g. weekly: {mon-fri: ["08:00-18:00"]}.')
    result: dict[int, list[OpeningPeriod]] = {}
    given_by: dict[int, str] = {}
    for key, periods in weekly.items():
        parsed = _periods(periods, f"weekly.{key}", where)
        for day in _days(key, where):
            if day in result:
                raise _fail(where, f"weekly.{key}", f"{WEEKDAYS[day]} is already given by '{given_by[day]}'.",
                            "Name each weekday once.")
            result[day], given_by[day] = parsed, str(key)
    return result


def _days(key: Any, where: str | None) -> list[int]:
    """Weekday indexes (0 = Monday) of "mon", "monday", 0..6 or a range like "mon-fri"."""
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return [key]
    text = str(key).strip().lower()
    first, _, last = text.partition("-")
    if first in _DAY_NAMES and (not last or last in _DAY_NAMES):
        a, b = _DAY_NAMES[first], _DAY_NAMES[last or first]
        if a <= b:
            return list(range(a, b + 1))
    raise _fail(where, f"weekly.{key}", f"{key!r} is not a weekday or a range of weekdays.",
                f"Use {', '.join(WEEKDAYS)} or a range such as mon-fri.")


def _list(value: Any, field: str, where: str | None) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise _fail(where, field, f"expected a list, not {value!r}.", f"Write {field} as a list.")


def _periods(value: Any, field: str, where: str | None) -> list[OpeningPeriod]:
    """Time ranges of one day; [] / None / "closed" is closed all day, a single string one range."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "closed"):
        return []
    items = [value] if isinstance(value, str) else _list(value, field, where)
    periods = sorted(_range(item, f"{field}[{index}]", where) for index, item in enumerate(items))
    for earlier, later in zip(periods, periods[1:], strict=False):
        # A close of 00:00 is the midnight that ends the day, so such a period overlaps all that follow.
        if earlier[1] == dt.time(0) or earlier[1] > later[0]:
            raise _fail(where, field, f"{_text(earlier)} and {_text(later)} overlap.",
                        "Give each time of the day once, e.g. [\"08:00-12:00\", \"13:00-18:00\"].")
    return [FULL_DAY] if periods == [FULL_DAY] else periods


def _text(period: OpeningPeriod) -> str:
    opens, closes = period
    return f"'{opens:%H:%M}-{'24:00' if closes == dt.time(0) else f'{closes:%H:%M}'}'"


def _range(text: Any, field: str, where: str | None) -> OpeningPeriod:
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise _fail(where, field, f"{text!r} is not a time range.", f"Write it as {_EXAMPLE} (24-hour clock).")
    oh, om, ch, cm = (int(group) for group in match.groups())
    if oh > 23 or om > 59 or cm > 59 or ch > 24 or (ch == 24 and cm):
        raise _fail(where, field, f"{text!r} has an impossible time.", "Hours run 00-23 (24:00 closes at midnight).")
    opens, closes = dt.time(oh, om), dt.time(0 if ch == 24 else ch, cm)
    if closes != dt.time(0) and closes <= opens:
        raise _fail(where, field, f"{text!r} closes before it opens.",
                    "For a period past midnight write two: '22:00-24:00' on one day and '00:00-06:00' on the next.")
    return (opens, closes)


def _date(value: Any, field: str, where: str | None) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # YAML reads an unquoted 2026-12-25 as a date already
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _fail(where, field, f"{value!r} is not a date.", "Write dates as YYYY-MM-DD, e.g. 2026-12-25.") from None
