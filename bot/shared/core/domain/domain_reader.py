"""Domain YAML -> one plain dict: reading a file or a directory tree, checking shapes with
line numbers, and merging several files the way Rasa does."""

from __future__ import annotations

import difflib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.shared.core.domain.constants import (
    ALL_TOP_KEYS,
    DOMAIN_KEYS,
    KEY_ACTIONS,
    KEY_CONFIG,
    KEY_E2E_ACTIONS,
    KEY_ENTITIES,
    KEY_FORMS,
    KEY_INTENTS,
    KEY_RESPONSES,
    KEY_SESSION_CONFIG,
    KEY_SLOTS,
    KEY_VERSION,
)
from bot.shared.errors import BotError, InvalidDomain, location
from bot.shared.yaml_io import line_of, read_yaml_file, to_plain

YAML_SUFFIXES = (".yml", ".yaml")
# (section, name) -> "file:line", so errors found after merging can still point at the source.
Locations = dict[tuple[str, str], str]


class DomainWarning(UserWarning):
    """Something Rasa accepts with a warning (duplicates across files, unused declarations ...)."""


@dataclass
class DomainData:
    """A domain as plain data plus where each named item was declared."""

    data: dict[str, Any] = field(default_factory=dict)
    locations: Locations = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


def warn(message: str, where: str | None = None) -> None:
    warnings.warn(f"{where}: {message}" if where else message, DomainWarning, stacklevel=3)


def item_name(item: Any) -> str:
    """Name of a list entry written either as `- name` or as `- name: {...}`."""
    if isinstance(item, dict) and len(item) == 1:
        return str(next(iter(item)))
    return str(item)


def is_domain_file(path: str | Path) -> bool:
    """True for a readable YAML file with at least one domain section (Rasa's test)."""
    path = Path(path)
    if path.suffix not in YAML_SUFFIXES or not path.is_file():
        return False
    try:
        content = read_yaml_file(path)
    except BotError as error:
        warn(f"could not be read as a domain file, skipped ({error.message})", error.location or str(path))
        return False
    return isinstance(content, dict) and any(key in content for key in DOMAIN_KEYS)


def read_domain_file(path: str | Path) -> DomainData:
    """Reads and shape-checks one domain file."""
    path = Path(path)
    node = read_yaml_file(path)
    if node is None:
        return DomainData(sources=[str(path)])
    if not isinstance(node, dict):
        raise InvalidDomain("a domain file must be a mapping of sections (intents, slots, responses ...)",
                            location=location(path, line_of(node)),
                            hint="start the file with 'version: \"3.1\"' and top-level keys such as 'intents:'")
    locations: Locations = {}
    _check_sections(node, path, locations)
    return DomainData(to_plain(node), locations, [str(path)])


def read_domain_directory(path: str | Path) -> DomainData:
    """Merges every domain file below `path` (recursively, in sorted order)."""
    combined = DomainData()
    for root, dirs, files in os.walk(path, followlinks=True):
        dirs.sort()
        for file_name in sorted(files):
            full_path = Path(root) / file_name
            if is_domain_file(full_path):
                combined = merge_domain_data(combined, read_domain_file(full_path))
    return combined


def read_domain_path(path: str | Path) -> DomainData:
    path = Path(path)
    if path.is_dir():
        return read_domain_directory(path)
    if path.is_file():
        return read_domain_file(path)
    raise InvalidDomain(f"domain not found: {path}", hint="pass the path of domain.yml or of a directory of "
                                                          "domain files")


# -- per-file shape checks --------------------------------------------------------------------------

def _check_sections(node: dict[str, Any], path: Path, locations: Locations) -> None:
    for key in node:
        if key not in ALL_TOP_KEYS:
            close = difflib.get_close_matches(str(key), ALL_TOP_KEYS, n=1)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            warn(f"unknown top-level key '{key}' is ignored{guess}", location(path, line_of(node, key)))
    version = node.get(KEY_VERSION)
    if version is not None and not str(version).startswith("3"):
        warn(f"domain format version '{version}' is not a Rasa 3.x version; reading it as 3.1",
             location(path, line_of(node, KEY_VERSION)))
    expected = {KEY_INTENTS: list, KEY_ENTITIES: list, KEY_ACTIONS: list, KEY_E2E_ACTIONS: list,
                KEY_SLOTS: dict, KEY_RESPONSES: dict, KEY_FORMS: dict, KEY_SESSION_CONFIG: dict, KEY_CONFIG: dict}
    for key, kind in expected.items():
        value = node.get(key)
        if value is not None and not isinstance(value, kind):
            shape = "a list ('- item' lines)" if kind is list else "a mapping ('name:' keys)"
            raise InvalidDomain(f"'{key}' must be {shape}, not {type(value).__name__}",
                                location=location(path, line_of(node, key)),
                                hint=f"indent the entries of '{key}' as {shape}")
    for section in (KEY_INTENTS, KEY_ENTITIES, KEY_ACTIONS):
        _check_named_list(node.get(section) or [], section, path, locations)
    for section in (KEY_SLOTS, KEY_RESPONSES, KEY_FORMS):
        mapping = node.get(section) or {}
        for name in mapping:
            locations[(section, str(name))] = location(path, line_of(mapping, name)) or str(path)
    _check_session_config(node.get(KEY_SESSION_CONFIG), node, path)
    config = node.get(KEY_CONFIG) or {}
    flag = config.get("store_entities_as_slots")
    if flag is not None and not isinstance(flag, bool):
        raise InvalidDomain("'store_entities_as_slots' must be true or false",
                            location=location(path, line_of(config, "store_entities_as_slots")),
                            hint="write 'store_entities_as_slots: true'")


def _check_named_list(items: list[Any], section: str, path: Path, locations: Locations) -> None:
    singular = {KEY_INTENTS: "intent", KEY_ENTITIES: "entity", KEY_ACTIONS: "action"}[section]
    seen: dict[str, int | None] = {}
    for index, item in enumerate(items):
        where = location(path, line_of(items, index))
        if isinstance(item, dict):
            if len(item) != 1:
                raise InvalidDomain(f"{singular} entry {to_plain(item)!r} must have exactly one name", location=where,
                                    hint=f"write '- {singular}_name: {{...}}' with one name per list item")
            name, properties = next(iter(item.items()))
            if properties is None or not isinstance(properties, dict):
                raise InvalidDomain(
                    f"{singular} '{name}' is followed by ':' but has no properties", location=where,
                    hint=f"remove the ':' after '{name}', or indent its properties below it")
        elif not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise InvalidDomain(f"invalid {singular} entry {to_plain(item)!r}", location=where,
                                hint=f"write each {singular} as '- name'")
        name = item_name(item)
        if name in seen:
            first = location(path, seen[name])
            raise InvalidDomain(
                f"duplicate {singular} '{name}' (first declared at {first})", location=where,
                hint=f"{section} must be unique within a file: remove or rename one of them")
        seen[name] = line_of(items, index)
        locations.setdefault((section, name), where or str(path))


def _check_session_config(config: Any, node: dict[str, Any], path: Path) -> None:
    if not config:
        return
    expiration = config.get("session_expiration_time")
    if expiration is not None and (isinstance(expiration, bool) or not isinstance(expiration, (int, float))
                                   or expiration < 0):
        raise InvalidDomain(f"session_expiration_time must be a number of minutes >= 0, not {expiration!r}",
                            location=location(path, line_of(config, "session_expiration_time")),
                            hint="write e.g. 'session_expiration_time: 60' (0 disables sessions)")
    carry = config.get("carry_over_slots_to_new_session")
    if carry is not None and not isinstance(carry, bool):
        raise InvalidDomain("carry_over_slots_to_new_session must be true or false",
                            location=location(path, line_of(config, "carry_over_slots_to_new_session")),
                            hint="write 'carry_over_slots_to_new_session: true'")


# -- merging ------------------------------------------------------------------------------------------

def merge_domain_data(first: DomainData, second: DomainData, warn_duplicates: bool = True) -> DomainData:
    """Combines two domains: lists are unioned, dicts merged; on a clash the first one wins
    (with a warning naming both places), as Rasa does for a domain directory."""
    merged = dict(first.data)
    other = second.data
    locations = dict(second.locations)
    locations.update(first.locations)  # earlier declarations win, so they are what errors point at
    for section in (KEY_INTENTS, KEY_ENTITIES, KEY_ACTIONS):
        known = {item_name(item) for item in merged.get(section) or []}
        extra = []
        for item in other.get(section) or []:
            name = item_name(item)
            if name in known:
                if warn_duplicates and section != KEY_ACTIONS:  # repeated actions are harmless
                    _warn_duplicate(section, name, first, second)
                continue
            known.add(name)
            extra.append(item)
        if extra or section in merged or section in other:
            merged[section] = list(merged.get(section) or []) + extra
    for section in (KEY_SLOTS, KEY_RESPONSES, KEY_FORMS):
        combined = dict(merged.get(section) or {})
        for name, value in (other.get(section) or {}).items():
            if name in combined:
                if warn_duplicates:
                    _warn_duplicate(section, name, first, second)
                continue
            combined[name] = value
        if combined or section in merged or section in other:
            merged[section] = combined
    e2e = list(merged.get(KEY_E2E_ACTIONS) or [])
    e2e += [text for text in other.get(KEY_E2E_ACTIONS) or [] if text not in e2e]
    if e2e:
        merged[KEY_E2E_ACTIONS] = e2e
    if other.get(KEY_SESSION_CONFIG) is not None:
        if merged.get(KEY_SESSION_CONFIG) is None:
            merged[KEY_SESSION_CONFIG] = other[KEY_SESSION_CONFIG]
        elif warn_duplicates and merged[KEY_SESSION_CONFIG] != other[KEY_SESSION_CONFIG]:
            warn(f"session_config in {', '.join(second.sources)} differs from the one already read from "
                 f"{', '.join(first.sources)}; the first one is used")
    config = dict(other.get(KEY_CONFIG) or {})
    config.update(merged.get(KEY_CONFIG) or {})
    if config:
        merged[KEY_CONFIG] = config
    if KEY_VERSION not in merged and KEY_VERSION in other:
        merged[KEY_VERSION] = other[KEY_VERSION]
    return DomainData(merged, locations, first.sources + second.sources)


def _warn_duplicate(section: str, name: str, first: DomainData, second: DomainData) -> None:
    here = second.locations.get((section, name))
    before = first.locations.get((section, name))
    singular = {KEY_INTENTS: "intent", KEY_ENTITIES: "entity", KEY_SLOTS: "slot", KEY_RESPONSES: "response",
                KEY_FORMS: "form"}.get(section, section)
    warn(f"{singular} '{name}' is declared again (first at {before}); the first declaration is used",
         here)
