"""Helpers every action of the example assistant shares: the customer's language, the clock.

The actions package only depends on rasa_sdk (and what rasa_sdk brings), never on `bot`, so it
runs unchanged in a separate `python -m rasa_sdk --actions actions` server.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

SUPPORTED_LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_SLOT = "language"

# Tests replace this with a function returning a fixed time; None means "use BOT_NOW or the real clock".
clock: Callable[[], datetime] | None = None


def language_of(tracker: Any) -> str:
    """The customer's language from the `language` slot (filled by the processor), German by default."""
    value = tracker.get_slot(LANGUAGE_SLOT)
    return value if value in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def pick(language: str, de: str, en: str) -> str:
    """The German or the English text, whichever the customer speaks."""
    return en if language == "en" else de


def join_sentences(sentences: list[str]) -> str:
    """Sentences joined by blanks; one that ends in a date ("Mi, 04.06.") gets no second full stop."""
    return " ".join(sentence[:-1] if sentence.endswith("..") else sentence for sentence in sentences)


def now(tz: tzinfo) -> datetime:
    """The current time in `tz`; `clock` or the env var BOT_NOW (ISO timestamp) fix it for tests and demos.

    A BOT_NOW without an offset is read as local time in `tz`.
    """
    if clock is not None:
        moment = clock()
    elif os.environ.get("BOT_NOW"):
        try:
            moment = datetime.fromisoformat(os.environ["BOT_NOW"])
        except ValueError as error:
            raise ValueError(f"BOT_NOW={os.environ['BOT_NOW']!r} is not an ISO timestamp "
                             "(use e.g. 2025-06-02T10:30 or 2025-06-02T10:30:00+02:00)") from error
    else:
        return datetime.now(tz)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
