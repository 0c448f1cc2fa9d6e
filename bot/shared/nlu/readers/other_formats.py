"""Reading Rasa's older NLU formats: the JSON format (`rasa_nlu_data`) and Rasa 1.x/2.x Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.shared.errors import InvalidTrainingData, location
from bot.shared.nlu.constants import (
    ENTITIES,
    ENTITY_END,
    ENTITY_START,
    ENTITY_VALUE,
    INTENT,
    INTENT_RESPONSE_KEY,
    METADATA,
    TEXT,
)
from bot.shared.nlu.message import Message
from bot.shared.nlu.readers.entity_markup import parse_entity_markup
from bot.shared.nlu.training_data import TrainingData, split_retrieval_intent

_MD_SECTION = re.compile(r"^##\s*(intent|synonym|regex|lookup)\s*:\s*(.+?)\s*$")
_MD_ITEM = re.compile(r"^\s*[-*+]\s+(.*)$")
_MD_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _example(text: str, intent: str, entities: list[dict[str, Any]], where: str | None,
             metadata: Any = None) -> Message:
    base, key = split_retrieval_intent(intent)
    data: dict[str, Any] = {TEXT: text, INTENT: base, ENTITIES: entities}
    if key is not None:
        data[INTENT_RESPONSE_KEY] = intent
    if metadata is not None:
        data[METADATA] = metadata
    return Message(data=data, location=where)


def _add_inline_synonyms(data: TrainingData, message: Message) -> None:
    for entity in message.entities:
        surface = message.text[entity[ENTITY_START]:entity[ENTITY_END]]
        if entity.get(ENTITY_VALUE, surface) != surface:
            data.entity_synonyms[surface] = str(entity[ENTITY_VALUE])


def read_rasa_json(path: Path) -> TrainingData:
    """Rasa's JSON training data: common_examples, entity_synonyms, regex_features, lookup_tables."""
    return read_rasa_json_text(path.read_text(encoding="utf-8"), path)


def read_rasa_json_text(text: str, path: Path | str = "<json>") -> TrainingData:
    """The same from a string; `path` names it in errors."""
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidTrainingData(f"not valid JSON: {error.msg}", location=location(path, error.lineno),
                                  hint="fix the JSON syntax at that line") from None
    nlu = content.get("rasa_nlu_data") if isinstance(content, dict) else None
    if not isinstance(nlu, dict):
        raise InvalidTrainingData("a Rasa JSON training file needs a top-level 'rasa_nlu_data' object",
                                  location=str(path), hint='start the file with {"rasa_nlu_data": {...}}')
    data = TrainingData(sources=[str(path)])
    for index, entry in enumerate(nlu.get("common_examples") or []):
        where = f"{path}: common_examples[{index}]"
        if not isinstance(entry, dict) or not entry.get("text"):
            raise InvalidTrainingData("an example needs a 'text'", location=where, hint='write {"text": ..., "intent": ...}')
        entities = []
        for entity in entry.get("entities") or []:
            start, end = int(entity["start"]), int(entity["end"])
            entities.append({**entity, ENTITY_START: start, ENTITY_END: end,
                             ENTITY_VALUE: entity.get("value", entry["text"][start:end])})
        message = _example(str(entry["text"]), str(entry.get("intent") or ""), entities, where, entry.get("metadata"))
        data.training_examples.append(message)
        _add_inline_synonyms(data, message)
    for entry in nlu.get("entity_synonyms") or []:
        for synonym in entry.get("synonyms") or []:
            data.entity_synonyms[str(synonym)] = str(entry["value"])
    data.regex_features.extend({"name": r["name"], "pattern": r["pattern"]} for r in nlu.get("regex_features") or [])
    data.lookup_tables.extend({"name": t["name"], "elements": list(t.get("elements") or [])}
                              for t in nlu.get("lookup_tables") or [])
    return data


def read_rasa_markdown(path: Path) -> TrainingData:
    """Rasa 1.x/2.x Markdown: `## intent:name`, `## synonym:value`, `## regex:name`, `## lookup:name`."""
    text = _MD_COMMENT.sub(lambda match: "\n" * match.group(0).count("\n"), path.read_text(encoding="utf-8"))
    data = TrainingData(sources=[str(path)])
    section: tuple[str, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        where = location(path, number)
        if line.startswith("#"):
            match = _MD_SECTION.match(line)
            if not match:
                raise InvalidTrainingData(f"unknown section '{line.strip()}'", location=where,
                                          hint="sections are '## intent:NAME', '## synonym:VALUE', "
                                               "'## regex:NAME' or '## lookup:NAME'")
            section = (match.group(1), match.group(2))
            continue
        item = _MD_ITEM.match(line)
        if not item:
            if line.strip():
                raise InvalidTrainingData(f"'{line.strip()}' is not a '- ' list item", location=where,
                                          hint="write each example on its own line starting with '- '")
            continue
        if section is None:
            raise InvalidTrainingData("an example before any '## intent:' section", location=where,
                                      hint="put '## intent:NAME' above the examples")
        kind, name = section
        value = item.group(1).strip()
        if kind == "intent":
            example_text, entities = parse_entity_markup(value, where)
            message = _example(example_text, name, entities, where)
            data.training_examples.append(message)
            _add_inline_synonyms(data, message)
        elif kind == "synonym":
            data.entity_synonyms[value] = name
        elif kind == "regex":
            data.regex_features.append({"name": name, "pattern": value})
        else:
            table = next((t for t in data.lookup_tables if t["name"] == name), None)
            if table is None:
                table = {"name": name, "elements": []}
                data.lookup_tables.append(table)
            table["elements"].append(value)
    return data
