"""Tracker stores and lock stores by the `type:` endpoints.yml gives them (Rasa's names).

`bot.shared.registry.lookup` resolves a name: these tables, then a project's own class by its dotted
path ("addons.stores.MyTrackerStore"), then Rasa's stores that are not here (with what to use).
A class is built by its `from_endpoint(config, location=..., [base_dir=...])` classmethod, or, for
a class written for Rasa without one, as Rasa builds it: a tracker store with `host=` the section's
`url` and its other keys, a lock store with `endpoint_config=` the section.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from bot.shared.errors import InvalidEndpoints
from bot.shared.registry import lookup

__all__ = ["LOCK_STORES", "TRACKER_STORES", "build_store", "store_class"]


_SQL = "bot.stores.sql_tracker_store:SQLTrackerStore"
_LOCAL_LOCKS = "bot.stores.lock_store:InMemoryLockStore"

TRACKER_STORES: dict[str, str] = {
    "sql": _SQL,
    # Rasa's in-memory store loses conversations on restart; here it is the embedded SQLite file.
    "in_memory": _SQL, "inmemory": _SQL, "memory": _SQL,
}
LOCK_STORES: dict[str, str] = {
    "in_memory": _LOCAL_LOCKS, "inmemory": _LOCAL_LOCKS, "memory": _LOCAL_LOCKS,
    "redis": "bot.stores.redis_lock_store:RedisLockStore",
}
_TABLES = {"tracker_store": (TRACKER_STORES, "tracker store"), "lock_store": (LOCK_STORES, "lock store")}


def store_class(section: str, type_name: str, *, location: str | None = None) -> type:
    """The class of endpoints.yml's `section` ("tracker_store", "lock_store") with `type: type_name`."""
    from bot.stores.lock_store import LockStore
    from bot.stores.tracker_store import TrackerStore

    table, kind = _TABLES[section]
    base = TrackerStore if section == "tracker_store" else LockStore
    # Rasa compares its own store names without case ("SQL"); a class path keeps its case.
    name = type_name if "." in type_name else type_name.lower()
    return lookup(name, table, base, kind=kind, where=f"{section}: ", error=InvalidEndpoints, location=location,
                  set_name=False)


def build_store(cls: type, config: dict[str, Any], section: Any, *, location: str | None = None,
                base_dir: Path | None = None) -> Any:
    """An instance of the store class `cls` for the endpoints.yml section (`config` is it as a dict)."""
    from bot.stores.tracker_store import TrackerStore

    factory = _own_factory(cls)
    if factory is not None:
        accepted = inspect.signature(factory).parameters
        extra = {"base_dir": base_dir} if "base_dir" in accepted and base_dir is not None else {}
        return factory(config, location=location, **extra)
    build: Any = cls  # a project's class: its constructor is Rasa's, not the protocol's
    try:
        if issubclass(cls, TrackerStore):
            options = {key: value for key, value in config.items() if key not in ("type", "url")}
            return build(host=config.get("url"), **options)
        return build(endpoint_config=section)
    except TypeError as error:
        raise InvalidEndpoints(f"cannot build the store '{cls.__module__}.{cls.__name__}': {error}",
                               location=location,
                               hint="give the class a from_endpoint(config, location=None) classmethod, or an "
                                    "__init__ that takes the section's keys (see docs/operator.md)") from None


def _own_factory(cls: type) -> Any:
    """`from_endpoint`, unless a subclass changed `__init__` after it (then it is built as Rasa builds it)."""
    owner = next((klass for klass in cls.__mro__ if "from_endpoint" in vars(klass)), None)
    if owner is None or (owner is not cls and cls.__init__ is not owner.__init__):  # type: ignore[misc]
        return None
    return cls.from_endpoint  # type: ignore[attr-defined]

