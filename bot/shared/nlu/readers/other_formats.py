"""Reading Rasa's older NLU formats: the JSON format (`rasa_nlu_data`) and Rasa 1.x/2.x Markdown."""

from __future__ import annotations

import difflib
import json
import logging
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

logger = logging.getLogger(__name__)

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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InvalidTrainingData(f"not UTF-8 text ({error.reason} at byte {error.start})", location=str(path),
                                  hint="save the file as UTF-8") from None
    return read_rasa_json_text(text, path)


# Rasa 0.x wrote examples under these keys; Rasa 3 reads only common_examples (and ignores them silently)
_OLD_EXAMPLE_KEYS = ("intent_examples", "entity_examples")
_SECTIONS = ("common_examples", "entity_synonyms", "regex_features", "lookup_tables", *_OLD_EXAMPLE_KEYS)
_EXAMPLE_KEYS = ("text", "intent", "entities", "metadata")


def read_rasa_json_text(text: str, path: Path | str = "<json>") -> TrainingData:
    """The same from a string; `path` names it in errors.

    A file Rasa 3 reads is read the same way; anything else is an InvalidTrainingData naming the
    file, the entry (e.g. `common_examples[3].entities[0]`) and what to write instead.
    """
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidTrainingData(f"not valid JSON: {error.msg}", location=location(path, error.lineno),
                                  hint="fix the JSON syntax at that line") from None
    nlu = content.get("rasa_nlu_data") if isinstance(content, dict) else None
    if not isinstance(nlu, dict):
        raise InvalidTrainingData("a Rasa JSON training file needs a top-level 'rasa_nlu_data' object",
                                  location=str(path), hint='start the file with {"rasa_nlu_data": {...}}')
    for key in nlu:
        if key not in _SECTIONS:
            logger.warning("%s: 'rasa_nlu_data.%s' is not a section of Rasa's JSON format and is ignored "
                           "(known: %s)", path, key, ", ".join(_SECTIONS[:4]))
    data = TrainingData(sources=[str(path)])
    unknown: dict[str, list[str]] = {}  # an example's key Rasa ignores -> the examples that have it
    for section in ("common_examples", *_OLD_EXAMPLE_KEYS):
        entries = _section(nlu, section, path)
        if entries and section in _OLD_EXAMPLE_KEYS:
            logger.warning("%s: '%s' is Rasa 0.x's name for examples (Rasa 3 ignores it); its %d examples are "
                           "read as 'common_examples' -- rename the key to keep them in Rasa", path, section,
                           len(entries))
        for index, entry in enumerate(entries):
            message = _json_example(entry, f"{section}[{index}]", path)
            data.training_examples.append(message)
            _add_inline_synonyms(data, message)
            for key in set(entry) - set(_EXAMPLE_KEYS):
                unknown.setdefault(key, []).append(f"{section}[{index}]")
    for key, examples in unknown.items():
        close = difflib.get_close_matches(key, _EXAMPLE_KEYS, n=1)
        logger.warning("%s: %d example(s) have the key '%s', which Rasa ignores%s: %s", path, len(examples), key,
                       f" (did you mean '{close[0]}'?)" if close else "", ", ".join(examples[:5]))
    for index, entry in enumerate(_section(nlu, "entity_synonyms", path)):
        where = f"entity_synonyms[{index}]"
        value = _field(entry, "value", str, where, path, '{"value": "New York", "synonyms": ["NYC", "big apple"]}')
        synonyms = _field(entry, "synonyms", list, where, path, '{"value": "New York", "synonyms": ["NYC"]}')
        for synonym in synonyms:
            data.entity_synonyms[str(synonym)] = value
    for index, entry in enumerate(_section(nlu, "regex_features", path)):
        where = f"regex_features[{index}]"
        example = '{"name": "zipcode", "pattern": "[0-9]{5}"}'
        name = _field(entry, "name", str, where, path, example)
        pattern = _field(entry, "pattern", str, where, path, example)
        try:
            re.compile(pattern)
        except re.error as error:
            raise _bad(f"{where}: the pattern of '{name}' is not a valid regular expression ({error})", path,
                       "fix the pattern (backslashes are written twice in JSON: \\\\d)") from None
        data.regex_features.append({"name": name, "pattern": pattern})
    for index, entry in enumerate(_section(nlu, "lookup_tables", path)):
        where = f"lookup_tables[{index}]"
        name = _field(entry, "name", str, where, path, '{"name": "city", "elements": ["Berlin", "Paris"]}')
        data.lookup_tables.append({"name": name, "elements": _lookup_elements(entry, name, where, path)})
    return data


def _bad(problem: str, path: Path | str, hint: str) -> InvalidTrainingData:
    return InvalidTrainingData(problem, location=str(path), hint=hint)


def _section(nlu: dict[str, Any], key: str, path: Path | str) -> list[Any]:
    value = nlu.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"'rasa_nlu_data.{key}' must be a list, not {type(value).__name__}", path,
                   f'write "{key}": [ ... ] with one object per entry')
    return value


_TYPE_NAMES = {str: "a string", list: "a list", int: "a whole number"}


def _field(entry: Any, key: str, kind: type, where: str, path: Path | str, example: str) -> Any:
    if not isinstance(entry, dict):
        raise _bad(f"{where} must be an object, not {type(entry).__name__}", path, f"write it as {example}")
    if key not in entry:
        raise _bad(f"{where} has no '{key}'", path, f"add it: {example}")
    value = entry[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise _bad(f"{where}.{key} must be {_TYPE_NAMES[kind]}, not {json.dumps(value)[:60]}", path,
                   f"write it as {example}")
    return value


def _json_example(entry: Any, where: str, path: Path | str) -> Message:
    example = '{"text": "flights to Berlin", "intent": "book", "entities": [...]}'
    text = _field(entry, "text", str, where, path, example)
    if not text.strip():
        raise _bad(f"{where}.text is empty", path, "give the example its text, or remove it")
    intent = entry.get("intent")
    if intent is not None and not isinstance(intent, str):
        raise _bad(f"{where}.intent must be a string, not {json.dumps(intent)[:60]}", path,
                   'write "intent": "name_of_the_intent"')
    raw_entities = entry.get("entities") or []
    if not isinstance(raw_entities, list):
        raise _bad(f"{where}.entities must be a list", path,
                   'write "entities": [{"start": 11, "end": 17, "value": "Berlin", "entity": "city"}]')
    entities = [parsed for number, entity in enumerate(raw_entities)
                if (parsed := _json_entity(entity, f"{where}.entities[{number}]", text, path)) is not None]
    return _example(text, intent or "", entities, f"{path}: {where}", entry.get("metadata"))


def _json_entity(entity: Any, where: str, text: str, path: Path | str) -> dict[str, Any] | None:
    """The entity as the reader keeps it, or None for a span outside its text (left out, with a warning)."""
    example = '{"start": 11, "end": 17, "value": "Berlin", "entity": "city"}'
    start = _field(entity, "start", int, where, path, example)
    end = _field(entity, "end", int, where, path, example)
    label = _field(entity, "entity", str, where, path, example)
    value = entity.get("value")
    if not 0 <= start < end <= len(text):
        at = text.find(value) if isinstance(value, str) and value else -1
        hint = (f"'{value}' is at start {at}, end {at + len(value)}" if at >= 0 else
                "start is the index of the entity's first character, end the index after its last")
        # Rasa loads such a file (one of its own test files has one) and trains without the entity,
        # so a project that trains under Rasa trains here too: the entity is left out, loudly
        logger.warning("%s: %s ('%s') spans characters %d-%d, outside the text %s (%d characters); it is left "
                       "out of training. Fix: %s", path, where, label, start, end, json.dumps(text), len(text), hint)
        return None
    surface = text[start:end]
    if surface != surface.strip():  # Rasa takes it; the tokens it covers are still the right ones
        logger.warning("%s: %s ('%s') covers %s, with white space at its edges", path, where, label,
                       json.dumps(surface))
    return {**entity, ENTITY_START: start, ENTITY_END: end, ENTITY_VALUE: value if value is not None else surface}


def _lookup_elements(entry: dict[str, Any], name: str, where: str, path: Path | str) -> list[str]:
    """A lookup table's elements: a list, or (as Rasa allows) the path of a text file, one element a line."""
    elements = entry.get("elements")
    if isinstance(elements, list):
        return [str(element) for element in elements]
    if not isinstance(elements, str):
        raise _bad(f"{where} ('{name}') needs 'elements': a list of strings or the path of a text file", path,
                   '{"name": "city", "elements": ["Berlin", "Paris"]} or "elements": "data/cities.txt"')
    # Rasa resolves the path from the working directory; we also look beside the JSON file (under the
    # path, then under the file's name alone: Rasa's own files name paths from its repository root)
    here = Path(path).parent
    candidates = [Path(elements), here / elements, here / Path(elements).name]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    if found is None:
        raise _bad(f"{where} ('{name}'): the elements file '{elements}' does not exist (looked in the working "
                   f"directory and beside the JSON file)", path,
                   "fix the path, or list the elements in the file itself")
    return [line.strip() for line in found.read_text(encoding="utf-8").splitlines() if line.strip()]


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
