"""The Agent: a loaded model plus the stores and action executor it talks to."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.processor import MessageProcessor
from bot.model.loading import LoadedModel, load_model
from bot.shared.core.domain import Domain
from bot.shared.errors import InvalidModel

if TYPE_CHECKING:
    from bot.brokers.outbox import OutboxPublisher
    from bot.core.retention import RetentionJob

logger = logging.getLogger(__name__)

DOMAIN_FILE = "domain.json"


def load_dialogue_model(model: str | Path = "models") -> tuple[LoadedModel, Domain, Any]:
    """NLU pipeline, domain and policy ensemble of an archive (the newest one in a folder)."""
    from bot.core.policies.ensemble import PolicyEnsemble

    loaded = load_model(model, require_nlu=False, full=True)
    if "core" not in loaded.metadata.parts or loaded.directory is None:
        raise InvalidModel(f"model '{loaded.path}' has no dialogue part (trained with --nlu?)",
                           hint="train the whole model with 'bot train'")
    core = loaded.directory / "core"
    domain = Domain.from_dict(json.loads((core / DOMAIN_FILE).read_text()))
    policies = PolicyEnsemble.load(core / "policies")
    return loaded, domain, policies


def create_publisher(section: Any, tracker_store: Any) -> OutboxPublisher | None:
    """The outbox publisher for endpoints.yml's `event_broker:`; None without one."""
    if section is None:
        return None
    from bot.brokers import OutboxPublisher, create_event_broker
    from bot.shared.errors import InvalidEndpoints
    from bot.stores.sql_tracker_store import SQLTrackerStore

    broker = create_event_broker(section)
    if broker is None:
        return None
    if not isinstance(tracker_store, SQLTrackerStore):
        raise InvalidEndpoints("an event_broker needs the SQL tracker store (its outbox keeps the events the "
                               "broker has not confirmed)", location=getattr(section, "location", None),
                               hint="use the default SQLite tracker store or 'tracker_store: type: sql'")
    return OutboxPublisher(tracker_store, broker)


class Agent:
    """Builds the processor from a model and endpoints; what `bot run` and `bot shell` drive."""

    def __init__(self, processor: MessageProcessor, model: LoadedModel, publisher: OutboxPublisher | None = None,
                 retention: RetentionJob | None = None) -> None:
        self.processor = processor
        self.model = model
        self.publisher = publisher  # the event broker's outbox, when endpoints.yml has an event_broker
        self.retention = retention  # tracker_store: retention_days

    @classmethod
    def load(
        cls,
        model: str | Path = "models",
        *,
        endpoints: Any = None,
        project_dir: str | Path = ".",
        tracker_store: Any = None,
        lock_store: Any = None,
        action_executor: Any = None,
        **processor_options: Any,
    ) -> Agent:
        from bot.core.actions.action_executor import create_action_executor
        from bot.stores import create_lock_store, create_tracker_store

        loaded, domain, policies = load_dialogue_model(model)
        project_dir = Path(project_dir)
        if tracker_store is None:
            tracker_store = create_tracker_store(getattr(endpoints, "tracker_store", None), project_dir)
        if lock_store is None:
            lock_store = create_lock_store(getattr(endpoints, "lock_store", None))
        if action_executor is None:
            action_executor = create_action_executor(getattr(endpoints, "action_endpoint", None),
                                                     project_dir=project_dir)
        processor = MessageProcessor(domain, loaded.nlu, policies, tracker_store, lock_store, action_executor,
                                     **processor_options)
        from bot.core.retention import RetentionJob

        publisher = create_publisher(getattr(endpoints, "event_broker", None), tracker_store)
        if publisher is not None:
            processor.listeners.append(publisher)
        return cls(processor, loaded, publisher, RetentionJob.from_endpoint(
            getattr(endpoints, "tracker_store", None), tracker_store, lock_store))

    @property
    def domain(self) -> Domain:
        return self.processor.domain

    async def warm_up(self, text: str = "hello") -> None:
        """Runs the NLU and every policy once on a throw-away first turn, storing nothing.

        The first call of a freshly loaded model pays for lazy set-up (allocations, caches): ~50 ms
        that would otherwise fall on the first customer after a start or a deploy.
        """
        from bot.core.tracker import DialogueStateTracker
        from bot.shared.core.domain.constants import ACTION_LISTEN, ACTION_SESSION_START
        from bot.shared.core.events import ActionExecuted, SessionStarted, UserUttered

        processor = self.processor
        parse_data = await processor.parse_message(text)
        tracker = DialogueStateTracker.from_events(
            "warm-up", [ActionExecuted(ACTION_SESSION_START), SessionStarted(), ActionExecuted(ACTION_LISTEN),
                        UserUttered(text, parse_data)], self.domain.slots)
        for policy in processor.policies.policies:
            policy.predict(tracker, self.domain)
        await processor.tracker_store.read_since("warm-up", None)  # no such conversation: reads nothing

    async def handle_text(self, text: str, sender_id: str = "default", **kwargs: Any) -> list[dict[str, Any]]:
        from bot.core.messages import UserMessage

        return await self.processor.handle_message(UserMessage(text, sender_id, **kwargs))

    async def start_background(self) -> None:
        """Starts what a server runs beside the messages (`bot run`): the event broker's publisher and
        the retention job."""
        if self.publisher is not None:
            await self.publisher.start()
        if self.retention is not None:
            self.retention.start()

    async def close(self) -> None:
        if self.retention is not None:
            await self.retention.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        for resource in (self.processor.tracker_store, self.processor.lock_store, self.processor.action_executor):
            close = getattr(resource, "close", None)
            if close is not None:
                await close()
