"""Inline entity annotations in training examples, as Rasa writes them.

Three spellings are read:

- ``[Berlin](city)``                      entity type only, value = the annotated text
- ``[Berlin](city:BER)``                  the old synonym shorthand, value = "BER"
- ``[Berlin]{"entity": "city", "role": "to", "group": "1", "value": "BER"}``

Brackets that are not followed by ``(`` or ``{`` are ordinary text ("transfer from [country]"
occurs in real data), exactly as in Rasa. Markup that was clearly meant as an annotation but
cannot be read raises InvalidTrainingData instead of silently becoming text.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from bot.shared.errors import InvalidTrainingData
from bot.shared.nlu.constants import (
    ENTITY_END,
    ENTITY_GROUP,
    ENTITY_ROLE,
    ENTITY_START,
    ENTITY_TYPE,
    ENTITY_VALUE,
)

# `[text]` directly followed by `(spec)` or `{json body}`. The annotated text may contain neither
# bracket, so in "[a [b](c)" only "[b](c)" is an annotation. The spec and body stop at the first
# closing `)` / `}` (nested braces are not part of Rasa's format either).
_MARKUP = re.compile(r"\[(?P<text>[^\[\]]*)\](?:\((?P<spec>[^)]*)\)|\{(?P<body>[^}]*)\})")
# Where an annotation was attempted: "](" or "]{".
_ATTEMPT = re.compile(r"\][({]")

logger = logging.getLogger(__name__)

_DICT_KEYS = (ENTITY_TYPE, ENTITY_ROLE, ENTITY_GROUP, ENTITY_VALUE)
_FORMAT_HINT = 'write [text](entity), [text](entity:value) or [text]{"entity": "name", "role": "...", "group": "..."}'


# "[card(item)", "[card]item)", "[card](item" : an annotation with one bracket missing.
_UNBALANCED = re.compile(r"\[[^\[\]()]*\([\w:.-]+\)|\[[^\[\]]*\][\w.-]+\)|\[[^\[\]]*\]\([\w:.-]+(?![\w:.)-])")


def unbalanced_markup(text: str) -> str | None:
    """The part of `text` that looks like an entity annotation with a bracket missing, or None.

    Rasa reads such text as plain words, so the entity is silently not learnt.
    """
    match = _UNBALANCED.search(text)
    return match.group(0) if match else None


def parse_entity_markup(text: str, location: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Splits an annotated example into plain text and entity dicts.

    Each entity is {"start", "end", "value", "entity"} plus "role"/"group" when given; start and
    end index the returned plain text. `location` ("file:line") is put into errors.
    """
    # Fast path: most examples carry no annotation at all.
    if "](" not in text and "]{" not in text:
        return text, []

    plain_parts: list[str] = []
    entities: list[dict[str, Any]] = []
    consumed = 0  # index in `text` up to which everything is copied
    plain_length = 0
    for match in _MARKUP.finditer(text):
        _reject_broken_attempts(text, consumed, match.start(), location)
        before = text[consumed:match.start()]
        plain_parts.append(before)
        plain_length += len(before)
        surface = match.group("text")
        entity = _entity_from_match(match, surface, location)
        if not surface.strip():
            raise InvalidTrainingData(
                f"entity annotation '{match.group(0)}' marks no text",
                location=location, hint="put the words the entity covers inside the brackets: [Berlin](city)",
            )
        start = plain_length
        plain_parts.append(surface)
        plain_length += len(surface)
        entities.append(_build_entity(start, plain_length, entity))
        consumed = match.end()
    _reject_broken_attempts(text, consumed, len(text), location)
    plain_parts.append(text[consumed:])
    return "".join(plain_parts), entities


def _build_entity(start: int, end: int, attributes: dict[str, Any]) -> dict[str, Any]:
    entity = {
        ENTITY_START: start,
        ENTITY_END: end,
        ENTITY_VALUE: attributes[ENTITY_VALUE],
        ENTITY_TYPE: attributes[ENTITY_TYPE],
    }
    for key in (ENTITY_ROLE, ENTITY_GROUP):
        if attributes.get(key) is not None:
            entity[key] = attributes[key]
    return entity


def _entity_from_match(match: re.Match[str], surface: str, location: str | None) -> dict[str, Any]:
    """Entity type, value, role and group from the `(...)` or `{...}` part of one annotation."""
    spec = match.group("spec")
    if spec is not None:
        name, colon, value = spec.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            raise InvalidTrainingData(
                f"entity annotation '{match.group(0)}' has no entity name",
                location=location, hint=f"name the entity inside the parentheses: [{surface}](city)",
            )
        if colon and not value:
            raise InvalidTrainingData(
                f"entity annotation '{match.group(0)}' has an empty value after ':'",
                location=location, hint=f"write [{surface}]({name}) or [{surface}]({name}:canonical value)",
            )
        return {ENTITY_TYPE: name, ENTITY_VALUE: value if colon else surface}
    return _entity_from_json(match.group("body"), match.group(0), surface, location)


def _entity_from_json(body: str, markup: str, surface: str, location: str | None) -> dict[str, Any]:
    try:
        data = json.loads("{" + body + "}")
    except json.JSONDecodeError as error:
        raise InvalidTrainingData(
            f"entity annotation '{markup}' is not valid JSON ({error.msg})",
            location=location,
            hint='use double quotes and commas as in JSON: [Berlin]{"entity": "city", "role": "to"}',
        ) from None
    if ENTITY_TYPE not in data:
        raise InvalidTrainingData(
            f"entity annotation '{markup}' has no \"entity\" key",
            location=location, hint=f'add the entity name: [{surface}]{{"entity": "city", ...}}',
        )
    for key in _DICT_KEYS:
        if key in data and not isinstance(data[key], str):
            raise InvalidTrainingData(
                f"entity annotation '{markup}': \"{key}\" must be a string, not {json.dumps(data[key])}",
                location=location, hint=f'quote the value: "{key}": "{data[key]}"',
            )
    if not data[ENTITY_TYPE].strip():
        raise InvalidTrainingData(f"entity annotation '{markup}' has an empty entity name",
                                  location=location, hint='write "entity": "city"')
    unknown = sorted(set(data) - set(_DICT_KEYS))
    if unknown:
        # Rasa's schema tolerates extra keys, so this is a warning, not an error.
        logger.warning("%s: entity annotation '%s' has key(s) %s that are not read; only "
                       '"entity", "value", "role" and "group" are', location or "<text>", markup,
                       ", ".join(map(repr, unknown)))
    return {
        ENTITY_TYPE: data[ENTITY_TYPE],
        ENTITY_VALUE: data.get(ENTITY_VALUE, surface),
        ENTITY_ROLE: data.get(ENTITY_ROLE),
        ENTITY_GROUP: data.get(ENTITY_GROUP),
    }


def _reject_broken_attempts(text: str, start: int, end: int, location: str | None) -> None:
    """Raises when text between two annotations contains "](" or "]{" that no annotation used.

    That happens with a missing '[', a missing ')' or '}', or an empty "[]": cases where Rasa
    would silently train on the markup as if it were words.
    """
    attempt = _ATTEMPT.search(text, start, end)
    if attempt is None:
        return
    bracket = attempt.group(0)[1]
    closing = ")" if bracket == "(" else "}"
    opening = text.rfind("[", start, attempt.start())
    snippet = text[max(opening, start, attempt.start() - 30):attempt.end() + 30]
    if opening < 0:
        problem, fix = "has no opening '['", "put '[' before the annotated words"
    elif text.find(closing, attempt.end()) < 0:
        problem, fix = f"has no closing '{closing}'", f"close the annotation with '{closing}'"
    else:
        problem, fix = "cannot be read", _FORMAT_HINT
    raise InvalidTrainingData(f"entity annotation near '{snippet}' {problem}", location=location,
                              hint=f"{fix}; {_FORMAT_HINT}" if fix != _FORMAT_HINT else fix)


def to_markup(text: str, entities: list[dict[str, Any]]) -> str:
    """The inverse of parse_entity_markup: writes entities back into text as Rasa markup.

    Uses the short form when there is no role/group, the value equals the text and the name is
    plain; the JSON form otherwise. Raises ValueError for what the format cannot express
    (overlapping spans, brackets in the annotated text, '}' inside the JSON).
    """
    parts: list[str] = []
    position = 0
    for entity in sorted(entities, key=lambda e: e[ENTITY_START]):
        start, end = entity[ENTITY_START], entity[ENTITY_END]
        if start < position:
            raise ValueError(f"entities overlap at {start}: markup cannot express that")
        surface = text[start:end]
        if "[" in surface or "]" in surface:
            raise ValueError(f"annotated text {surface!r} contains a bracket: markup cannot express that")
        parts.append(text[position:start])
        extras = {k: entity[k] for k in (ENTITY_ROLE, ENTITY_GROUP) if entity.get(k) is not None}
        value = entity.get(ENTITY_VALUE, surface)
        name = entity[ENTITY_TYPE]
        if not extras and value == surface and _SHORT_NAME.fullmatch(name):
            parts.append(f"[{surface}]({name})")
        else:
            body: dict[str, Any] = {ENTITY_TYPE: name, **extras}
            if value != surface:
                body[ENTITY_VALUE] = value
            encoded = json.dumps(body, ensure_ascii=False)
            if "}" in encoded[1:-1]:
                raise ValueError(f"entity {body} contains '}}': markup cannot express that")
            parts.append(f"[{surface}]{encoded}")
        position = end
    parts.append(text[position:])
    return "".join(parts)


# An entity name the short form `(name)` can carry unchanged.
_SHORT_NAME = re.compile(r"[^\s:()\[\]{}]+(?:[^:()\[\]{}]*[^\s:()\[\]{}])?")
