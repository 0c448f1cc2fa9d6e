"""Conversation events -> Rasa 3.x story YAML (what `bot interactive` saves and GET .../story returns)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.shared.core.domain.constants import ACTION_LISTEN, ACTION_SESSION_START

_SKIPPED_ACTIONS = {ACTION_LISTEN, ACTION_SESSION_START}


def story_steps(events: Sequence[dict[str, Any]]) -> list[str]:
    """Story YAML lines (`  - intent: ...`) for a conversation's events, after its last restart."""
    start = max((i + 1 for i, e in enumerate(events) if e.get("event") == "restart"), default=0)
    lines: list[str] = []
    for event in events[start:]:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            lines.append(f"  - intent: {(parse.get('intent') or {}).get('name')}")
            entities = [e for e in parse.get("entities") or [] if e.get("entity")]
            if entities:
                lines.append("    entities:")
                lines.extend(f"    - {e['entity']}: {json.dumps(e.get('value'), ensure_ascii=False)}" for e in entities)
        elif kind == "action" and event.get("name") not in _SKIPPED_ACTIONS:
            lines.append(f"  - action: {event.get('name') or event.get('action_text')}")
        elif kind == "slot" and event.get("name") != "requested_slot":
            lines.append(f"  - slot_was_set:\n    - {event['name']}: {json.dumps(event.get('value'), ensure_ascii=False)}")
        elif kind == "active_loop":
            lines.append(f"  - active_loop: {event.get('name') or 'null'}")
    return lines


def story_block(name: str, events: Sequence[dict[str, Any]]) -> str:
    """One `- story:` entry with its steps."""
    return f"- story: {json.dumps(name, ensure_ascii=False)}\n  steps:\n" + "\n".join(story_steps(events)) + "\n"


def stories_yaml(name: str, events: Sequence[dict[str, Any]]) -> str:
    """A whole stories file holding one story."""
    return 'version: "3.1"\nstories:\n' + story_block(name, events)
