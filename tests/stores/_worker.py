"""A separate OS process for the store tests: `python _worker.py <job> <json args>`.

Jobs:
- append:   append `count` events one call at a time to one conversation of an SQL store;
- hammer:   take a Redis lock `count` times, check exclusivity in Redis, log the ticket order;
- hold_and_die: take a Redis lock, print "locked", then exit without releasing it;
- wait_and_die: queue for a held Redis lock, print "waiting", then get killed by the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time


async def append(args: dict) -> None:
    from bot.stores.sql_tracker_store import SQLTrackerStore

    store = SQLTrackerStore(args["url"], schema=args.get("schema"))
    await store.count_conversations()  # open (and migrate) before the start signal
    _barrier(args["barrier"], args["parties"])
    for i in range(args["count"]):
        await store.append_events(args["sender"], [{"event": "slot", "name": args["tag"], "value": i}])
    await store.close()


async def hammer(args: dict) -> None:
    import redis.asyncio as aioredis

    from bot.stores.redis_lock_store import RedisLockStore

    store = RedisLockStore.from_url(args["url"], key_prefix=args["prefix"])
    probe = aioredis.Redis.from_url(args["url"])
    prefix = args["prefix"]
    _barrier(args["barrier"], args["parties"])
    for _ in range(args["count"]):
        async with store.lock(args["conversation"], wait_timeout=30, lock_lifetime=10) as held:
            inside = await probe.incr(f"{prefix}probe:inside")
            if inside != 1:
                await probe.incr(f"{prefix}probe:violations")
            await probe.rpush(f"{prefix}probe:order", f"{held.ticket}:{os.getpid()}")
            await asyncio.sleep(random.uniform(0, 0.003))
            await probe.decr(f"{prefix}probe:inside")
        await asyncio.sleep(random.uniform(0, 0.002))
    await probe.aclose()
    await store.close()


async def hold_and_die(args: dict) -> None:
    from bot.stores.redis_lock_store import RedisLockStore

    store = RedisLockStore.from_url(args["url"], key_prefix=args["prefix"])
    async with store.lock(args["conversation"], lock_lifetime=args["lifetime"]):
        print("locked", flush=True)
        os._exit(0)  # a crash: the lock is never released


async def wait_and_die(args: dict) -> None:
    from bot.stores.redis_lock_store import RedisLockStore

    store = RedisLockStore.from_url(args["url"], key_prefix=args["prefix"], waiter_heartbeat=args["heartbeat"])
    task = asyncio.create_task(_enter(store, args["conversation"]))
    await asyncio.sleep(0.2)
    print("waiting", flush=True)
    await task  # blocks until the test kills us


async def _enter(store, conversation: str) -> None:
    async with store.lock(conversation, wait_timeout=60):
        pass


def _barrier(folder: str, parties: int, timeout: float = 60.0) -> None:
    # Start together however long each import took: a clock deadline broke under CI load.
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + timeout
    while len(os.listdir(folder)) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(os.listdir(folder))} of {parties} workers reached the barrier")
        time.sleep(0.005)


if __name__ == "__main__":
    job, raw = sys.argv[1], sys.argv[2]
    asyncio.run(globals()[job](json.loads(raw)))
