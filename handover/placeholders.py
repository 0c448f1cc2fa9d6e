"""`{slot_name}` placeholders in canned replies, filled from a conversation's current slots."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["fill_placeholders"]

# The same placeholder syntax as domain responses (bot/shared/core/domain/responses.py).
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def fill_placeholders(text: str, slots: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The text with every placeholder whose slot has a value filled, and the names left open.

    An open placeholder stays in the text as written (`{order_id}`), so the agent sees what to fill.
    """
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        value = slots.get(name)
        if value is None or value == "" or value == []:
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)

    return _PLACEHOLDER.sub(fill, text), missing
