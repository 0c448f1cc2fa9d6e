"""Turns the plain domain dict into intents, entities, slots, forms and actions, checking
what only makes sense once every file is merged (undefined slots, missing mappings ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.shared.core.domain.constants import (
    DEFAULT_INTENTS,
    ENTITY_FEATURIZATION_KEY,
    ENTITY_GROUPS_KEY,
    ENTITY_LABEL_SEPARATOR,
    ENTITY_ROLES_KEY,
    IGNORE_ENTITIES_KEY,
    KEY_ENTITIES,
    KEY_INTENTS,
    KEY_SLOTS,
    USE_ENTITIES_KEY,
    USED_ENTITIES_KEY,
)
from bot.shared.core.domain.domain_reader import Locations, item_name, warn
from bot.shared.core.domain.slot_mappings import FROM_ENTITY, parse_mapping
from bot.shared.core.domain.slots import Slot, slot_from_dict
from bot.shared.errors import InvalidDomain

_MAPPINGS_HINT = (
    "Rasa 3.x needs a 'mappings' list on every slot, e.g.\n"
    "  slots:\n    {slot}:\n      type: {type}\n      mappings:\n        - type: from_entity\n"
    "          entity: {slot}\n"
    "use '- type: custom' when a custom action or form validation sets it")


@dataclass
class EntityInfo:
    """Declared entities with their roles, groups and which ones stay out of the dialogue state."""

    names: list[str] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    not_featurized: list[str] = field(default_factory=list)


def concatenate_labels(labels: dict[str, list[str]], entity: str | None = None) -> list[str]:
    """`entity#role` names, which let roles and groups influence the dialogue like entities."""
    return [f"{name}{ENTITY_LABEL_SEPARATOR}{label}" for name, values in labels.items()
            if entity is None or name == entity for label in values]


def parse_entities(raw: list[Any], locations: Locations) -> EntityInfo:
    info = EntityInfo()
    for item in raw:
        name = item_name(item)
        where = locations.get((KEY_ENTITIES, name))
        if name in info.names:
            raise InvalidDomain(f"duplicate entity '{name}'", location=where,
                                hint="declare each entity once")
        info.names.append(name)
        if not isinstance(item, dict):
            continue
        properties = item[name] or {}
        if not isinstance(properties, dict):
            raise InvalidDomain(f"entity '{name}' is followed by ':' but has no properties", location=where,
                                hint=f"remove the ':' after '{name}', or indent roles/groups below it")
        unknown = set(properties) - {ENTITY_ROLES_KEY, ENTITY_GROUPS_KEY, ENTITY_FEATURIZATION_KEY}
        if unknown:
            raise InvalidDomain(f"entity '{name}' has unknown key(s) {sorted(unknown)}", location=where,
                                hint="an entity may have 'roles', 'groups' and 'influence_conversation'")
        for key, target in ((ENTITY_ROLES_KEY, info.roles), (ENTITY_GROUPS_KEY, info.groups)):
            if properties.get(key):
                if not isinstance(properties[key], list):
                    raise InvalidDomain(f"entity '{name}': '{key}' must be a list", location=where,
                                        hint=f"write '{key}:' followed by '- name' lines")
                target[name] = [str(v) for v in properties[key]]
        if properties.get(ENTITY_FEATURIZATION_KEY) is False:
            info.not_featurized.append(name)
    return info


def parse_intents(raw: list[Any], entities: EntityInfo,
                  locations: Locations) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Returns (intent properties for the engine, the intents as declared for `as_dict`)."""
    properties: dict[str, dict[str, Any]] = {}
    declared: dict[str, Any] = {}
    for item in raw:
        name = item_name(item)
        where = locations.get((KEY_INTENTS, name))
        if name in properties:
            raise InvalidDomain(f"intents are not unique: '{name}' is listed twice", location=where,
                                hint="remove or rename the duplicate intent")
        given = dict(item[name] or {}) if isinstance(item, dict) else {}
        for key in (USE_ENTITIES_KEY, IGNORE_ENTITIES_KEY):
            if key in given and not given[key]:
                given[key] = []  # null / false / [] all mean "none"
        declared[name] = given if isinstance(item, dict) else None
        properties[name] = _intent_properties(name, given, entities, where)
    for name in DEFAULT_INTENTS:
        if name not in properties:
            properties[name] = _intent_properties(name, {}, entities, None)
    return properties, declared


def _intent_properties(name: str, given: dict[str, Any], entities: EntityInfo,
                       where: str | None) -> dict[str, Any]:
    use = given.get(USE_ENTITIES_KEY, True)
    ignore = given.get(IGNORE_ENTITIES_KEY, entities.not_featurized) or []
    if use is not True and not isinstance(use, list):
        raise InvalidDomain(f"intent '{name}': 'use_entities' must be true, false or a list", location=where,
                            hint="write 'use_entities: true' or a list of entity names")
    if use is True:
        included = set(entities.names) - set(entities.not_featurized)
        included |= set(concatenate_labels(entities.roles)) | set(concatenate_labels(entities.groups))
    else:
        included = set(use)
        for entity in use:
            included |= set(concatenate_labels(entities.roles, entity) + concatenate_labels(entities.groups, entity))
    excluded = set(ignore)
    for entity in ignore:
        excluded |= set(concatenate_labels(entities.roles, entity) + concatenate_labels(entities.groups, entity))
    if isinstance(use, list) and included & excluded:
        warn(f"intent '{name}' both uses and ignores {sorted(included & excluded)}; ignoring wins", where)
    # Rasa 3.6's schema allows any key on an intent (`is_retrieval_intent`, `triggers`, a project's
    # own): they are kept as properties, only the entity keys turn into `used_entities`.
    result: dict[str, Any] = {key: value for key, value in given.items()
                              if key not in (USE_ENTITIES_KEY, IGNORE_ENTITIES_KEY)}
    result[USED_ENTITIES_KEY] = sorted(included - excluded)
    return result


def parse_slots(raw: dict[str, Any], entities: EntityInfo, locations: Locations) -> list[Slot]:
    slots = []
    for name, data in raw.items():
        where = locations.get((KEY_SLOTS, name))
        if not isinstance(data, dict):
            raise InvalidDomain(f"slot '{name}' must be a mapping with 'type' and 'mappings'", location=where,
                                hint=_MAPPINGS_HINT.format(slot=name, type="text"))
        if "type" not in data:
            raise InvalidDomain(f"slot '{name}' has no 'type'", location=where,
                                hint="add 'type:' with one of text, bool, categorical, float, list, any")
        mappings_raw = data.get("mappings")
        if mappings_raw is None or mappings_raw == []:
            raise InvalidDomain(f"slot '{name}' has no 'mappings'", location=where,
                                hint=_MAPPINGS_HINT.format(slot=name, type=data.get("type")))
        if not isinstance(mappings_raw, list):
            raise InvalidDomain(f"slot '{name}': 'mappings' must be a list", location=where,
                                hint=_MAPPINGS_HINT.format(slot=name, type=data.get("type")))
        mappings = [parse_mapping(m, name, where) for m in mappings_raw]
        for mapping in mappings:
            if mapping.type == FROM_ENTITY and mapping.entity not in entities.names:
                warn(f"slot '{name}' is mapped from entity '{mapping.entity}', which is not declared under "
                     f"'entities:'; the slot will never be filled from it", where)
        slots.append(slot_from_dict(name, data, mappings, where))
    return slots


def parse_actions(raw: list[Any]) -> tuple[list[str], list[str]]:
    """Returns (action names, names that asked for `send_domain: true`)."""
    names, send_domain = [], []
    for item in raw:
        name = item_name(item)
        names.append(name)
        if isinstance(item, dict) and (item[name] or {}).get("send_domain") is True:
            send_domain.append(name)
    return names, send_domain
