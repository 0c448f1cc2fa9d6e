"""config.yml: language, NLU pipeline and policies, with Rasa 3's defaults for missing parts."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bot.shared.errors import InvalidConfig, location
from bot.shared.yaml_io import line_of, read_yaml, read_yaml_file, to_plain

__all__ = ["ProjectConfig", "load_config", "load_config_text", "DEFAULT_PIPELINE", "DEFAULT_POLICIES"]

logger = logging.getLogger(__name__)

DEFAULT_RECIPE = "default.v1"
PLACEHOLDER_ASSISTANT_ID = "placeholder_default"

# Rasa 3's default_config.yml, used where config.yml leaves `pipeline` or `policies` empty.
DEFAULT_PIPELINE: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]

_KNOWN_KEYS = {"recipe", "language", "assistant_id", "pipeline", "policies", "version"}
# Keys Rasa accepts but that mean nothing here (graph recipe, server-side training data, spaces).
_IGNORED_KEYS = {"data", "importers", "spaces", "train_schema", "predict_schema", "nlu_target",
                 "core_target"}


class ProjectConfig(BaseModel):
    """The contents of config.yml after defaults are filled in."""

    recipe: str = DEFAULT_RECIPE
    language: str = "en"
    assistant_id: str | None = None
    pipeline: list[dict[str, Any]] = Field(default_factory=lambda: copy.deepcopy(DEFAULT_PIPELINE))
    policies: list[dict[str, Any]] = Field(default_factory=lambda: copy.deepcopy(DEFAULT_POLICIES))
    auto_filled: list[str] = Field(default_factory=list)  # "pipeline" and/or "policies"
    source: str | None = None
    pipeline_locations: list[str | None] = Field(default_factory=list)  # "file:line" per component
    policy_locations: list[str | None] = Field(default_factory=list)

    def nlu_fingerprint(self) -> str:
        """Hash of what the NLU model depends on in the config: language and pipeline."""
        return _hash({"language": self.language, "pipeline": self.pipeline})

    def core_fingerprint(self) -> str:
        """Hash of what the dialogue model depends on in the config: the policies."""
        return _hash({"policies": self.policies})

    def fingerprint(self) -> dict[str, str]:
        """{"nlu": ..., "core": ...}: compare part by part to retrain only what changed."""
        return {"nlu": self.nlu_fingerprint(), "core": self.core_fingerprint()}

    @property
    def has_default_assistant_id(self) -> bool:
        return self.assistant_id in (None, PLACEHOLDER_ASSISTANT_ID)


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_config(path: str | Path | None) -> ProjectConfig:
    """Reads config.yml; a missing path (None) gives Rasa's defaults for English."""
    if path is None:
        return _build({}, None)
    path = Path(path)
    if not path.exists():
        raise InvalidConfig(f"config file not found: {path}",
                            hint="create config.yml (`bot init` writes one) or pass --config")
    return _build(read_yaml_file(path), str(path))


def load_config_text(text: str, source: str = "<string>") -> ProjectConfig:
    """Reads config YAML from a string; `source` names it in errors."""
    return _build(read_yaml(text, source), source)


def _build(content: Any, source: str | None) -> ProjectConfig:
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise InvalidConfig("config.yml must be a mapping of keys such as 'language', 'pipeline', 'policies'",
                            location=location(source, line_of(content)),
                            hint="start with 'recipe: default.v1' and 'language: en'")
    _check_keys(content, source)
    recipe = _string(content, "recipe", source, DEFAULT_RECIPE)
    if recipe != DEFAULT_RECIPE:
        raise InvalidConfig(f"recipe '{recipe}' is not supported", location=location(source, line_of(content, "recipe")),
                            hint=f"use 'recipe: {DEFAULT_RECIPE}' with a pipeline and policies "
                                 "(graph recipes are not available here)")
    language = _string(content, "language", source, "en")
    assistant_id = content.get("assistant_id")
    if assistant_id is not None:
        assistant_id = _string(content, "assistant_id", source, None)
    config = ProjectConfig(recipe=recipe, language=language, assistant_id=assistant_id, source=source)
    for key, default in (("pipeline", DEFAULT_PIPELINE), ("policies", DEFAULT_POLICIES)):
        items, locations = _components(content, key, source)
        if not items:
            items, locations = copy.deepcopy(default), [None] * len(default)
            config.auto_filled.append(key)
        setattr(config, key, items)
        setattr(config, "pipeline_locations" if key == "pipeline" else "policy_locations", locations)
    for key in config.auto_filled:
        names = ", ".join(item["name"] for item in getattr(config, key))
        logger.info("%s: no %s configured; using Rasa's defaults: %s", source or "config", key, names)
    if config.has_default_assistant_id:
        logger.info("%s: 'assistant_id' is missing or the placeholder; set a unique name "
                       "(e.g. 'assistant_id: my_bot') so events from several bots can be told apart",
                       location(source, line_of(content, "assistant_id")) or "config")
    return config


def _check_keys(content: dict, source: str | None) -> None:
    for key in content:
        if key in _KNOWN_KEYS:
            continue
        where = location(source, line_of(content, key))
        if key in _IGNORED_KEYS:
            if content[key] is not None:
                logger.warning("%s: '%s' is a Rasa option this framework ignores", where, key)
            continue
        # Rasa's schema lets unknown keys through, so only warn; a typo still gets a hint.
        match = difflib.get_close_matches(str(key), sorted(_KNOWN_KEYS), n=1, cutoff=0.6)
        suggestion = f"; did you mean '{match[0]}'?" if match else ""
        logger.warning("%s: unknown key '%s' in config is ignored%s", where, key, suggestion)


def _string(content: dict, key: str, source: str | None, default: str | None) -> Any:
    value = content.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidConfig(f"'{key}' must be a string, not {type(value).__name__} ({value!r})",
                            location=location(source, line_of(content, key)),
                            hint=f"quote it: {key}: \"{value}\"")
    return value.strip()


def _components(content: dict, key: str, source: str | None) -> tuple[list[dict], list[str | None]]:
    """Validates a `pipeline:` or `policies:` list; each item is a mapping with a `name`."""
    raw = content.get(key)
    what = "component" if key == "pipeline" else "policy"
    if raw is None:
        return [], []
    where = location(source, line_of(content, key))
    if isinstance(raw, str):
        raise InvalidConfig(f"'{key}: {raw}' names a template; Rasa 3 needs a list of {what}s", location=where,
                            hint=f"list each {what}: '- name: WhitespaceTokenizer' (or leave '{key}:' empty "
                                 "for the defaults)")
    if not isinstance(raw, list):
        raise InvalidConfig(f"'{key}' must be a list of {what}s", location=where,
                            hint=f"write '- name: ...' items under '{key}:'")
    items, locations = [], []
    for index, item in enumerate(raw):
        item_where = location(source, line_of(raw, index) or line_of(content, key))
        if not isinstance(item, dict):
            raise InvalidConfig(f"each {what} in '{key}' must be a mapping with 'name', not {item!r}",
                                location=item_where, hint=f"write '- name: {item}'" if isinstance(item, str)
                                else f"write '- name: ...' for each {what}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidConfig(f"a {what} in '{key}' has no 'name'", location=item_where,
                                hint=f"add 'name: <{what} class>' to this item, e.g. '- name: "
                                     f"{'WhitespaceTokenizer' if key == 'pipeline' else 'RulePolicy'}'")
        plain = to_plain(item)
        plain["name"] = name.strip()
        items.append(plain)
        locations.append(item_where)
    return items, locations
