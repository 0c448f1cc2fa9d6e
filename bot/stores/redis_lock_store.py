"""FIFO conversation locks shared by several processes through Redis.

Per conversation three keys (one hash slot thanks to the `{id}` tag):
- `<prefix>{id}:counter`  INCR hands out ticket numbers;
- `<prefix>{id}:serving`  the ticket whose turn it is;
- `<prefix>{id}:tickets`  sorted set ticket -> expiry (ms, Redis clock): a waiter's entry is
  kept alive by its polling, the holder's runs out `lock_lifetime` after it got the lock.
A ticket whose entry expired (holder or waiter crashed) is skipped by the next poll, so no
dead process blocks a conversation. Every step is one Lua script, so it is atomic, and all
times come from Redis' clock, so the processes' clocks do not matter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.shared.errors import DependencyUnavailable, InvalidEndpoints
from bot.stores.lock_store import (
    DEFAULT_KEY_PREFIX,
    DEFAULT_LONG_WAIT,
    DEFAULT_WAIT_TIMEOUT,
    TicketLock,
    _long_wait,
    _timeout,
    configured_lock_lifetime,
    note_wait,
)

logger = logging.getLogger(__name__)

# A waiter that stops polling (its process died) loses its place after this long.
WAITER_HEARTBEAT = 5.0
_POLL_FIRST, _POLL_MAX = 0.005, 0.05

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
_TOUCH = "for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[#ARGV]) end "

# try(ticket, waiter_ttl_ms, lifetime_ms) -> 1 got it, 0 keep waiting, -1 ticket lost. Skips the
# tickets before ours whose entries expired; takes the lock when it is our turn.
_TRY = """
local function try(mine, waiter_ms, lifetime_ms)
  local score = redis.call('ZSCORE', KEYS[3], mine)
  if (not score) or tonumber(score) <= now then
    redis.call('ZREM', KEYS[3], mine)
    return -1
  end
  local serving = tonumber(redis.call('GET', KEYS[2]) or mine)
  while serving < mine do
    local s = redis.call('ZSCORE', KEYS[3], serving)
    if s and tonumber(s) > now then break end
    if s then redis.call('ZREM', KEYS[3], serving) end
    serving = serving + 1
  end
  redis.call('SET', KEYS[2], serving)
""" + _TOUCH + """
  if serving == mine then
    redis.call('ZADD', KEYS[3], now + lifetime_ms, mine)
    return 1
  end
  if serving > mine then return -1 end
  redis.call('ZADD', KEYS[3], now + waiter_ms, mine)
  return 0
end
"""

# ARGV: waiter_ttl_ms, lifetime_ms, key_ttl_ms -> {new ticket, try(ticket)}: queueing and the
# first try in one round trip, so an uncontended lock costs two scripts (enter, release).
_ENTER = _NOW + _TRY + """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), ticket)
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], ticket) end
return {ticket, try(ticket, tonumber(ARGV[1]), tonumber(ARGV[2]))}"""

# ARGV: ticket, waiter_ttl_ms, lifetime_ms, key_ttl_ms -> try(ticket)
_ACQUIRE = _NOW + _TRY + "return try(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))"

# ARGV: ticket, key_ttl_ms -> 1 if the lease was still valid, else 0
_RELEASE = _NOW + """
local mine = tonumber(ARGV[1])
local score = redis.call('ZSCORE', KEYS[3], mine)
redis.call('ZREM', KEYS[3], mine)
local valid = 0
if tonumber(redis.call('GET', KEYS[2]) or '0') == mine then
  redis.call('SET', KEYS[2], mine + 1)
  if score and tonumber(score) > now then valid = 1 end
end
""" + _TOUCH + "return valid"

# -> 1 if the conversation's keys were deleted (nobody holds or waits for its lock), else 0
_FORGET = """
if redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1"""


class RedisLockStore:
    """Ticket locks in Redis (see the module docstring); safe across processes and machines."""

    def __init__(
        self, client: aioredis.Redis, *, key_prefix: str = DEFAULT_KEY_PREFIX, waiter_heartbeat: float = WAITER_HEARTBEAT,
        lock_lifetime: float | None = None, long_wait: float = DEFAULT_LONG_WAIT,
    ) -> None:
        """`waiter_heartbeat`: how long a waiter that stopped polling keeps its place in line."""
        self.redis = client
        self.lock_lifetime = lock_lifetime if lock_lifetime is not None else configured_lock_lifetime()
        self.long_wait = long_wait
        self.waiter_heartbeat = waiter_heartbeat
        self.key_prefix = key_prefix if key_prefix.endswith(":") else f"{key_prefix}:"
        self._enter = client.register_script(_ENTER)
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._forget = client.register_script(_FORGET)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisLockStore:
        """A store on `redis://[:password@]host:port/db`; options as for the constructor."""
        return cls(aioredis.Redis.from_url(url), **options)

    @classmethod
    def from_endpoint(cls, config: Mapping[str, Any], *, location: str | None = None) -> RedisLockStore:
        """From endpoints.yml keys as Rasa reads them: url (host or redis:// URL), port, db, username,
        password, use_ssl, key_prefix, socket_timeout."""
        prefix = str(config.get("key_prefix") or "").strip()
        if prefix and not prefix.replace("_", "").replace("-", "").isalnum():
            raise InvalidEndpoints(
                f"lock_store key_prefix '{prefix}' may only hold letters, digits, '_' and '-'.", location=location
            )
        key_prefix = f"{prefix}:{DEFAULT_KEY_PREFIX}" if prefix else DEFAULT_KEY_PREFIX
        url = str(config.get("url") or config.get("host") or "localhost")
        timeout = float(config.get("socket_timeout") or 10)
        lifetimes = {"lock_lifetime": configured_lock_lifetime(config, location),
                     "long_wait": _long_wait(config, location)}
        if "://" in url:
            return cls(aioredis.Redis.from_url(url, socket_timeout=timeout), key_prefix=key_prefix, **lifetimes)
        try:
            client = aioredis.Redis(
                host=url,
                port=int(config.get("port") or 6379),
                db=int(config.get("db") or 0),
                username=config.get("username"),
                password=None if config.get("password") is None else str(config.get("password")),
                ssl=bool(config.get("use_ssl", False)),
                socket_timeout=timeout,
            )
        except (TypeError, ValueError) as error:
            raise InvalidEndpoints(f"lock_store: {error}.", location=location) from error
        return cls(client, key_prefix=key_prefix, **lifetimes)

    def _keys(self, conversation_id: str) -> list[str]:
        base = f"{self.key_prefix}{{{conversation_id}}}"
        return [f"{base}:counter", f"{base}:serving", f"{base}:tickets"]

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
        keys = self._keys(conversation_id)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        waiter_ms = max(1, int(min(self.waiter_heartbeat, lock_lifetime) * 1000))
        key_ttl_ms = int((max(lock_lifetime, wait_timeout) + 60) * 1000)
        asked_at = time.monotonic()
        give_up_at = asked_at + wait_timeout
        ticket, state = await self._enter_line(keys, [waiter_ms, lifetime_ms, key_ttl_ms])
        try:
            pause = _POLL_FIRST
            while state != 1:
                if time.monotonic() >= give_up_at:
                    raise _timeout(conversation_id, wait_timeout)
                if state == -1:
                    # Our place expired (this process stalled longer than the heartbeat): queue again.
                    logger.warning("Lost lock ticket %s of conversation '%s'; queueing again.", ticket, conversation_id)
                    ticket, state = await self._enter_line(keys, [waiter_ms, lifetime_ms, key_ttl_ms])
                    continue
                await asyncio.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)
                state = await self._call(self._acquire, keys, [ticket, waiter_ms, lifetime_ms, key_ttl_ms])
        except BaseException:
            # Leave the line (also on cancellation) so the tickets behind us are not held up.
            with contextlib.suppress(RedisError, OSError):
                await asyncio.shield(self._call(self._release, keys, [ticket, key_ttl_ms]))
            raise
        note_wait(conversation_id, time.monotonic() - asked_at, self.long_wait, lock_lifetime)
        try:
            yield TicketLock(conversation_id, ticket, lock_lifetime, acquired_at=time.time())
        finally:
            valid = await asyncio.shield(self._call(self._release, keys, [ticket, key_ttl_ms]))
            if not valid:
                logger.warning(
                    "Lock of conversation '%s' (ticket %s) outlived its %.1f s lifetime; others may have run meanwhile.",
                    conversation_id, ticket, lock_lifetime,
                )

    async def _enter_line(self, keys: list[str], args: list[Any]) -> list[int]:
        """Takes a ticket. Cancelled while the script runs (a client gone), it still leaves the line:
        Redis may have queued the ticket already, and it would hold up the next caller until its
        waiter entry expired (WAITER_HEARTBEAT)."""
        entering = asyncio.ensure_future(self._call(self._enter, keys, args))
        try:
            return await asyncio.shield(entering)
        except asyncio.CancelledError:
            with contextlib.suppress(RedisError, OSError, DependencyUnavailable):
                ticket, _ = await entering
                await self._call(self._release, keys, [ticket, args[-1]])
            raise

    async def forget(self, conversation_id: str) -> bool:
        """Deletes the conversation's lock keys (they carry its id) unless someone holds or awaits its lock;
        those expire on their own shortly after. Returns whether they were deleted."""
        return bool(await self._call(self._forget, self._keys(conversation_id), []))

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """The script's result: an int, or for `_enter` a pair of ints."""
        try:
            result = await script(keys=keys, args=args)
            return [int(value) for value in result] if isinstance(result, list) else int(result)
        except (RedisError, OSError) as error:
            raise DependencyUnavailable(
                "the lock store (Redis)", f"The Redis lock store cannot reach Redis: {error}",
                hint="Check that Redis runs and endpoints.yml's lock_store url/port/password are right.",
            ) from error

    async def close(self) -> None:
        """Closes the Redis connection pool."""
        await self.redis.aclose()
