"""Entities <-> BILOU tags over tokens, for sequence-labelling extractors (DIET).

Tag format, one tag per token:

- ``"U-city"``  a one-token entity of type ``city`` (Unit)
- ``"B-city"``  first token of a longer entity (Begin)
- ``"I-city"``  a middle token (Inside)
- ``"L-city"``  last token (Last)
- ``"O"``       no entity (Outside)

"Berlin to New York" with city entities -> ``["U-city", "O", "B-city", "L-city"]``.

Roles and groups are tagged the same way in their own tag sequences: pass
``attribute="role"`` (or ``"group"``) to label each entity by its role instead of its type;
entities without that attribute become ``"O"``. Plain tags without a prefix (``"city"``)
are accepted when decoding: neighbouring tokens with the same plain tag form one entity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.shared.nlu.constants import (
    ENTITY_CONFIDENCE,
    ENTITY_END,
    ENTITY_GROUP,
    ENTITY_GROUP_CONFIDENCE,
    ENTITY_ROLE,
    ENTITY_ROLE_CONFIDENCE,
    ENTITY_START,
    ENTITY_TYPE,
    ENTITY_VALUE,
)
from bot.shared.nlu.message import Token
from bot.shared.nlu.training_data import TrainingData

__all__ = [
    "NO_ENTITY_TAG",
    "BEGIN",
    "INSIDE",
    "LAST",
    "UNIT",
    "bilou_prefix",
    "tag_without_prefix",
    "entities_to_bilou",
    "bilou_to_entities",
    "ensure_consistent_bilou",
    "build_tag_id_dict",
]

NO_ENTITY_TAG = "O"
BEGIN, INSIDE, LAST, UNIT = "B", "I", "L", "U"
_PREFIXES = (BEGIN, INSIDE, LAST, UNIT)

# which confidence key belongs to which tagged attribute in a decoded entity
_CONFIDENCE_KEY = {
    ENTITY_TYPE: ENTITY_CONFIDENCE,
    ENTITY_ROLE: ENTITY_ROLE_CONFIDENCE,
    ENTITY_GROUP: ENTITY_GROUP_CONFIDENCE,
}


def bilou_prefix(tag: str) -> str | None:
    """"B-city" -> "B"; "O" or "city" -> None."""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIXES:
        return tag[0]
    return None


def tag_without_prefix(tag: str) -> str:
    """"B-city" -> "city"; "O" -> "O"; "city" -> "city"."""
    return tag[2:] if bilou_prefix(tag) else tag


def _token_span(tokens: Sequence[Token], start: int, end: int) -> list[int]:
    """Indices of tokens overlapping the character span [start, end)."""
    return [i for i, token in enumerate(tokens) if token.start < end and token.end > start]


def entities_to_bilou(
    tokens: Sequence[Token], entities: Sequence[Mapping[str, Any]], attribute: str = ENTITY_TYPE
) -> list[str]:
    """One BILOU tag per token for `entities`, labelled by `entity[attribute]`.

    A token belongs to an entity when its characters overlap the entity's span, so an
    entity that cuts a token ("Berlin" in "Berlin's") still tags that token. Entities
    lacking `attribute` (e.g. no role) leave their tokens "O". When entities overlap,
    the first one wins.
    """
    tags = [NO_ENTITY_TAG] * len(tokens)
    for entity in entities:
        label = entity.get(attribute)
        if not label:
            continue
        indices = [i for i in _token_span(tokens, entity[ENTITY_START], entity[ENTITY_END])
                   if tags[i] == NO_ENTITY_TAG]
        if not indices:
            continue
        if len(indices) == 1:
            tags[indices[0]] = f"{UNIT}-{label}"
            continue
        tags[indices[0]] = f"{BEGIN}-{label}"
        for i in indices[1:-1]:
            tags[i] = f"{INSIDE}-{label}"
        tags[indices[-1]] = f"{LAST}-{label}"
    return tags


def ensure_consistent_bilou(tags: Sequence[str], confidences: Sequence[float] | None = None) -> list[str]:
    """Repairs predicted tag sequences so that every entity reads B (I...) L or U.

    A span that mixes types ("B-city", "L-country") gets the type of its most confident
    token (the first one when confidences are missing); stray I-/L- without a B- open a span.
    """
    fixed = list(tags)
    i = 0
    while i < len(fixed):
        prefix = bilou_prefix(fixed[i])
        if prefix is None:
            i += 1
            continue
        # collect the span starting here: continues over I-/L- tags until L-, U-, B- or O
        j = i
        if prefix in (BEGIN, INSIDE):
            while j + 1 < len(fixed) and bilou_prefix(fixed[j + 1]) in (INSIDE, LAST):
                j += 1
                if bilou_prefix(fixed[j]) == LAST:
                    break
        span = range(i, j + 1)
        if confidences is not None:
            best = max(span, key=lambda k: confidences[k])
        else:
            best = i
        label = tag_without_prefix(fixed[best])
        if len(span) == 1:
            fixed[i] = f"{UNIT}-{label}"
        else:
            fixed[i] = f"{BEGIN}-{label}"
            for k in span[1:-1]:
                fixed[k] = f"{INSIDE}-{label}"
            fixed[j] = f"{LAST}-{label}"
        i = j + 1
    return fixed


# What may stand between two tokens of one entity when it is not split by comma ("Allee 175, 10119").
_JOINING_CHARACTERS = frozenset(".,; ")
# Rasa's split_entities_by_comma: true, or per entity type with true for the types not named.
SplitByComma = bool | Mapping[str, bool]


def tokens_join(text: str, previous: Token, token: Token, label: str, split_by_comma: SplitByComma) -> bool:
    """Whether two neighbouring tokens tagged with the same entity type form one entity (Rasa's rule).

    Tokens at most one character apart always do. Up to three characters apart, all of them from
    ".,; ", they do only when the type is not split by comma; anything wider starts a new entity.
    """
    gap = token.start - previous.end
    if gap <= 1:
        return True
    split = split_by_comma if isinstance(split_by_comma, bool) else split_by_comma.get(label, True)
    return gap <= 3 and set(text[previous.end:token.start]) <= _JOINING_CHARACTERS and not split


def _spans(tags: Sequence[str], joins: Any = None) -> list[tuple[int, int, str]]:
    """(first token, last token, label) of each entity in a tag sequence.

    `joins(i, label)`, when given, says whether token i may continue the entity of token i - 1.
    """
    spans: list[tuple[int, int, str]] = []
    open_span: list[Any] | None = None  # [first, last, label]
    for i, tag in enumerate(tags):
        prefix = bilou_prefix(tag)
        label = tag_without_prefix(tag)
        if tag == NO_ENTITY_TAG or not tag:
            open_span = None
            continue
        continues = (
            open_span is not None
            and open_span[2] == label
            and open_span[1] == i - 1
            and (prefix in (INSIDE, LAST) or prefix is None)
            and (joins is None or joins(i, label))
        )
        if continues:
            assert open_span is not None
            open_span[1] = i
        else:
            open_span = [i, i, label]
            spans.append(open_span)  # type: ignore[arg-type]
        if prefix in (LAST, UNIT):
            open_span = None
    return [tuple(span) for span in spans]  # type: ignore[misc]


def _as_mapping(value: Any, default_key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return {default_key: value}


def bilou_to_entities(
    tokens: Sequence[Token],
    tags: Sequence[str] | Mapping[str, Sequence[str]],
    confidences: Sequence[float] | Mapping[str, Sequence[float]] | None,
    text: str,
    split_by_comma: SplitByComma = True,
) -> list[dict[str, Any]]:
    """Entities (Rasa's dicts) from per-token tags.

    `tags` is either the entity-type tags (a list) or a mapping attribute -> tags, e.g.
    ``{"entity": [...], "role": [...], "group": [...]}``; `confidences` likewise (or None).
    Each entity gets entity, start, end, value (the text slice), confidence_entity
    (the lowest token confidence in its span), and role/group with their confidences when
    the role/group tags mark the entity's tokens. The caller adds "extractor".
    Tokens of one tag span that stand apart in the text become separate entities as
    `split_by_comma` says (see `tokens_join`).
    """
    tags_by_attr = _as_mapping(tags, ENTITY_TYPE)
    conf_by_attr = _as_mapping(confidences, ENTITY_TYPE)
    entity_tags = list(tags_by_attr.get(ENTITY_TYPE, []))
    if len(entity_tags) != len(tokens):
        raise ValueError(f"{len(entity_tags)} entity tags for {len(tokens)} tokens")

    entities: list[dict[str, Any]] = []
    def joins(i: int, label: str) -> bool:
        return tokens_join(text, tokens[i - 1], tokens[i], label, split_by_comma)

    for first, last, label in _spans(entity_tags, joins):
        start, end = tokens[first].start, tokens[last].end
        entity: dict[str, Any] = {
            ENTITY_TYPE: label,
            ENTITY_START: start,
            ENTITY_END: end,
            ENTITY_VALUE: text[start:end],
        }
        type_confidences = conf_by_attr.get(ENTITY_TYPE)
        if type_confidences is not None:
            entity[ENTITY_CONFIDENCE] = float(min(type_confidences[first : last + 1]))
        for attribute in (ENTITY_ROLE, ENTITY_GROUP):
            attr_tags = tags_by_attr.get(attribute)
            if not attr_tags:
                continue
            labelled = [
                (k, tag_without_prefix(attr_tags[k]))
                for k in range(first, last + 1)
                if attr_tags[k] and attr_tags[k] != NO_ENTITY_TAG
            ]
            if not labelled:
                continue
            attr_confidences = conf_by_attr.get(attribute)
            if attr_confidences is not None:
                k, value = max(labelled, key=lambda item: attr_confidences[item[0]])
                entity[_CONFIDENCE_KEY[attribute]] = float(attr_confidences[k])
            else:
                value = labelled[0][1]
            entity[attribute] = value
        entities.append(entity)
    return entities


def build_tag_id_dict(training_data: TrainingData, attribute: str = ENTITY_TYPE) -> dict[str, int]:
    """Tag vocabulary {"O": 0, "B-city": 1, "I-city": 2, ...} for `attribute`; empty when unused."""
    labels = sorted(
        {e[attribute] for m in training_data.training_examples for e in m.entities if e.get(attribute)}
    )
    if not labels:
        return {}
    tag_ids = {NO_ENTITY_TAG: 0}
    for label in labels:
        for prefix in _PREFIXES:
            tag_ids[f"{prefix}-{label}"] = len(tag_ids)
    return tag_ids
