"""TrainingData -> Rasa's JSON format and Rasa 1.x/2.x Markdown (for tools that still read them)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from bot.shared.nlu.constants import ENTITY_END, ENTITY_START, ENTITY_TYPE, ENTITY_VALUE, METADATA
from bot.shared.nlu.training_data import TrainingData
from bot.shared.nlu.writers.nlu_yaml import example_markup, grouped_by_intent, intent_label, synonyms_by_value


def to_rasa_json(data: TrainingData) -> str:
    """{"rasa_nlu_data": {...}}: examples with entity offsets, synonyms, regexes, lookup tables."""
    examples = []
    for message in data.training_examples:
        if not (message.text and intent_label(message)):
            continue
        entry: dict[str, Any] = {"text": message.text, "intent": intent_label(message),
                                 "entities": [_entity(e, message.text) for e in message.entities]}
        if message.get(METADATA):
            entry["metadata"] = message.get(METADATA)
        examples.append(entry)
    content = {"rasa_nlu_data": {
        "common_examples": examples,
        "entity_synonyms": [{"value": v, "synonyms": s} for v, s in synonyms_by_value(data).items()],
        "regex_features": [{"name": r["name"], "pattern": r["pattern"]} for r in data.regex_features],
        "lookup_tables": [{"name": t["name"], "elements": list(t.get("elements") or [])} for t in data.lookup_tables],
    }}
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def _entity(entity: dict[str, Any], text: str) -> dict[str, Any]:
    start, end = int(entity[ENTITY_START]), int(entity[ENTITY_END])
    written = {"start": start, "end": end, "value": entity.get(ENTITY_VALUE, text[start:end]),
               "entity": entity[ENTITY_TYPE]}
    written.update({k: entity[k] for k in ("role", "group") if entity.get(k) is not None})
    return written


def to_rasa_markdown(data: TrainingData) -> str:
    """`## intent:name` sections with `- ` examples; synonyms, regexes and lookup tables after them.

    Markdown has no place for metadata or responses: those are left out (the command says so).
    """
    sections: list[str] = []
    for name, messages in grouped_by_intent(data).items():
        sections.append("\n".join([f"## intent:{name}", *(f"- {example_markup(m)}" for m in messages)]))
    for canonical, surfaces in synonyms_by_value(data).items():
        sections.append("\n".join([f"## synonym:{canonical}", *(f"- {s}" for s in surfaces)]))
    patterns: dict[str, list[str]] = defaultdict(list)
    for regex in data.regex_features:
        patterns[str(regex["name"])].append(str(regex["pattern"]))
    for name, values in patterns.items():
        sections.append("\n".join([f"## regex:{name}", *(f"- {p}" for p in values)]))
    for table in data.lookup_tables:
        sections.append("\n".join([f"## lookup:{table['name']}", *(f"- {e}" for e in table.get("elements") or [])]))
    return "\n\n".join(sections) + "\n"
