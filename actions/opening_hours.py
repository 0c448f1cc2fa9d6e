"""action_opening_hours: "are you open now / on Saturday / on holidays?" in German or English."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.formatting import DAY_NAMES, DAY_SHORT, format_date, format_time
from actions.schedule import (
    DEFAULT_SCHEDULE_FILE,
    WEEKDAYS,
    Interval,
    Schedule,
    ScheduleError,
    current_schedule,
    next_date_of_weekday,
)

logger = logging.getLogger(__name__)


# -- formatting ----------------------------------------------------------------------------------
def format_hours(intervals: tuple[Interval, ...], language: str) -> str:
    """ "8:00–20:00 Uhr" / "8:00 am–8:00 pm" / "geschlossen" / "closed"."""
    if not intervals:
        return common.pick(language, "geschlossen", "closed")
    parts = [f"{format_time(i.opens, language)}–{format_time(i.closes, language)}" for i in intervals]
    joined = common.pick(language, " und ", " and ").join(parts)
    return common.pick(language, f"{joined} Uhr", joined)


def weekly_summary(schedule: Schedule, language: str) -> str:
    """ "Mo–Fr 8:00–20:00 Uhr, Sa 9:00–14:00 Uhr, So geschlossen": runs of equal days grouped."""
    groups: list[tuple[int, int, tuple[Interval, ...]]] = []
    for index in range(7):
        hours = schedule.weekly.get(index, ())
        if groups and groups[-1][2] == hours:
            groups[-1] = (groups[-1][0], index, hours)
        else:
            groups.append((index, index, hours))
    names = DAY_SHORT[language]
    parts = [(names[a] if a == b else f"{names[a]}–{names[b]}") + " " + format_hours(h, language)
             for a, b, h in groups]
    return ", ".join(parts)


# -- answers -------------------------------------------------------------------------------------
def opening_hours_message(schedule: Schedule, moment: datetime, weekday: str | None, language: str) -> str:
    """The whole answer for the customer: about right now, a weekday, the weekend or holidays."""
    moment = moment.astimezone(schedule.timezone)
    if weekday == "holiday":
        return _about_holidays(schedule, moment.date(), language)
    if weekday == "weekend":
        return " ".join(_about_weekday(schedule, moment.date(), index, language) for index in (5, 6))
    if weekday in WEEKDAYS:
        return _about_weekday(schedule, moment.date(), WEEKDAYS.index(weekday), language)
    return _about_now(schedule, moment, language)


def _about_now(schedule: Schedule, moment: datetime, language: str) -> str:
    sentences = []
    holiday = schedule.holidays.get(moment.date())
    current = schedule.open_interval(moment)
    if current is not None:
        closes = format_time(current.closes, language)
        sentences.append(common.pick(language, f"Wir haben gerade geöffnet – heute noch bis {closes} Uhr.",
                                     f"We're open right now – today until {closes}."))
        if holiday is not None:
            sentences.append(common.pick(language, f"Heute ({holiday.name('de')}) gelten verkürzte Zeiten.",
                                         f"Shorter hours apply today ({holiday.name('en')})."))
    else:
        if holiday is not None and not holiday.hours:
            sentences.append(common.pick(
                language, f"Heute ist {holiday.name('de')}, da haben wir geschlossen.",
                f"Today is {holiday.name('en')}, so we're closed."))
        else:
            sentences.append(common.pick(language, "Gerade haben wir geschlossen.", "We're closed right now."))
        reopening = schedule.next_opening(moment)
        if reopening is not None:
            sentences.append(_reopening_sentence(moment, reopening, language))
    sentences.append(common.pick(language, f"Unsere Öffnungszeiten: {weekly_summary(schedule, 'de')}.",
                                 f"Our opening hours: {weekly_summary(schedule, 'en')}."))
    return " ".join(sentences)


def _reopening_sentence(moment: datetime, reopening: datetime, language: str) -> str:
    at = format_time(reopening.time(), language)
    day = reopening.date()
    if day == moment.date():
        return common.pick(language, f"Wir öffnen heute wieder um {at} Uhr.", f"We open again today at {at}.")
    if day == moment.date() + timedelta(days=1):
        return common.pick(language, f"Wir öffnen morgen um {at} Uhr wieder.", f"We open again tomorrow at {at}.")
    name = DAY_NAMES[language][day.weekday()]
    return common.pick(language, f"Wir öffnen wieder am {name}, {day:%d.%m.}, um {at} Uhr.",
                       f"We open again on {name}, {format_date(day, 'en')}, at {at}.")


def _about_weekday(schedule: Schedule, today: date, index: int, language: str) -> str:
    name = DAY_NAMES[language][index]
    hours = schedule.weekly.get(index, ())
    if hours:
        sentence = common.pick(language, f"Am {name} haben wir {format_hours(hours, 'de')} geöffnet.",
                               f"On {name}s we're open {format_hours(hours, 'en')}.")
    else:
        sentence = common.pick(language, f"Am {name} haben wir geschlossen.", f"We're closed on {name}s.")
    upcoming = next_date_of_weekday(today, index)
    holiday = schedule.holidays.get(upcoming)
    if holiday is None:
        return sentence
    when = format_date(upcoming, language)
    special = format_hours(holiday.hours, language)
    return sentence + " " + common.pick(
        language, f"Achtung: {when} ist {holiday.name('de')} – da gilt: {special}.",
        f"Please note: {when} is {holiday.name('en')} – hours that day: {special}.")


def _about_holidays(schedule: Schedule, today: date, language: str) -> str:
    upcoming = schedule.upcoming_holidays(today)
    sentence = common.pick(language, "An gesetzlichen Feiertagen haben wir geschlossen.",
                           "We're closed on public holidays.")
    if not upcoming:
        return sentence
    listed = ", ".join(
        f"{h.name(language)} ({format_date(h.day, language)}"
        + (f": {format_hours(h.hours, language)})" if h.hours else ")")
        for h in upcoming)
    return sentence + " " + common.pick(language, f"Die nächsten Feiertage: {listed}.",
                                        f"The next holidays: {listed}.")


# -- the action ----------------------------------------------------------------------------------
def schedule_path() -> str:
    """OPENING_HOURS_FILE overrides the file (another branch's hours, a test's file)."""
    return os.environ.get("OPENING_HOURS_FILE") or str(DEFAULT_SCHEDULE_FILE)


class ActionOpeningHours(Action):
    """Answers with the hours for now, a weekday (entity `weekday`), the weekend or holidays."""

    def name(self) -> str:
        return "action_opening_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = common.language_of(tracker)
        try:
            schedule = current_schedule(schedule_path())
        except ScheduleError as error:
            logger.error("opening hours unavailable: %s", error)
            dispatcher.utter_message(response="utter_opening_hours_unavailable")
            return []
        weekday = next(tracker.get_latest_entity_values("weekday"), None)
        weekday = str(weekday).lower() if weekday else None
        dispatcher.utter_message(text=opening_hours_message(schedule, common.now(schedule.timezone),
                                                            weekday, language))
        return []
