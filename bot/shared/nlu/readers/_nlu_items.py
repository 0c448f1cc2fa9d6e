"""The items under `nlu:`: intents, synonyms, regexes and lookup tables, each with line numbers."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

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
from bot.shared.yaml_io import line_of, to_plain

logger = logging.getLogger(__name__)

EXAMPLES = "examples"
# The key that says what an item is, and the other keys that item may have (Rasa's nlu schema).
ITEM_KEYS: dict[str, frozenset[str]] = {
    "intent": frozenset({"intent", EXAMPLES, METADATA}),
    "synonym": frozenset({"synonym", EXAMPLES}),
    "regex": frozenset({"regex", EXAMPLES}),
    "lookup": frozenset({"lookup", EXAMPLES}),
}
_BLOCK_HINT = "write one example per line, each starting with '- ', under 'examples: |'"


@dataclass
class ReadContext:
    """What the item readers share while reading one file."""

    source: str
    base_dir: Path | None
    data: TrainingData = field(default_factory=TrainingData)
    # where each synonym was defined, to point at both places when two definitions clash
    synonym_locations: dict[str, str | None] = field(default_factory=dict)

    def where(self, line: int | None) -> str | None:
        return location(self.source, line)


def read_nlu_item(item: Any, index: int, parent: Any, context: ReadContext) -> None:
    """Reads one entry of the `nlu:` list into context.data."""
    item_line = line_of(parent, index)
    if not isinstance(item, dict):
        raise InvalidTrainingData(
            f"entries under 'nlu:' must be mappings like '- intent: greet', found {to_plain(item)!r}",
            location=context.where(item_line), hint="start the entry with '- intent:', '- synonym:', '- regex:' or '- lookup:'",
        )
    kinds = [key for key in ITEM_KEYS if key in item]
    if len(kinds) != 1:
        _raise_unknown_item(item, kinds, item_line, context)
    kind = kinds[0]
    for key in item:
        if key not in ITEM_KEYS[kind]:
            suggestion = _closest(str(key), ITEM_KEYS[kind])
            raise InvalidTrainingData(
                f"unknown key '{key}' in '{kind}: {item[kind]}'",
                location=context.where(line_of(item, key)),
                hint=(f"did you mean '{suggestion}'?" if suggestion else
                      f"allowed keys here: {', '.join(sorted(ITEM_KEYS[kind]))}"),
            )
    name = item[kind]
    name_line = line_of(item, kind) or item_line
    if name is None or (isinstance(name, str) and not name.strip()):
        raise InvalidTrainingData(f"'{kind}:' has an empty name", location=context.where(name_line),
                                  hint=f"write the name after the key, e.g. '- {kind}: {_EXAMPLE_NAMES[kind]}'")
    if isinstance(name, (dict, list)):
        raise InvalidTrainingData(f"the name of '{kind}:' must be text, found {to_plain(name)!r}",
                                  location=context.where(name_line),
                                  hint=f"write '- {kind}: {_EXAMPLE_NAMES[kind]}' and the examples under 'examples:'")
    name = str(name).strip()
    if kind == "intent":
        _read_intent(item, name, name_line, context)
    else:
        _read_simple_item(kind, item, name, name_line, context)


_EXAMPLE_NAMES = {"intent": "greet", "synonym": "New York City", "regex": "zipcode", "lookup": "city"}


def _closest(word: str, choices: Any) -> str | None:
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _raise_unknown_item(item: dict, kinds: list[str], item_line: int | None, context: ReadContext) -> None:
    if kinds:
        raise InvalidTrainingData(
            f"one entry has several of {', '.join(repr(k) for k in kinds)}",
            location=context.where(item_line),
            hint="start a new '- ' entry for each intent, synonym, regex and lookup table",
        )
    first = next(iter(item), "")
    suggestion = _closest(str(first), ITEM_KEYS)
    raise InvalidTrainingData(
        f"unknown entry '{first}' under 'nlu:'",
        location=context.where(line_of(item, first) or item_line),
        hint=(f"did you mean '{suggestion}'?" if suggestion
              else "entries under 'nlu:' start with 'intent', 'synonym', 'regex' or 'lookup'"),
    )


def _first_content_line(mapping: Any, key: str) -> int | None:
    """1-based line where the text of mapping[key] starts (the line after '|' for block scalars)."""
    try:
        line = mapping.lc.value(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return line_of(mapping, key)
    if isinstance(mapping[key], (LiteralScalarString, FoldedScalarString)):
        return line + 1
    return line


def _block_examples(value: str, first_line: int | None, owner: str, context: ReadContext) -> Iterator[tuple[str, int | None]]:
    """(example, line) for each '- example' line of a block scalar."""
    if isinstance(value, FoldedScalarString):
        # '>' joins the lines, so "- a" and "- b" would silently become one example "a - b".
        raise InvalidTrainingData(f"the examples of {owner} use '>', which joins all lines into one",
                                  location=context.where(first_line - 1 if first_line else None),
                                  hint="write 'examples: |' so that each '- ' line stays its own example")
    for offset, raw in enumerate(value.split("\n")):
        line = raw.strip()
        line_no = first_line + offset if first_line is not None else None
        if not line:
            continue
        if line.startswith("#"):
            # YAML keeps '#' inside a block scalar as text; the author meant a comment.
            logger.warning("%s: '%s' inside the examples of %s is read as a comment and skipped",
                           context.where(line_no), line, owner)
            continue
        if not line.startswith("-"):
            raise InvalidTrainingData(
                f"example line of {owner} does not start with '- ': '{line}'",
                location=context.where(line_no),
                hint=(f"{_BLOCK_HINT}; for an example that spans lines use the list form "
                      "'examples:' + '- text: |'"),
            )
        example = line[1:].strip()
        if not example:
            logger.warning("%s: empty example in %s skipped", context.where(line_no), owner)
            continue
        yield example, line_no


def _read_intent(item: CommentedMap, name: str, name_line: int | None, context: ReadContext) -> None:
    base, response_key = split_retrieval_intent(name)
    if response_key is not None and (not base.strip() or not response_key.strip() or "/" in response_key):
        raise InvalidTrainingData(f"retrieval intent '{name}' needs exactly one '/' with a name on each side",
                                  location=context.where(name_line), hint="write it as '- intent: faq/ask_hours'")
    intent_metadata = to_plain(item.get(METADATA)) if METADATA in item else None
    examples = item.get(EXAMPLES)
    owner = f"intent '{name}'"
    if examples is None or (isinstance(examples, (str, list)) and not examples):
        logger.warning("%s: %s has no examples", context.where(name_line), owner)
        return
    if isinstance(examples, str):
        for text, line in _block_examples(examples, _first_content_line(item, EXAMPLES), owner, context):
            _add_example(text, line, name, intent_metadata, None, context)
    elif isinstance(examples, list):
        for index, entry in enumerate(examples):
            _read_listed_example(entry, line_of(examples, index), examples, index, name, intent_metadata, context)
    else:
        raise InvalidTrainingData(
            f"'examples' of {owner} must be a block of '- ' lines or a list of '- text:' entries",
            location=context.where(line_of(item, EXAMPLES)), hint=f"{_BLOCK_HINT}",
        )


def _read_listed_example(entry: Any, entry_line: int | None, parent: Any, index: int, intent: str,
                         intent_metadata: Any, context: ReadContext) -> None:
    """One `- text: ...` entry (with optional `metadata:`) of an intent's example list."""
    if not isinstance(entry, dict) or "text" not in entry:
        raise InvalidTrainingData(
            f"an entry in the example list of intent '{intent}' has no 'text:'",
            location=context.where(entry_line),
            hint="write list entries as '- text: |' followed by the example (and optional 'metadata:')",
        )
    for key in entry:
        if key not in ("text", METADATA):
            suggestion = _closest(str(key), ("text", METADATA))
            raise InvalidTrainingData(
                f"unknown key '{key}' in an example of intent '{intent}'",
                location=context.where(line_of(entry, key)),
                hint=f"did you mean '{suggestion}'?" if suggestion else "allowed keys: 'text', 'metadata'",
            )
    text = entry["text"]
    line = _first_content_line(entry, "text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidTrainingData(f"an example of intent '{intent}' has empty or non-text 'text:'",
                                  location=context.where(line), hint="write the example text after 'text:'")
    example_metadata = to_plain(entry.get(METADATA)) if METADATA in entry else None
    # Rasa strips only spaces and line breaks around a listed example; inner newlines stay.
    _add_example(text.strip("\n\r "), line, intent, intent_metadata, example_metadata, context)


def _merge_metadata(intent_metadata: Any, example_metadata: Any) -> Any:
    """Intent-level metadata with the example's own metadata on top."""
    if isinstance(intent_metadata, dict) and isinstance(example_metadata, dict):
        return {**intent_metadata, **example_metadata}
    return example_metadata if example_metadata is not None else intent_metadata


def _add_example(markup: str, line: int | None, intent: str, intent_metadata: Any, example_metadata: Any,
                 context: ReadContext) -> None:
    where = context.where(line)
    text, entities = parse_entity_markup(markup, where)
    data: dict[str, Any] = {TEXT: text}
    base, response_key = split_retrieval_intent(intent)
    data[INTENT] = base
    if response_key is not None:
        data[INTENT_RESPONSE_KEY] = intent
    data[ENTITIES] = entities
    metadata = _merge_metadata(intent_metadata, example_metadata)
    if metadata is not None:
        data[METADATA] = metadata
    for entity in entities:
        surface = text[entity[ENTITY_START]:entity[ENTITY_END]]
        if surface != entity[ENTITY_VALUE]:
            add_synonym(surface, entity[ENTITY_VALUE], where, context)
    context.data.training_examples.append(Message(data=data, location=where))


def add_synonym(surface: str, canonical: str, where: str | None, context: ReadContext) -> None:
    """Maps a surface form to its canonical value, warning when it was mapped elsewhere before."""
    synonyms = context.data.entity_synonyms
    previous = synonyms.get(surface)
    if previous is not None and previous != canonical:
        logger.warning("%s: '%s' is a synonym of '%s' here but of '%s' at %s; the later one ('%s') is used",
                       where, surface, canonical, previous, context.synonym_locations.get(surface), canonical)
    synonyms[surface] = canonical
    context.synonym_locations[surface] = where


def _read_simple_item(kind: str, item: CommentedMap, name: str, name_line: int | None, context: ReadContext) -> None:
    """A synonym, regex or lookup table: a name and a block of '- ' lines (or a lookup file)."""
    owner = f"{kind} '{name}'"
    examples = item.get(EXAMPLES)
    if examples is None or (isinstance(examples, str) and not examples.strip()):
        logger.warning("%s: %s has no examples", context.where(name_line), owner)
        return
    if not isinstance(examples, str):
        raise InvalidTrainingData(f"'examples' of {owner} must be a block of '- ' lines",
                                  location=context.where(line_of(item, EXAMPLES)), hint=_BLOCK_HINT)
    first_line = _first_content_line(item, EXAMPLES)
    if kind == "lookup" and _looks_like_file_reference(examples):
        _read_lookup_file(name, examples.strip(), first_line, context)
        return
    for example, line in _block_examples(examples, first_line, owner, context):
        if kind == "synonym":
            add_synonym(example, name, context.where(line), context)
        elif kind == "regex":
            _check_regex(name, example, line, context)
            context.data.regex_features.append({"name": name, "pattern": example})
        else:
            _lookup_table(name, context).append(example)


def _check_regex(name: str, pattern: str, line: int | None, context: ReadContext) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise InvalidTrainingData(f"regex '{name}' has an invalid pattern '{pattern}': {error}",
                                  location=context.where(line),
                                  hint="fix the regular expression (Python 're' syntax)") from None


def _lookup_table(name: str, context: ReadContext) -> list[str]:
    """The element list of lookup table `name` in this file, created on first use (Rasa merges same names)."""
    for table in context.data.lookup_tables:
        if table["name"] == name:
            return table["elements"]
    table = {"name": name, "elements": []}
    context.data.lookup_tables.append(table)
    return table["elements"]


def _looks_like_file_reference(examples: str) -> bool:
    text = examples.strip()
    return "\n" not in text and not text.startswith("-")


def _read_lookup_file(name: str, reference: str, line: int | None, context: ReadContext) -> None:
    """Lookup elements from a text file, one a line; the path is relative to the YAML file or the cwd."""
    candidates = [Path(reference)] if Path(reference).is_absolute() else (
        ([context.base_dir / reference] if context.base_dir is not None else []) + [Path.cwd() / reference])
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise InvalidTrainingData(
            f"lookup table '{name}' refers to file '{reference}', which does not exist "
            f"(looked in: {', '.join(str(p) for p in candidates)})",
            location=context.where(line),
            hint="fix the path (relative to this YAML file or the project folder), or list the elements as '- ' lines",
        )
    try:
        lines = found.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidTrainingData(f"lookup file '{found}' is not UTF-8 text", location=context.where(line),
                                  hint="save the file as UTF-8") from None
    elements = _lookup_table(name, context)
    elements.extend(element.strip() for element in lines if element.strip())
