"""Business hours: reading the YAML shape, open/closed, next opening and closing, and business-time
arithmetic across Europe/Berlin's clock changes (2026-03-29 and 2026-10-25), midnight and holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handover.hours import BusinessHours, InvalidBusinessHours, NeverOpen

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
HOUR = 3600.0

SUPPORT = BusinessHours.from_dict({
    "timezone": "Europe/Berlin",
    "weekly": {"mon-fri": ["08:00-18:00"], "sat": "10:00-14:00"},
    "holidays": ["2026-12-25", dt.date(2026, 12, 26)],
    "special_days": {"2026-12-24": ["08:00-12:00"], "2026-12-31": [], "2026-12-27": ["10:00-12:00"]},
})


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_open_and_closed_on_an_ordinary_week() -> None:
    assert SUPPORT.is_open(berlin(2026, 12, 2, 8, 0))  # Wednesday, opening minute
    assert SUPPORT.is_open(berlin(2026, 12, 2, 17, 59))
    assert not SUPPORT.is_open(berlin(2026, 12, 2, 18, 0))  # closing time itself is closed
    assert not SUPPORT.is_open(berlin(2026, 12, 2, 7, 59))
    assert SUPPORT.is_open(berlin(2026, 12, 5, 11, 0))  # Saturday
    assert not SUPPORT.is_open(berlin(2026, 12, 6, 11, 0))  # Sunday: not listed, closed
    # Any zone in, the same answer: 07:30 UTC is 08:30 in Berlin in winter.
    assert SUPPORT.is_open(dt.datetime(2026, 12, 2, 7, 30, tzinfo=UTC))


def test_holidays_and_special_days() -> None:
    assert not SUPPORT.is_open(berlin(2026, 12, 25, 10))  # holiday on a Friday
    assert SUPPORT.is_open(berlin(2026, 12, 24, 11, 59)) and not SUPPORT.is_open(berlin(2026, 12, 24, 13))
    assert not SUPPORT.is_open(berlin(2026, 12, 31, 10))  # special day with no hours: closed
    assert SUPPORT.is_open(berlin(2026, 12, 27, 11))  # a Sunday opened as a special day
    # Christmas Eve noon: back on the 27th (a special Sunday), the 25th and 26th being holidays.
    assert SUPPORT.next_opening(berlin(2026, 12, 24, 12, 0)) == berlin(2026, 12, 27, 10, 0)
    assert SUPPORT.next_closing(berlin(2026, 12, 24, 9, 0)) == berlin(2026, 12, 24, 12, 0)


def test_next_opening_and_closing() -> None:
    friday_evening = berlin(2026, 12, 4, 19, 0)
    assert SUPPORT.next_opening(friday_evening) == berlin(2026, 12, 5, 10, 0)
    assert SUPPORT.next_opening(berlin(2026, 12, 5, 15, 0)) == berlin(2026, 12, 7, 8, 0)
    now = berlin(2026, 12, 2, 9, 30)
    assert SUPPORT.next_opening(now) == now  # open: someone can answer now
    assert SUPPORT.next_closing(now) == berlin(2026, 12, 2, 18, 0)
    assert SUPPORT.next_closing(friday_evening) == berlin(2026, 12, 5, 14, 0)  # closed: end of the next period
    assert SUPPORT.next_opening(friday_evening).tzinfo == BERLIN  # answers in the team's zone


def test_periods_across_midnight_are_one() -> None:
    late = BusinessHours.from_dict({"timezone": "Europe/Berlin",
                                    "weekly": {"fri": ["20:00-24:00"], "sat": ["00:00-02:00", "09:00-10:00"]}})
    assert late.is_open(berlin(2026, 12, 4, 23, 59, 59)) and late.is_open(berlin(2026, 12, 5, 0, 0))
    assert late.next_closing(berlin(2026, 12, 4, 21)) == berlin(2026, 12, 5, 2, 0)
    assert late.open_seconds_between(berlin(2026, 12, 4, 23), berlin(2026, 12, 5, 1)) == 2 * HOUR
    assert late.add_open_seconds(berlin(2026, 12, 4, 23), 3 * HOUR) == berlin(2026, 12, 5, 2, 0)
    assert late.add_open_seconds(berlin(2026, 12, 4, 23), 3.5 * HOUR) == berlin(2026, 12, 5, 9, 30)


# Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (a 23-hour day); 2026-10-25 03:00 CEST -> 02:00 CET (25 hours).
@pytest.mark.parametrize(("day", "whole_day_hours", "night_hours"), [
    (dt.date(2026, 3, 29), 23, 2), (dt.date(2026, 10, 25), 25, 4), (dt.date(2026, 3, 22), 24, 3),
])
def test_clock_changes(day: dt.date, whole_day_hours: int, night_hours: int) -> None:
    always_berlin = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {"mon-sun": ["00:00-24:00"]},
                                             "holidays": ["2030-01-01"]})
    start, end = berlin(day.year, day.month, day.day), berlin(*(day + dt.timedelta(days=1)).timetuple()[:3])
    assert always_berlin.open_seconds_between(start, end) == whole_day_hours * HOUR
    # Wall-clock hours stay wall-clock hours: 08:00-18:00 is ten hours on the changing Sunday too.
    sunday = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {"sun": ["08:00-18:00"]},
                                      "special_days": {day.isoformat(): ["01:00-04:00", "08:00-18:00"]}})
    assert sunday.open_seconds_between(start, end) == (night_hours + 10) * HOUR
    assert sunday.next_closing(berlin(day.year, day.month, day.day, 1, 30)) == berlin(day.year, day.month, day.day, 4)
    # A deadline counted in business time runs through the change at its real length.
    deadline = sunday.add_open_seconds(berlin(day.year, day.month, day.day, 1), night_hours * HOUR + 1800)
    assert deadline == berlin(day.year, day.month, day.day, 8, 30)


def test_the_spring_gap_and_the_autumn_repeat() -> None:
    hours = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {"sun": ["02:30-05:00"]}})
    # 02:30 does not exist on 2026-03-29; like Python, it is read with the offset before the change
    # (02:30 CET = 03:30 CEST), and so is a close time there: adjacent periods never leave a hole.
    assert hours.next_opening(berlin(2026, 3, 29, 0, 0)) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert hours.open_seconds_between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 1.5 * HOUR
    # 02:30 happens twice on 2026-10-25; the period starts at the first (CEST) one: 3.5 hours long.
    assert hours.open_seconds_between(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 3.5 * HOUR
    assert hours.is_open(dt.datetime(2026, 10, 25, 0, 45, tzinfo=UTC))  # 02:45 CEST


def test_business_time_pauses_over_a_weekend() -> None:
    friday = berlin(2026, 12, 4, 17, 0)
    monday = berlin(2026, 12, 7, 9, 0)
    # Friday 17-18, Saturday 10-14, Monday 8-9.
    assert SUPPORT.open_seconds_between(friday, monday) == 6 * HOUR
    assert SUPPORT.open_seconds_between(monday, friday) == 0.0
    assert SUPPORT.add_open_seconds(friday, 2 * HOUR) == berlin(2026, 12, 5, 11, 0)
    assert SUPPORT.add_open_seconds(friday, 5.5 * HOUR) == berlin(2026, 12, 7, 8, 30)
    assert SUPPORT.add_open_seconds(berlin(2026, 12, 6, 12), 0) == berlin(2026, 12, 6, 12)


def test_always_open() -> None:
    hours = BusinessHours.always()
    now = dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert hours.always_open and hours.is_open(now) and hours.next_opening(now) == now
    assert hours.next_closing(now) is None
    assert hours.open_seconds_between(now, now + dt.timedelta(days=3)) == 3 * 86400
    assert hours.add_open_seconds(now, 20) == now + dt.timedelta(seconds=20)
    assert BusinessHours.from_dict(None) == hours == BusinessHours.from_dict({})
    # A timezone and holidays but no weekly hours: open every day except the holidays.
    days_off = BusinessHours.from_dict({"timezone": "Europe/Berlin", "holidays": ["2026-12-25"]})
    assert days_off.is_open(berlin(2026, 12, 24, 3)) and not days_off.is_open(berlin(2026, 12, 25, 12))
    assert days_off.next_closing(berlin(2026, 12, 24, 3)) == berlin(2026, 12, 25)
    assert days_off.next_closing(berlin(2026, 12, 27, 3)) is None


def test_never_open() -> None:
    closed = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {},
                                      "special_days": {"2026-12-27": ["10:00-11:00"]}})
    assert closed.next_opening(berlin(2026, 12, 1)) == berlin(2026, 12, 27, 10)
    assert closed.next_opening(berlin(2026, 12, 28)) is None
    assert closed.add_open_seconds(berlin(2026, 12, 1), 1800) == berlin(2026, 12, 27, 10, 30)
    with pytest.raises(NeverOpen):
        closed.add_open_seconds(berlin(2026, 12, 1), 2 * HOUR)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SUPPORT.is_open(dt.datetime(2026, 12, 2, 9))


@pytest.mark.parametrize(("data", "names"), [
    ({"weekly": {"mon": ["08:00-18:00"]}}, ["timezone", "missing"]),
    ({"timezone": "Europe/Berlinn"}, ["timezone", "Europe/Berlin"]),
    ({"timezone": "Europe/Berlin", "weekly": {"mon": ["8-18"]}}, ["weekly.mon[0]", "'8-18'", "08:00-18:00"]),
    ({"timezone": "Europe/Berlin", "weekly": {"mon": ["18:00-08:00"]}}, ["weekly.mon[0]", "closes before"]),
    ({"timezone": "Europe/Berlin", "weekly": {"mon": ["08:00-25:00"]}}, ["weekly.mon[0]", "impossible"]),
    ({"timezone": "Europe/Berlin", "weekly": {"mond": ["08:00-18:00"]}}, ["weekly.mond", "mon-fri"]),
    ({"timezone": "Europe/Berlin", "weekly": {"mon-fri": [], "tue": []}}, ["weekly.tue", "tue", "mon-fri"]),
    ({"timezone": "Europe/Berlin", "holidays": ["25.12.2026"]}, ["holidays[0]", "'25.12.2026'", "YYYY-MM-DD"]),
    ({"timezone": "Europe/Berlin", "holidays": "2026-12-25"}, ["holidays", "list"]),
    ({"timezone": "Europe/Berlin", "special_days": {"2026-12-24": ["noon"]}}, ["special_days.2026-12-24[0]"]),
    ({"timezone": "Europe/Berlin", "weekley": {}}, ["weekley", "weekly"]),
])
def test_bad_hours_name_the_field_and_value(data: dict, names: list[str]) -> None:
    with pytest.raises(InvalidBusinessHours) as caught:
        BusinessHours.from_dict(data, where="handover.yml")
    text = str(caught.value)
    assert text.startswith("handover.yml: business hours:")
    for name in names:
        assert name in text


def test_weekday_spellings() -> None:
    hours = BusinessHours.from_dict({"timezone": "UTC", "weekly": {0: "09:00-10:00", "Tuesday": ["09:00-10:00"],
                                                                   "sat-sun": "closed", "wed": None}})
    assert [bool(hours.weekly.get(day)) for day in range(7)] == [True, True, False, False, False, False, False]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.floats(0, 40 * HOUR, allow_nan=False))
def test_add_open_seconds_agrees_with_open_seconds_between(start: dt.datetime, seconds: float) -> None:
    deadline = SUPPORT.add_open_seconds(start, seconds)
    assert abs(SUPPORT.open_seconds_between(start, deadline) - seconds) < 1e-3
    if seconds > 0.01:
        assert SUPPORT.is_open(deadline - dt.timedelta(seconds=1e-3)) or deadline == start


_RANGE_TEXT = st.one_of(
    st.from_regex(r"\A[0-2]?[0-9]:[0-5][0-9]-[0-2]?[0-9]:[0-5][0-9]\Z"), st.text(max_size=12), st.integers(), st.none())
_DAY_KEY = st.one_of(st.sampled_from(["mon", "tue-thu", "sunday", "fri-mon", "x", "Sat"]), st.integers(-1, 8))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["timezone", "weekly", "holidays", "special_days", "other"]), st.one_of(
    st.sampled_from(["Europe/Berlin", "Mars/Base", ""]),
    st.dictionaries(_DAY_KEY, st.one_of(_RANGE_TEXT, st.lists(_RANGE_TEXT, max_size=3)), max_size=4),
    st.lists(st.one_of(st.dates(), st.text(max_size=10)), max_size=3),
    st.dictionaries(st.one_of(st.dates().map(str), st.text(max_size=10)), st.lists(_RANGE_TEXT, max_size=2), max_size=2),
)))
def test_any_yaml_shape_reads_or_fails_with_a_clear_error(data: dict) -> None:
    try:
        hours = BusinessHours.from_dict(data)
    except InvalidBusinessHours as error:
        assert str(error).startswith("business hours:")
        return
    now = dt.datetime(2026, 12, 2, 9, tzinfo=UTC)
    hours.is_open(now)
    hours.next_opening(now)
    assert hours.open_seconds_between(now, now + dt.timedelta(days=2)) >= 0
