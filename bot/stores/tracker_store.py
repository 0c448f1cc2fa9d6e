"""The `TrackerStore` protocol and `create_tracker_store` for endpoints.yml's `tracker_store:`.

A tracker store is an append-only log of events per conversation (sender id). It never
rewrites what it stored, except when a client replaces a conversation's events as a whole
(`PUT /conversations/{id}/tracker/events`, `replace_events`); reading a conversation starts at its latest `session_started`
event unless the caller asks for the whole history (export, annotation).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.shared.errors import BotError, InvalidEndpoints

DEFAULT_SQLITE_PATH = Path(".bot") / "tracker.db"

# Async drivers for the dialect names Rasa users write in endpoints.yml.
# SQLite runs in the store's own thread (sync driver); PostgreSQL through asyncpg.
_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


@runtime_checkable
class TrackerStore(Protocol):
    """Where conversations are kept: an append-only list of Rasa-shaped event dicts per sender."""

    async def append_events(self, sender_id: str, events: Sequence[Mapping[str, Any]],
                            expected_seq: int | None = None) -> int:
        """Appends events (dicts with an "event" key, or `Event`s) to the end of a conversation.

        Returns the conversation's sequence number after them: its events are numbered 1, 2, ...
        With `expected_seq`, appends only if the conversation is still at that number and raises
        `ConcurrentAppend` (writing nothing) otherwise.
        """
        ...

    async def replace_events(self, sender_id: str, events: Sequence[Mapping[str, Any]]) -> int:
        """Makes `events` the conversation's only events, in one step; returns its last seq.

        Every event is checked first: a bad one raises `BotError` and the stored conversation stays as
        it was. The new events are numbered on from the old last seq, skipping one number: whoever holds
        a tracker up to the old seq (another process's cache, a web chat client) then sees a gap instead
        of "just newer events", and reads the conversation again.
        """
        ...

    async def get_events(self, sender_id: str, *, since_last_session_start: bool = True) -> list[dict[str, Any]]:
        """The conversation's events, from its latest `session_started` on (or all of them); [] if unknown."""
        ...

    async def read_since(self, sender_id: str, after_seq: int | None) -> tuple[list[dict[str, Any]], int]:
        """Events numbered above `after_seq` (None: from the latest session start) and the last number.

        With the number of a tracker already in hand this is one cheap read: usually nothing new.
        An unknown conversation gives ([], 0).
        """
        ...

    async def conversation_ids(self) -> list[str]:
        """Every sender id with at least one stored event."""
        ...

    async def count_conversations(self) -> int:
        """How many conversations are stored."""
        ...

    async def close(self) -> None:
        """Releases connections; the store must not be used afterwards."""
        ...


def create_tracker_store(
    endpoint_config: Mapping[str, Any] | Any | None,
    base_dir: str | Path = ".",
    *,
    location: str | None = None,
) -> TrackerStore:
    """Builds the store endpoints.yml asks for; without a `tracker_store:` an SQLite file under base_dir.

    `type: in_memory` also gets the embedded SQLite store, so nothing is lost on restart;
    tests that want a store without files use `InMemoryTrackerStore` directly.
    `endpoint_config` is the section as a dict or as `bot.shared.endpoints.EndpointConfig`;
    `location` ("endpoints.yml:12", else the EndpointConfig's own) is put into errors. `type:` is
    looked up in bot/stores/registry.py (a dotted path loads the project's own store class).
    """
    from bot.stores.registry import build_store, store_class

    config, location = endpoint_section(endpoint_config, location)
    store_type = str(config.get("type") or "in_memory").strip()
    cls = store_class("tracker_store", store_type, location=location)
    return build_store(cls, config, endpoint_config, location=location, base_dir=Path(base_dir))  # type: ignore[no-any-return]


def endpoint_section(section: Any, location: str | None = None) -> tuple[dict[str, Any], str | None]:
    """An endpoints.yml section (dict or EndpointConfig, which keeps extra keys in `kwargs`) as a
    plain dict, and where it was written."""
    if section is None:
        return {}, location
    if isinstance(section, Mapping):
        return dict(section), location
    data = {key: getattr(section, key) for key in ("type", "url") if getattr(section, key, None) is not None}
    data.update(getattr(section, "kwargs", None) or {})
    return data, location or getattr(section, "location", None)


def sqlite_url(path: Path) -> URL:
    """The SQLAlchemy URL of an SQLite database file."""
    return URL.create("sqlite", database=str(path))


def sql_url_from_endpoint(config: Mapping[str, Any], base_dir: Path, *, location: str | None = None) -> URL:
    """Maps Rasa's SQL keys (dialect, url=host, port, db, username, password, query) to an async URL.

    `url` may also be a full database URL ("postgresql://user@host/db"), which wins over the rest.
    """
    raw_url = config.get("url")
    if raw_url and "://" in str(raw_url):
        try:
            url = make_url(str(raw_url))
        except ArgumentError:
            raise InvalidEndpoints(
                f"tracker_store url '{raw_url}' is not a database URL.", location=location,
                hint="Write it like postgresql://user:password@host:5432/dbname.",
            ) from None
        dialect = url.get_backend_name()
    else:
        url = None
        dialect = str(config.get("dialect") or "sqlite").lower()
    driver = _DRIVERS.get(dialect)
    if driver is None:
        raise InvalidEndpoints(
            f"tracker_store dialect '{dialect}' is not supported.",
            location=location,
            hint="Use `dialect: postgresql` or `dialect: sqlite`.",
        )
    if url is not None:
        url = url.set(drivername=driver)
    elif driver.startswith("sqlite"):
        url = URL.create(driver, database=str(config.get("db") or DEFAULT_SQLITE_PATH))
    else:
        port = config.get("port")
        url = URL.create(
            driver,
            username=config.get("username"),
            password=None if config.get("password") is None else str(config.get("password")),
            host=str(raw_url or "localhost"),
            port=int(port) if port not in (None, "") else None,
            database=str(config.get("db") or "rasa"),
            query={str(k): str(v) for k, v in (config.get("query") or {}).items()},
        )
    if driver.startswith("sqlite") and url.database and url.database != ":memory:":
        path = Path(url.database)
        url = url.set(database=str(path if path.is_absolute() else base_dir / path))
    return url


def serialise_event(sender_id: str, item: Any) -> tuple[dict[str, Any], str]:
    """An event (dict or `Event`) as a fresh dict with a timestamp, and as JSON text; BotError if it is not one."""
    as_dict = getattr(item, "as_dict", None)
    data = as_dict() if callable(as_dict) else dict(item)
    if not isinstance(data.get("event"), str):
        raise BotError(
            f"Cannot store {data!r} in conversation '{sender_id}': an event needs an \"event\" key naming its type.",
            hint="Append Rasa-shaped event dicts (Event.as_dict()).",
        )
    if data.get("timestamp") is None:
        data["timestamp"] = time.time()
    try:
        text = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise BotError(
            f"Cannot store a '{data['event']}' event of conversation '{sender_id}': {error}.",
            hint="Event values must be JSON (str, number, bool, None, list, dict).",
        ) from error
    return data, text
