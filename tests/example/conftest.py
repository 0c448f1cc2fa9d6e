"""Fixtures for the example assistant's tests: the parcel service on a free port, rasa_sdk trackers."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
# `services` is not an installed package (it is the example's stand-in, run with python -m from the repo).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rasa_sdk import Tracker  # noqa: E402

from actions import common  # noqa: E402
from services.parcel_service import create_server  # noqa: E402


@pytest.fixture
def parcel_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The parcel service in a thread on a free port, with a fresh SQLite file; PARCEL_SERVICE_URL points to it."""
    # the sample's dates stay where they are written (its reference day); the tests fix "now" to it
    server = create_server("127.0.0.1", 0, tmp_path / "parcels.sqlite3", today=date(2025, 6, 3))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("PARCEL_SERVICE_URL", url)
    yield url
    server.shutdown()
    server.server_close()
    server.store.close()
    thread.join(timeout=5)


@pytest.fixture
def fixed_clock() -> Iterator[Any]:
    """Call with a datetime to freeze the actions' clock (actions.common.now)."""

    def freeze(moment: datetime) -> None:
        common.clock = lambda: moment

    yield freeze
    common.clock = None


def make_tracker(*, language: str | None = "de", text: str = "", intent: str = "greet",
                 entities: list[dict[str, Any]] | None = None, slots: dict[str, Any] | None = None,
                 active_loop: str | None = None) -> Tracker:
    """A rasa_sdk Tracker as the action server would receive it after one user message."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    all_slots = {"language": language, **(slots or {})}
    events = [{"event": "user", "text": text, "parse_data": latest}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (slots or {}).items()]
    return Tracker("test", all_slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


@pytest.fixture
def tracker_factory() -> Any:
    """`make_tracker` as a fixture (test modules cannot import conftest under --import-mode=importlib)."""
    return make_tracker


# The example's pipeline and policies with fewer epochs, so that training takes minutes, not an hour.
FAST_CONFIG = """
recipe: default.v1
language: de
pipeline:
- name: WhitespaceTokenizer
- name: LanguageDetector
  languages: [de, en]
- name: RegexFeaturizer
- name: CountVectorsFeaturizer
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
- name: DIETClassifier
  epochs: 20
  random_seed: 42
- name: EntitySynonymMapper
- name: ResponseSelector
  epochs: 10
  random_seed: 42
- name: FallbackClassifier
  threshold: 0.3
policies:
- name: MemoizationPolicy
- name: RulePolicy
- name: TEDPolicy
  max_history: 5
  epochs: 5
  random_seed: 42
"""


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("bot.core.policies.ensemble", reason="the policy ensemble has not landed yet")
    pytest.importorskip("bot.core.actions.registry", reason="the action registry has not landed yet")
    from bot.model.training import train
    from bot.shared.project import Project

    folder = tmp_path_factory.mktemp("example-model")
    (folder / "config.yml").write_text(FAST_CONFIG)
    project = Project.discover(REPO, config=folder / "config.yml")
    return train(project, folder / "models").model_path


@pytest.fixture
async def agent(trained_model: Path, parcel_service: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    from bot.core.agent import Agent
    from bot.stores import InMemoryLockStore, InMemoryTrackerStore

    monkeypatch.setenv("BOT_NOW", "2025-06-03T10:30:00")  # a Tuesday morning: open
    loaded = Agent.load(trained_model, project_dir=REPO, tracker_store=InMemoryTrackerStore(),
                        lock_store=InMemoryLockStore())
    yield loaded
    await loaded.close()


@pytest.fixture
async def handover_agent(trained_model: Path, parcel_service: str, monkeypatch: pytest.MonkeyPatch,
                         tmp_path: Path) -> AsyncIterator[Any]:
    """The example with its human handover plugged in (handover.yml), as `bot run` serves it.

    The handover's clock is the same Tuesday morning as the actions': the service team is open.
    """
    from zoneinfo import ZoneInfo

    from bot.core.agent import Agent
    from bot.stores import InMemoryLockStore
    from bot.stores.sql_tracker_store import SQLTrackerStore
    from handover.config import load_handover_config
    from handover.plugin import HandoverPlugin, HandoverSettings
    from handover.service import HandoverService

    monkeypatch.setenv("BOT_NOW", "2025-06-03T10:30:00")
    now = datetime(2025, 6, 3, 10, 30, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()
    store = SQLTrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    loaded = Agent.load(trained_model, project_dir=REPO, tracker_store=store, lock_store=InMemoryLockStore())
    service = HandoverService(store, clock=lambda: now)
    await service.start()
    loaded.processor.plugin = HandoverPlugin(service, HandoverSettings.from_config(
        load_handover_config(REPO / "handover.yml"), default_language=loaded.model.metadata.language))
    yield loaded
    await service.close()
    await loaded.close()
