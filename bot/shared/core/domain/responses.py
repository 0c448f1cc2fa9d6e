"""Bot responses: validating variations, choosing one (conditions, channel) and filling {slot}s."""

from __future__ import annotations

import copy
import difflib
import logging
import random
import re
from typing import Any

from bot.shared.errors import InvalidDomain

logger = logging.getLogger(__name__)

VARIATION_KEYS = ("id", "text", "image", "custom", "buttons", "button_type", "quick_replies", "attachment",
                  "elements", "channel", "metadata", "condition")
# Keys whose strings get {slot} placeholders filled (as Rasa's templated NLG does).
_INTERPOLATED_KEYS = ("text", "image", "custom", "buttons", "attachment", "quick_replies")
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def validate_variations(name: str, variations: Any, where: str | None) -> list[dict[str, Any]]:
    """Checks one response's variation list the way Rasa's schema does; returns it unchanged."""
    example = f"{name}:\n    - text: \"Hello!\""
    if not isinstance(variations, list) or not variations:
        raise InvalidDomain(
            f"response '{name}' has no variations", location=where,
            hint=f"give it a list of variations, each with 'text' (or 'custom'), e.g.\n  {example}")
    for variation in variations:
        if not isinstance(variation, dict):
            raise InvalidDomain(
                f"response '{name}' has a variation that is a plain {type(variation).__name__} ({variation!r}), "
                f"not a mapping", location=where,
                hint=f"write each variation as a mapping with a 'text' key, e.g.\n  {example}")
        unknown = [key for key in variation if key not in VARIATION_KEYS]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), VARIATION_KEYS, n=1)
            guess = f"did you mean '{close[0]}'? " if close else ""
            raise InvalidDomain(
                f"response '{name}' has unknown key(s) {unknown}", location=where,
                hint=f"{guess}a variation may have: {', '.join(VARIATION_KEYS)}; put free-form payloads under "
                     f"'custom:'")
        if variation.get("text") is None and not variation.get("custom"):
            raise InvalidDomain(
                f"response '{name}' has a variation without 'text' or 'custom'", location=where,
                hint="add 'text:' (it may sit beside image/buttons) or put the payload under 'custom:'")
        _check_types(name, variation, where)
    return variations


def _check_types(name: str, variation: dict[str, Any], where: str | None) -> None:
    expected = {"text": str, "image": str, "channel": str, "custom": dict, "attachment": dict,
                "buttons": list, "quick_replies": list, "elements": list, "condition": list}
    for key, kind in expected.items():
        if variation.get(key) is not None and not isinstance(variation[key], kind):
            if key == "text" and isinstance(variation[key], (int, float)):
                continue  # YAML reads `text: 42` as a number; Rasa accepts it after quoting
            raise InvalidDomain(
                f"response '{name}': '{key}' must be a {kind.__name__}, not {type(variation[key]).__name__}",
                location=where, hint=f"fix the '{key}' value of that variation")
    for button in variation.get("buttons") or []:
        if not isinstance(button, dict):
            raise InvalidDomain(f"response '{name}': each button must be a mapping with title and payload",
                                location=where, hint="write '- title: Yes\\n  payload: /affirm'")
    for condition in variation.get("condition") or []:
        if not isinstance(condition, dict) or condition.get("type", "slot") != "slot" or "name" not in condition:
            raise InvalidDomain(
                f"response '{name}' has an invalid condition {condition!r}", location=where,
                hint="write conditions as '- type: slot\\n  name: <slot>\\n  value: <value>'")


def matches_conditions(variation: dict[str, Any], slots: dict[str, Any]) -> bool:
    """True when every `condition` of the variation holds for the slot values."""
    for condition in variation.get("condition") or []:
        if slots.get(condition["name"]) != condition.get("value"):
            return False
    return True


def candidate_variations(variations: list[dict[str, Any]], slots: dict[str, Any],
                         channel: str | None) -> list[dict[str, Any]]:
    """Rasa's order: matching conditional variations (channel-specific first), then the
    channel's unconditional variations, then the unconditional ones without a channel."""
    conditional_channel, conditional_any, plain = [], [], []
    for variation in variations:
        if not variation.get("condition"):
            plain.append(variation)
        elif matches_conditions(variation, slots):
            if variation.get("channel") is None:
                conditional_any.append(variation)
            elif variation.get("channel") == channel:
                conditional_channel.append(variation)
    if conditional_channel:
        return conditional_channel
    if conditional_any:
        return conditional_any
    for_channel = [v for v in plain if channel is not None and v.get("channel") == channel]
    if for_channel:
        return for_channel
    return [v for v in plain if not v.get("channel")]


def interpolate(value: Any, slots: dict[str, Any]) -> Any:
    """Fills `{name}` placeholders in strings (recursively in dicts/lists).

    As in Rasa: a slot that exists but is empty prints as "None"; a placeholder naming
    no slot at all leaves that string unfilled (with a warning), so the user sees the
    raw text rather than a crash.
    """
    if isinstance(value, str):
        return _interpolate_text(value, slots)
    if isinstance(value, dict):
        return {k: interpolate(v, slots) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, slots) for v in value]
    return value


def _interpolate_text(text: str, slots: dict[str, Any]) -> str:
    names = _PLACEHOLDER.findall(text)
    if not names:
        return text
    missing = [n for n in names if n not in slots]
    if missing:
        logger.warning("Cannot fill '{%s}' in response text %r: there is no slot of that name and no value "
                       "was passed; the text is sent unfilled.", missing[0], text)
        return text
    return _PLACEHOLDER.sub(lambda match: str(slots[match.group(1)]), text)


def fill_variation(variation: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """A copy of the chosen variation with placeholders filled; `condition` is dropped."""
    filled = copy.deepcopy(variation)
    filled.pop("condition", None)
    for key in _INTERPOLATED_KEYS:
        if filled.get(key) is not None:
            filled[key] = interpolate(filled[key], slots)
    return filled


def choose_variation(variations: list[dict[str, Any]], slots: dict[str, Any], channel: str | None,
                     rng: random.Random | None = None) -> dict[str, Any] | None:
    """Picks one variation at random among the best candidates and fills it, or None if none fits."""
    candidates = candidate_variations(variations, slots, channel)
    if not candidates:
        return None
    chosen = (rng or random).choice(candidates)
    return fill_variation(chosen, slots)
