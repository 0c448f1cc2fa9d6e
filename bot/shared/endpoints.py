"""endpoints.yml: where trackers, locks, custom actions, events and the handover queue live.

Each section becomes an `EndpointConfig` (Rasa's shape: `type`, `url`, `token`, ... and any
other keys in `kwargs`). A section that is absent is None, meaning "use the embedded default";
the stores/broker layers decide what that default is (SQLite, in-process lock, in-process
actions). `${VAR}` and `${VAR:-default}` are replaced from the environment, as in Rasa.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bot.shared.errors import BotError, InvalidEndpoints, location
from bot.shared.yaml_io import interpolate_env, line_of, read_yaml, read_yaml_file, to_plain

__all__ = ["EndpointConfig", "EndpointsConfig", "load_endpoints", "load_endpoints_text", "SECTIONS"]

logger = logging.getLogger(__name__)

# Rasa's sections plus `handover` (ours: the human handover queue and its notifications).
SECTIONS = ("tracker_store", "lock_store", "action_endpoint", "event_broker", "model", "nlg", "nlu",
            "handover")
_SECTION_ALIASES = {"models": "model", "action_server": "action_endpoint"}
_EXPLICIT_FIELDS = ("type", "url", "params", "headers", "basic_auth", "token", "token_name", "cafile")


class EndpointConfig(BaseModel):
    """One endpoints.yml section. Keys other than the common ones stay in `kwargs`."""

    type: str | None = None
    url: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, Any] = Field(default_factory=dict)
    basic_auth: dict[str, Any] | None = None
    token: str | None = None
    token_name: str = "token"
    cafile: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)
    location: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        """A value by its endpoints.yml key, whether it is a common field or in `kwargs`."""
        if key in _EXPLICIT_FIELDS:
            value = getattr(self, key)
            return default if value is None else value
        return self.kwargs.get(key, default)

    @property
    def type_name(self) -> str | None:
        """`type` lower-cased for comparisons ("SQL" and "sql" are the same store)."""
        return self.type.lower() if self.type else None


class EndpointsConfig(BaseModel):
    """All sections of endpoints.yml; None means the section is absent (embedded default)."""

    tracker_store: EndpointConfig | None = None
    lock_store: EndpointConfig | None = None
    action_endpoint: EndpointConfig | None = None
    event_broker: EndpointConfig | None = None
    model: EndpointConfig | None = None
    nlg: EndpointConfig | None = None
    nlu: EndpointConfig | None = None
    handover: EndpointConfig | None = None
    other: dict[str, Any] = Field(default_factory=dict)  # unknown sections, kept for plug-ins
    source: str | None = None


def load_endpoints(path: str | Path | None) -> EndpointsConfig:
    """Reads endpoints.yml; None or a missing file gives an all-defaults config."""
    if path is None or not Path(path).exists():
        if path is not None:
            logger.info("%s not found; using the embedded defaults for every endpoint", path)
        return EndpointsConfig()
    return _build(read_yaml_file(path), str(path))


def load_endpoints_text(text: str, source: str = "<string>") -> EndpointsConfig:
    """Reads endpoints YAML from a string; `source` names it in errors."""
    return _build(read_yaml(text, source), source)


def _build(content: Any, source: str | None) -> EndpointsConfig:
    config = EndpointsConfig(source=source)
    if content is None:
        return config
    if not isinstance(content, dict):
        raise InvalidEndpoints("endpoints.yml must be a mapping of sections such as 'action_endpoint:'",
                               location=location(source, line_of(content)),
                               hint="write 'action_endpoint:' with 'url: http://localhost:5055/webhook' below it")
    for key, section in content.items():
        where = location(source, line_of(content, key))
        name = _SECTION_ALIASES.get(str(key), str(key))
        if name == "version":
            continue
        if name not in SECTIONS:
            match = difflib.get_close_matches(name, SECTIONS, n=1, cutoff=0.7)
            if match:
                raise InvalidEndpoints(f"unknown section '{key}'", location=where,
                                       hint=f"did you mean '{match[0]}'?")
            logger.info("%s: section '%s' is not used by the framework; kept for plug-ins", where, key)
            config.other[str(key)] = _interpolate(section, source, line_of(content, key))
            continue
        if name != key:
            logger.warning("%s: section '%s' is spelled '%s' in Rasa", where, key, name)
        setattr(config, name, _section(name, section, source, line_of(content, key)))
    return config


def _interpolate(value: Any, source: str | None, line: int | None) -> Any:
    try:
        return to_plain(interpolate_env(value, source, line))
    except InvalidEndpoints:
        raise
    except BotError as error:  # interpolate_env raises the base class; keep its location and fix
        raise InvalidEndpoints(error.message, location=error.location, hint=error.hint) from None


def _section(name: str, section: Any, source: str | None, line: int | None) -> EndpointConfig | None:
    where = location(source, line)
    if section is None:
        return None  # "tracker_store:" with nothing below: same as absent
    if not isinstance(section, dict):
        raise InvalidEndpoints(f"section '{name}' must be a mapping, not {type(section).__name__} ({section!r})",
                               location=where,
                               hint=f"write keys under it, e.g. '{name}:' then '  type: ...' / '  url: ...'")
    values = _interpolate(section, source, line)
    kwargs = {key: value for key, value in values.items() if key not in _EXPLICIT_FIELDS}
    fields: dict[str, Any] = {}
    for key in _EXPLICIT_FIELDS:
        if key not in values or values[key] is None:
            continue
        value = values[key]
        key_where = location(source, line_of(section, key) or line)
        if key in ("params", "headers", "basic_auth"):
            if not isinstance(value, dict):
                raise InvalidEndpoints(f"'{name}.{key}' must be a mapping", location=key_where,
                                       hint=f"write '{key}:' with 'name: value' lines below it")
        elif isinstance(value, (dict, list)):
            raise InvalidEndpoints(f"'{name}.{key}' must be a single value", location=key_where,
                                   hint=f"write '{key}: value'")
        else:
            value = str(value)
        fields[key] = value
    return EndpointConfig(**fields, kwargs=kwargs, location=where)
