"""The `Event` base class, the registry of event names and `Event.from_dict`."""

from __future__ import annotations

import dataclasses
import difflib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, dataclass_transform

from bot.shared.errors import BotError

EventDict = dict[str, Any]

# Rasa's name for an event -> its class; filled by `register_event`.
_REGISTRY: dict[str, type[Event]] = {}
# Names Rasa wrote in older versions: parsed into the modern class (see `_aliases`).
_ALIASES: dict[str, type[Event]] = {}

E = TypeVar("E", bound="Event")


class InvalidEvent(BotError):
    """A serialised event cannot be read (unknown name, missing or malformed field)."""


@dataclass(eq=False)
class Event:
    """Something that happened in a conversation, serialised exactly as Rasa serialises it.

    Subclasses declare their payload as dataclass fields; `_json_keys` renames a field
    where Rasa's JSON key differs from the attribute name (e.g. `SlotSet.key` -> "name").
    Equality ignores `timestamp` and `metadata` (two "greet" messages are the same step).
    """

    type_name: ClassVar[str] = "event"
    _json_keys: ClassVar[dict[str, str]] = {}

    timestamp: float = field(default_factory=time.time, kw_only=True)
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        # rasa_sdk helpers send explicit nulls; treat them like "not given".
        if self.timestamp is None:
            self.timestamp = time.time()
        if self.metadata is None:
            self.metadata = {}

    # -- serialisation -------------------------------------------------------------------

    def as_dict(self) -> EventDict:
        """The event as Rasa's JSON object (`{"event": ..., "timestamp": ..., ...}`)."""
        data: EventDict = {"event": self.type_name, "timestamp": self.timestamp}
        if self.metadata:
            data["metadata"] = self.metadata
        data.update(self._payload())
        return data

    def _payload(self) -> EventDict:
        """The event-specific keys of `as_dict`; default: every own field, renamed by `_json_keys`."""
        return {self._json_keys.get(f.name, f.name): getattr(self, f.name) for f in _own_fields(type(self))}

    @classmethod
    def _from_payload(cls: type[E], data: EventDict, where: str | None) -> E:
        """Builds the event from its JSON object; default: the inverse of `_payload`."""
        kwargs: dict[str, Any] = {}
        for f in _own_fields(cls):
            key = cls._json_keys.get(f.name, f.name)
            if key in data:
                kwargs[f.name] = data[key]
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InvalidEvent(
                    f"Event '{cls.type_name}' needs the key '{key}'.",
                    location=where,
                    hint=f"Add \"{key}\" to the event object.",
                )
        return cls(**kwargs, **envelope(data))

    @staticmethod
    def from_dict(data: EventDict, *, location: str | None = None) -> Event:
        """Parses one event in Rasa's JSON shape, dispatching on its "event" key."""
        if not isinstance(data, dict):
            raise InvalidEvent(
                f"An event must be an object with an \"event\" key, not {type(data).__name__}.",
                location=location,
            )
        name = data.get("event")
        event_class = _REGISTRY.get(name) or _ALIASES.get(name)  # type: ignore[arg-type]
        if event_class is None:
            known = sorted(_REGISTRY)
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"Did you mean '{close[0]}'? " if close else ""
            raise InvalidEvent(
                f"Unknown event name '{name}'." if name is not None else "The event has no \"event\" key.",
                location=location,
                hint=f"{hint}Known events: {', '.join(known)}.",
            )
        return event_class._from_payload(data, location)

    # -- comparison ----------------------------------------------------------------------

    def _eq_key(self) -> Any:
        """What equality and hashing look at: the payload, without timestamp and metadata."""
        return self._payload()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event) or other.type_name != self.type_name:
            return NotImplemented
        return _canonical(self._eq_key()) == _canonical(other._eq_key())

    def __hash__(self) -> int:
        return hash((self.type_name, _canonical(self._eq_key())))

    def fingerprint(self) -> str:
        """A stable text key of the event's content (everything except the timestamp)."""
        data = self.as_dict()
        del data["timestamp"]
        return _canonical(data)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _own_fields(cls: type[Event]) -> list[dataclasses.Field]:
    """The dataclass fields a subclass adds to the base (the event's payload)."""
    return [f for f in dataclasses.fields(cls) if f.name not in ("timestamp", "metadata")]


@dataclass_transform(eq_default=False, field_specifiers=(field,))
def register_event(cls: type[E]) -> type[E]:
    """Class decorator: makes `cls` a dataclass and registers it under its `type_name`."""
    cls = dataclass(eq=False)(cls)
    if cls.type_name in _REGISTRY:
        raise RuntimeError(f"Two event classes claim the name '{cls.type_name}'.")
    _REGISTRY[cls.type_name] = cls
    return cls


def envelope(data: EventDict) -> dict[str, Any]:
    """The `timestamp` and `metadata` of a serialised event, as keyword arguments (absent or null: defaults)."""
    return {key: data[key] for key in ("timestamp", "metadata") if data.get(key) is not None}


def register_alias(name: str, cls: type[Event]) -> None:
    """Lets `from_dict` read an old event name into a modern class (e.g. "form" -> ActiveLoop)."""
    _ALIASES[name] = cls


def event_names() -> list[str]:
    """Every event name `from_dict` understands (without legacy aliases)."""
    return sorted(_REGISTRY)


def events_from_dicts(items: Iterable[EventDict], *, location: str | None = None) -> list[Event]:
    """Parses a list of serialised events (e.g. a tracker's "events" or an action server's reply)."""
    return [Event.from_dict(item, location=location) for item in items]
