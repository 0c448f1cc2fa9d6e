"""Persistence: tracker stores (conversation events) and lock stores (one message at a time)."""

from bot.stores.lock_store import InMemoryLockStore, LockError, LockStore, create_lock_store
from bot.stores.memory_tracker_store import InMemoryTrackerStore
from bot.stores.tracker_store import TrackerStore, create_tracker_store

__all__ = [
    "InMemoryLockStore",
    "InMemoryTrackerStore",
    "LockError",
    "LockStore",
    "TrackerStore",
    "create_lock_store",
    "create_tracker_store",
]
