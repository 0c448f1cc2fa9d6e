"""endpoints.yml's `type:` resolves through the shared registry: Rasa's names, and a project's own
store classes by dotted path, imported from the project folder and built as Rasa builds them."""

from __future__ import annotations

import sys

import pytest

from bot.shared.endpoints import load_endpoints_text
from bot.shared.errors import InvalidEndpoints
from bot.stores import create_lock_store, create_tracker_store

STORES = '''
from bot.stores import InMemoryLockStore, InMemoryTrackerStore


class AuditedTrackerStore(InMemoryTrackerStore):
    """Written as for Rasa: built with host= (the section's url) and the section's other keys."""

    def __init__(self, host=None, audit_table="audit", **kwargs):
        super().__init__()
        self.host, self.audit_table, self.extra = host, audit_table, kwargs


class PrefixedLockStore(InMemoryLockStore):
    """Builds itself from the section (our from_endpoint hook)."""

    @classmethod
    def from_endpoint(cls, config, *, location=None):
        store = cls()
        store.prefix = config["prefix"]
        return store


class RasaStyleLockStore(InMemoryLockStore):
    """Written as for Rasa: built with endpoint_config= the section."""

    def __init__(self, endpoint_config=None):
        super().__init__()
        self.endpoint_config = endpoint_config


class NotAStore:
    pass
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "shop_stores.py").write_text(STORES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "shop_stores", raising=False)
    return tmp_path


async def test_a_projects_own_stores_load_by_dotted_type(project) -> None:
    endpoints = load_endpoints_text(
        "tracker_store:\n  type: shop_stores.AuditedTrackerStore\n  url: db.internal\n  audit_table: events_audit\n"
        "  retention_days: 30\nlock_store:\n  type: shop_stores.PrefixedLockStore\n  prefix: shop\n",
        source="endpoints.yml")
    tracker_store = create_tracker_store(endpoints.tracker_store, project)
    assert type(tracker_store).__name__ == "AuditedTrackerStore"
    assert (tracker_store.host, tracker_store.audit_table, tracker_store.extra) == (
        "db.internal", "events_audit", {"retention_days": 30})
    await tracker_store.append_events("ann", [{"event": "action", "name": "action_listen"}])
    assert [event["event"] for event in await tracker_store.get_events("ann")] == ["action"]
    lock_store = create_lock_store(endpoints.lock_store)
    assert type(lock_store).__name__ == "PrefixedLockStore" and lock_store.prefix == "shop"
    async with lock_store.lock("ann") as lock:
        assert lock.conversation_id == "ann"
    rasa_style = create_lock_store({"type": "shop_stores.RasaStyleLockStore", "url": "x"})
    assert rasa_style.endpoint_config == {"type": "shop_stores.RasaStyleLockStore", "url": "x"}


def test_rasa_names_resolve_without_case_and_bad_types_say_what_to_do(project) -> None:
    assert type(create_tracker_store({"type": "SQL", "dialect": "sqlite", "db": "x.db"}, project)).__name__ \
        == "SQLTrackerStore"
    assert type(create_lock_store({"type": "In_Memory"})).__name__ == "InMemoryLockStore"
    with pytest.raises(InvalidEndpoints, match="'shop_stores.NotAStore' is not a tracker store of this framework "
                                               r"\(it does not implement bot.stores.tracker_store.TrackerStore\)"):
        create_tracker_store({"type": "shop_stores.NotAStore"}, project, location="endpoints.yml:2")
    with pytest.raises(InvalidEndpoints, match="cannot import the custom lock store 'shop_stores_x.Lock'") as error:
        create_lock_store({"type": "shop_stores_x.Lock"}, location="endpoints.yml:5")
    assert error.value.location == "endpoints.yml:5"
    with pytest.raises(InvalidEndpoints, match="unknown lock store 'rediss' — did you mean 'redis'"):
        create_lock_store({"type": "rediss"})

