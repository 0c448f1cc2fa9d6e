"""Per-conversation locks, so one conversation handles one message at a time, in arrival order.

    async with lock_store.lock(sender_id):
        tracker = ...; run the turn; save

Waiters draw tickets and are served first come, first served. A holder keeps the lock at most
`lock_lifetime` seconds; after that the next ticket is served, so a crashed or stuck process
cannot block a conversation forever. A waiter gives up with `LockError` after `wait_timeout`.

The lifetime is what a conversation of a process that died (kill -9) waits on the survivors, so it
is configurable: endpoints.yml `lock_store: {lock_lifetime: 20}` or, as in Rasa, the environment
variable TICKET_LOCK_LIFETIME; it must exceed the longest turn (custom actions included). A wait
longer than `long_wait` seconds (default 5) is logged, so such stalls are not silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bot.shared.errors import BotError, InvalidEndpoints

logger = logging.getLogger(__name__)

DEFAULT_LOCK_LIFETIME = 60.0
DEFAULT_WAIT_TIMEOUT = 60.0
DEFAULT_LONG_WAIT = 5.0  # seconds of waiting for a lock that are logged
LIFETIME_VARIABLE = "TICKET_LOCK_LIFETIME"  # Rasa's name for the same setting
DEFAULT_KEY_PREFIX = "lock:"


class LockError(BotError):
    """A conversation's lock could not be had in time."""


@dataclass
class TicketLock:
    """What `lock()` yields: the conversation, its ticket number and when the lease ends."""

    conversation_id: str
    ticket: int
    lock_lifetime: float
    acquired_at: float = field(default=0.0)


@runtime_checkable
class LockStore(Protocol):
    """Hands out FIFO, expiring locks per conversation id."""

    def lock(
        self,
        conversation_id: str,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        lock_lifetime: float | None = None,
    ) -> AbstractAsyncContextManager[TicketLock]:
        """Waits for the conversation's lock (LockError after `wait_timeout` s); holds it until exit.

        `lock_lifetime` None: the store's configured lifetime."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


@dataclass
class _Queue:
    """One conversation's tickets in this process."""

    next_ticket: int = 1
    waiting: list[int] = field(default_factory=list)
    holder: int | None = None
    holder_deadline: float = 0.0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class InMemoryLockStore:
    """Locks for a single process (asyncio); use `RedisLockStore` when several processes serve."""

    def __init__(self, *, lock_lifetime: float | None = None, long_wait: float = DEFAULT_LONG_WAIT) -> None:
        self._queues: dict[str, _Queue] = {}
        self.lock_lifetime = lock_lifetime if lock_lifetime is not None else configured_lock_lifetime()
        self.long_wait = long_wait

    @classmethod
    def from_endpoint(cls, config: Mapping[str, Any], *, location: str | None = None) -> InMemoryLockStore:
        """From endpoints.yml's `lock_store:` keys (lock_lifetime, long_wait)."""
        return cls(lock_lifetime=configured_lock_lifetime(config, location), long_wait=_long_wait(config, location))

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        *,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        lock_lifetime: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """See `LockStore.lock`."""
        lock_lifetime = self.lock_lifetime if lock_lifetime is None else lock_lifetime
        loop = asyncio.get_running_loop()
        asked_at = loop.time()
        queue = self._queues.setdefault(conversation_id, _Queue())
        ticket = queue.next_ticket
        queue.next_ticket += 1
        queue.waiting.append(ticket)
        give_up_at = loop.time() + wait_timeout
        async with queue.changed:
            try:
                while True:
                    now = loop.time()
                    if queue.holder is not None and now >= queue.holder_deadline:
                        logger.warning(
                            "Lock of conversation '%s' (ticket %s) outlived its %.1f s lifetime; serving the next.",
                            conversation_id, queue.holder, lock_lifetime,
                        )
                        queue.holder = None
                    if queue.holder is None and queue.waiting[0] == ticket:
                        queue.waiting.pop(0)
                        queue.holder, queue.holder_deadline = ticket, now + lock_lifetime
                        break
                    if now >= give_up_at:
                        raise _timeout(conversation_id, wait_timeout)
                    timeout = give_up_at - now
                    if queue.holder is not None:
                        timeout = min(timeout, queue.holder_deadline - now)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(queue.changed.wait(), max(timeout, 0.0))
            except BaseException:
                # Timed out or cancelled while waiting: leave the line so the next can go.
                queue.waiting.remove(ticket)
                self._after_change(conversation_id, queue)
                raise
        note_wait(conversation_id, loop.time() - asked_at, self.long_wait, lock_lifetime)
        try:
            yield TicketLock(conversation_id, ticket, lock_lifetime, acquired_at=loop.time())
        finally:
            async with queue.changed:
                if queue.holder == ticket:
                    queue.holder = None
                else:
                    logger.warning("Lock of conversation '%s' expired before its holder finished.", conversation_id)
                self._after_change(conversation_id, queue)

    def _after_change(self, conversation_id: str, queue: _Queue) -> None:
        queue.changed.notify_all()
        if queue.holder is None and not queue.waiting and self._queues.get(conversation_id) is queue:
            del self._queues[conversation_id]

    async def close(self) -> None:
        """Nothing to release."""


def configured_lock_lifetime(config: Mapping[str, Any] | None = None, location: str | None = None) -> float:
    """endpoints.yml's `lock_lifetime`, else TICKET_LOCK_LIFETIME, else 60 s."""
    raw: Any = (config or {}).get("lock_lifetime")
    source = "lock_store: lock_lifetime"
    if raw is None:
        raw, source = os.environ.get(LIFETIME_VARIABLE), LIFETIME_VARIABLE
    if raw is None or raw == "":
        return DEFAULT_LOCK_LIFETIME
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InvalidEndpoints(f"{source} must be a positive number of seconds, not '{raw}'.", location=location,
                               hint="e.g. 20: longer than your slowest turn, short enough to wait after a crash")
    return value


def _long_wait(config: Mapping[str, Any], location: str | None) -> float:
    raw = config.get("lock_wait_warning", DEFAULT_LONG_WAIT)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise InvalidEndpoints(f"lock_store: lock_wait_warning must be a number of seconds, not '{raw}'.",
                               location=location) from None


def note_wait(conversation_id: str, waited: float, long_wait: float, lock_lifetime: float) -> None:
    """Logs a wait for a lock longer than `long_wait` seconds: usually a holder that died or a slow turn."""
    if waited >= long_wait:
        logger.warning("Conversation '%s' waited %.1f s for its lock (lock lifetime %g s): a process holding it "
                       "may have died, or a turn is slow. Lower lock_store: lock_lifetime (TICKET_LOCK_LIFETIME) "
                       "to recover sooner from crashes.", conversation_id, waited, lock_lifetime)


def _timeout(conversation_id: str, wait_timeout: float) -> LockError:
    return LockError(
        f"Conversation '{conversation_id}' stayed locked for {wait_timeout:g} s.",
        hint="Another message of this conversation is still being handled; retry, or raise the wait time.",
    )


def create_lock_store(endpoint_config: Mapping[str, Any] | Any | None, *, location: str | None = None) -> LockStore:
    """Builds the lock store endpoints.yml's `lock_store:` asks for (in_memory by default, or redis).

    `endpoint_config` is the section as a dict or as `bot.shared.endpoints.EndpointConfig`.
    """
    from bot.stores.registry import build_store, store_class
    from bot.stores.tracker_store import endpoint_section

    config, location = endpoint_section(endpoint_config, location)
    store_type = str(config.get("type") or "in_memory").strip()
    return build_store(store_class("lock_store", store_type, location=location), config, endpoint_config,  # type: ignore[no-any-return]
                       location=location)
