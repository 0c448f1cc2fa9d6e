"""What the bot tells the customer about the handover, in their language.

A project's domain can define each response (`utter_handover_queued`, ...) with its own words,
per language through conditional variations on the `language` slot, as any response; where it
does not, these built-in texts in German and English are used. Placeholders in braces are filled
from the slots and from the values the handover computes (position, wait_minutes, opening;
`wait` is the wait with its unit, "1 Minute" or "3 Minuten").
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILT_IN", "notice_text"]

BUILT_IN: dict[str, dict[str, str]] = {
    # Inside business hours, someone who can help is online.
    "utter_handover_queued": {
        "de": "Ich verbinde Sie mit einer Kollegin oder einem Kollegen. Sie sind an Position {position}, "
              "die Wartezeit beträgt etwa {wait}. Sie müssen nichts wiederholen: "
              "Ihr bisheriges Gespräch wird übergeben.",
        "en": "I'm connecting you with a colleague. You are number {position} in the queue; the wait is "
              "about {wait}. You won't need to repeat anything: they see our conversation.",
    },
    # Inside business hours, but nobody with the needed skill or language is online right now.
    "utter_handover_unstaffed": {
        "de": "Gerade ist leider niemand aus unserem Team erreichbar. Ihre Anfrage bleibt offen und wird "
              "beantwortet, sobald jemand frei ist. Sie müssen nichts wiederholen.",
        "en": "Nobody from our team is available right now. Your request stays open and a colleague will "
              "answer as soon as someone is free. You won't need to repeat anything.",
    },
    # Outside business hours.
    "utter_handover_closed": {
        "de": "Unser Team ist gerade nicht im Dienst; wir sind wieder ab {opening} für Sie da. Ihre Anfrage "
              "bleibt offen und wird dann als Erstes bearbeitet.",
        "en": "Our team is not working right now; we are back from {opening}. Your request stays open and "
              "will be picked up first thing.",
    },
    # A new queue position or wait while the customer waits (at most once a minute).
    "utter_handover_queue_update": {
        "de": "Sie sind jetzt an Position {position}, die Wartezeit beträgt etwa {wait}.",
        "en": "You are now number {position} in the queue; the wait is about {wait}.",
    },
    # The customer withdrew while waiting.
    "utter_handover_cancelled": {
        "de": "In Ordnung, ich habe Ihre Anfrage zurückgezogen. Wie kann ich Ihnen sonst helfen?",
        "en": "All right, I've withdrawn your request. How else can I help?",
    },
    # An agent handed the conversation back to the bot.
    "utter_handback": {
        "de": "Sie sprechen jetzt wieder mit dem digitalen Assistenten. Wie kann ich Ihnen helfen?",
        "en": "You're talking to the digital assistant again. How can I help?",
    },
}


def notice_text(name: str, language: str | None, **values: Any) -> str:
    """The built-in text of `name` in `language` (German or English; English otherwise), filled in."""
    texts = BUILT_IN[name]
    lang = (language or "en")[:2].lower()
    text = texts.get(lang, texts["en"])
    if values.get("wait_minutes") is not None and "wait" not in values:
        values["wait"] = _minutes(int(values["wait_minutes"]), lang)
    return text.format_map(_Lenient(values))


def _minutes(count: int, language: str) -> str:
    """'1 Minute' / '3 Minuten', '1 minute' / '3 minutes': a wait of one is singular in both languages."""
    if language == "de":
        return f"{count} Minute" if count == 1 else f"{count} Minuten"
    return f"{count} minute" if count == 1 else f"{count} minutes"


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
