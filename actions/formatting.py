"""Dates, times and weekday names the way German and English customers read them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

DAY_NAMES = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
DAY_SHORT = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_time(moment: time, language: str) -> str:
    """8:00 (German, 24 h) or 8:00 am (English, 12 h)."""
    if language == "en":
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"
    return f"{moment.hour}:{moment.minute:02d}"


def format_date(day: date, language: str) -> str:
    """ "Mi, 04.06." / "Wed 4 Jun" (month names spelled out here, not by the process locale)."""
    short = DAY_SHORT[language][day.weekday()]
    if language == "en":
        return f"{short} {day.day} {_MONTHS_EN[day.month - 1]}"
    return f"{short}, {day:%d.%m.}"


def parse_timestamp(value: Any, tz: Any) -> datetime | None:
    """An ISO timestamp from the service in the customer's timezone; None when missing or malformed."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
