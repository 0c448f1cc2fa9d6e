"""Opening hours: the schedule file, the answer for now / a weekday / holidays, the action with a fixed clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.opening_hours import ActionOpeningHours, opening_hours_message, weekly_summary
from actions.schedule import ScheduleError, current_schedule, load_schedule

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def schedule():
    return load_schedule()  # the example's config/opening_hours.yml


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_open_now_on_a_weekday_says_until_when(schedule) -> None:
    message = opening_hours_message(schedule, at("2025-06-03T10:30"), None, "de")  # Tuesday
    assert message.startswith("Wir haben gerade geöffnet – heute noch bis 20:00 Uhr.")
    english = opening_hours_message(schedule, at("2025-06-03T10:30"), None, "en")
    assert english.startswith("We're open right now – today until 8:00 pm.")


def test_closed_in_the_evening_opens_tomorrow(schedule) -> None:
    message = opening_hours_message(schedule, at("2025-06-03T21:15"), None, "de")
    assert "Gerade haben wir geschlossen." in message
    assert "Wir öffnen morgen um 8:00 Uhr wieder." in message


def test_early_morning_opens_today(schedule) -> None:
    message = opening_hours_message(schedule, at("2025-06-03T06:00"), None, "en")
    assert "We open again today at 8:00 am." in message


def test_sunday_is_closed_and_names_monday(schedule) -> None:
    message = opening_hours_message(schedule, at("2025-06-15T11:00"), None, "de")  # Sunday
    assert "Gerade haben wir geschlossen." in message
    assert "morgen um 8:00 Uhr" in message
    saturday_evening = opening_hours_message(schedule, at("2025-06-14T15:00"), None, "en")
    assert "We open again on Monday, Mon 16 Jun, at 8:00 am." in saturday_evening


def test_a_holiday_monday_is_skipped(schedule) -> None:
    # Whit Monday 9 June 2025: from Sunday the next opening is Tuesday.
    message = opening_hours_message(schedule, at("2025-06-08T11:00"), None, "de")
    assert "Wir öffnen wieder am Dienstag, 10.06., um 8:00 Uhr." in message


def test_holiday_today_is_closed_and_skips_to_the_next_working_day(schedule) -> None:
    # Friday 3 Oct 2025 is German Unity Day: closed; Saturday has its short hours.
    message = opening_hours_message(schedule, at("2025-10-03T10:00"), None, "de")
    assert "Heute ist Tag der Deutschen Einheit, da haben wir geschlossen." in message
    assert "morgen um 9:00 Uhr" in message
    # Christmas: 25th and 26th closed, then Saturday 27th opens at 9.
    christmas = opening_hours_message(schedule, at("2025-12-25T12:00"), None, "en")
    assert "Today is Christmas Day, so we're closed." in christmas
    assert "Saturday, Sat 27 Dec, at 9:00 am" in christmas


def test_short_hours_on_christmas_eve(schedule) -> None:
    morning = opening_hours_message(schedule, at("2025-12-24T09:00"), None, "de")
    assert "heute noch bis 12:00 Uhr" in morning and "Heiligabend" in morning
    afternoon = opening_hours_message(schedule, at("2025-12-24T13:00"), None, "de")
    assert "Gerade haben wir geschlossen." in afternoon


def test_weekday_question_gives_that_days_hours(schedule) -> None:
    now = at("2025-06-03T10:00")
    assert opening_hours_message(schedule, now, "saturday", "de") == \
        "Am Samstag haben wir 9:00–14:00 Uhr geöffnet."
    assert opening_hours_message(schedule, now, "sunday", "en") == "We're closed on Sundays."
    weekend = opening_hours_message(schedule, now, "weekend", "en")
    assert "On Saturdays we're open 9:00 am–2:00 pm." in weekend and "closed on Sundays" in weekend


def test_weekday_question_warns_about_a_holiday_on_that_day(schedule) -> None:
    # Asked on Monday 29 Sep 2025 about Friday: the coming Friday is German Unity Day.
    message = opening_hours_message(schedule, at("2025-09-29T10:00"), "friday", "de")
    assert message.startswith("Am Freitag haben wir 8:00–20:00 Uhr geöffnet.")
    assert "Achtung: Fr, 03.10. ist Tag der Deutschen Einheit – da gilt: geschlossen." in message


def test_holiday_question_lists_the_next_holidays(schedule) -> None:
    message = opening_hours_message(schedule, at("2025-12-20T10:00"), "holiday", "en")
    assert message.startswith("We're closed on public holidays.")
    assert "Christmas Eve (Wed 24 Dec: 8:00 am–12:00 pm)" in message
    assert "Christmas Day (Thu 25 Dec)" in message


def test_weekly_summary_groups_equal_days(schedule) -> None:
    assert weekly_summary(schedule, "de") == "Mo–Fr 8:00–20:00 Uhr, Sa 9:00–14:00 Uhr, So geschlossen"


@pytest.mark.parametrize("content, expected", [
    ("weekly:\n  mondy: []\n", "unknown weekday(s) mondy"),
    ("weekly:\n  monday: ['8-20']\n", "'8-20' is not an interval"),
    ("weekly:\n  monday: ['20:00-08:00']\n", "closes before it opens"),
    ("timezone: Mars/Olympus\n", "unknown timezone"),
    ("holidays:\n- {name: x}\n", "holidays[0]: each holiday needs 'date'"),
])
def test_schedule_errors_name_the_file_and_the_fix(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "hours.yml"
    path.write_text(content)
    with pytest.raises(ScheduleError) as raised:
        load_schedule(path)
    assert expected in str(raised.value) and str(path) in str(raised.value)


async def test_action_uses_language_slot_weekday_entity_and_clock(fixed_clock, tracker_factory) -> None:
    fixed_clock(at("2025-06-03T10:30"))
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(language="en", text="are you open on saturday?", intent="ask_opening_hours",
                              entities=[{"entity": "weekday", "value": "saturday"}])
    events = await ActionOpeningHours().run(dispatcher, tracker, {})
    assert events == []
    assert dispatcher.messages[0]["text"] == "On Saturdays we're open 9:00 am–2:00 pm."

    dispatcher = CollectingDispatcher()
    await ActionOpeningHours().run(dispatcher, tracker_factory(language="de", intent="ask_opening_hours"), {})
    assert dispatcher.messages[0]["text"].startswith("Wir haben gerade geöffnet")


async def test_action_reads_bot_now_and_a_broken_file_gets_an_apology(monkeypatch, tmp_path, tracker_factory) -> None:
    monkeypatch.setenv("BOT_NOW", "2025-06-08T11:00")  # a Sunday
    dispatcher = CollectingDispatcher()
    await ActionOpeningHours().run(dispatcher, tracker_factory(language="de"), {})
    assert dispatcher.messages[0]["text"].startswith("Gerade haben wir geschlossen.")
    assert common.now(BERLIN) == at("2025-06-08T11:00")

    broken = tmp_path / "hours.yml"
    broken.write_text("weekly: [")
    monkeypatch.setenv("OPENING_HOURS_FILE", str(broken))
    dispatcher = CollectingDispatcher()
    await ActionOpeningHours().run(dispatcher, tracker_factory(language="de"), {})
    assert dispatcher.messages[0]["response"] == "utter_opening_hours_unavailable"


def test_the_schedule_is_read_once_and_again_after_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "hours.yml"
    path.write_text('weekly:\n  monday: ["08:00-20:00"]\n')
    first = current_schedule(path)
    assert current_schedule(path) is first  # not parsed again
    path.write_text('weekly:\n  monday: ["09:00-12:00", "13:00-17:00"]\n')  # new size: seen within one mtime tick
    edited = current_schedule(path)
    assert edited is not first and weekly_summary(edited, "en").startswith("Mon 9:00")
    path.unlink()
    with pytest.raises(ScheduleError, match="file not found"):
        current_schedule(path)
