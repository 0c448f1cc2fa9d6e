"""Forms (Rasa 3.x syntax): which slots a form asks for, and which intents it ignores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.shared.errors import InvalidDomain

_FORM_KEYS = {"required_slots", "ignored_intents"}
_SYNTAX_HINT = (
    "Rasa 3.x lists the slot names under required_slots and moves the mappings to the slot itself:\n"
    "  forms:\n    {form}:\n      required_slots:\n        - {slot}\n"
    "  slots:\n    {slot}:\n      type: text\n      mappings:\n        - type: from_entity\n          entity: {slot}")


@dataclass(frozen=True)
class Form:
    """One entry of the domain's `forms` section; its name is also an action name."""

    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()
    location: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"required_slots": list(self.required_slots)}
        if self.ignored_intents:
            data["ignored_intents"] = list(self.ignored_intents)
        return data


def parse_form(name: str, raw: Any, where: str | None) -> Form:
    """Validates one form; the Rasa 2 dict-of-mappings syntax gets an error showing the 3.x one."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidDomain(f"form '{name}' must be a mapping, not {type(raw).__name__}", location=where,
                            hint=_SYNTAX_HINT.format(form=name, slot="my_slot"))
    unknown = set(raw) - _FORM_KEYS
    if unknown:
        slot = sorted(unknown)[0]
        raise InvalidDomain(
            f"form '{name}' has unknown key(s) {sorted(unknown)} (Rasa 2 listed slot mappings directly "
            f"under the form)", location=where, hint=_SYNTAX_HINT.format(form=name, slot=slot))
    required = raw.get("required_slots")
    if required is None:
        required = []
    if isinstance(required, dict):
        slot = next(iter(required), "my_slot")
        raise InvalidDomain(
            f"form '{name}' uses the Rasa 2 syntax: 'required_slots' is a mapping of slot mappings",
            location=where, hint=_SYNTAX_HINT.format(form=name, slot=slot))
    if not isinstance(required, list) or not all(isinstance(s, str) for s in required):
        raise InvalidDomain(f"form '{name}': 'required_slots' must be a list of slot names", location=where,
                            hint=_SYNTAX_HINT.format(form=name, slot="my_slot"))
    ignored = raw.get("ignored_intents") or []
    if isinstance(ignored, str):
        ignored = [ignored]
    if not isinstance(ignored, list):
        raise InvalidDomain(f"form '{name}': 'ignored_intents' must be an intent name or a list of them",
                            location=where, hint="write '- chitchat' items under ignored_intents")
    return Form(name, tuple(required), tuple(str(i) for i in ignored), where)
