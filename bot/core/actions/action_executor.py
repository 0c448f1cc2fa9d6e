"""Running custom actions written with `rasa_sdk`: the common interface, errors and the factory.

Two executors implement `ActionExecutor`:

- `HttpActionExecutor` (custom_action_client.py) posts to a rasa_sdk action server, used when
  endpoints.yml has `action_endpoint:` with a `url:` (Rasa's production setup);
- `InProcessActionExecutor` (in_process.py) imports the project's `actions` package and runs it
  with rasa_sdk's own executor in this process (the embedded default: no second process).

Both take the tracker in Rasa's tracker JSON and the domain as `Domain.as_dict()`, and return
the action server's answer: Rasa event dicts plus the dispatcher's messages.

    executor = create_action_executor(endpoints.action_endpoint, "actions", project_dir)
    result = await executor.run("action_check_parcel", tracker_json, domain.as_dict())
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from bot.shared.core.events import Event, InvalidEvent
from bot.shared.endpoints import EndpointConfig
from bot.shared.errors import BotError, InvalidEndpoints

__all__ = [
    "ActionError",
    "ActionExecutor",
    "ActionFailed",
    "ActionNotFound",
    "ActionRejected",
    "ActionResult",
    "InvalidActions",
    "NoCustomActions",
    "build_action_call",
    "create_action_executor",
    "endpoint_from_dict",
]

logger = logging.getLogger(__name__)

START_SERVER_HINT = (
    "start the action server with `python -m rasa_sdk --actions actions` in the project folder, "
    "or remove `url:` under `action_endpoint:` in endpoints.yml to run the actions in-process"
)


class ActionError(BotError):
    """Base of the errors raised while running a custom action; `action_name` says which."""

    action_name: str


class ActionNotFound(ActionError):
    """No custom action of that name where the executor looked (package or action server)."""

    def __init__(self, action_name: str, where: str, *, hint: str | None = None,
                 location: str | None = None) -> None:
        self.action_name = action_name
        self.where = where
        super().__init__(
            f"custom action '{action_name}' was not found in {where}",
            location=location,
            hint=hint or (f"define a rasa_sdk Action whose name() returns '{action_name}' in {where}, "
                          "or remove the action from domain.yml, stories and rules"),
        )


class ActionRejected(ActionError):
    """The action raised rasa_sdk's `ActionExecutionRejection` (forms: the slot was not filled).

    The dialogue engine turns this into an `action_execution_rejected` event so that another
    policy can predict the next action; it is not a failure.
    """

    def __init__(self, action_name: str, message: str | None = None) -> None:
        self.action_name = action_name
        self.reason = message or f"custom action '{action_name}' rejected execution"
        super().__init__(self.reason)


class ActionFailed(ActionError):
    """The action could not run: an exception in the user's code, or the action server failed.

    The engine logs it and answers with its fallback response; the server keeps running.
    """

    def __init__(self, action_name: str, reason: str, *, location: str | None = None,
                 hint: str | None = None) -> None:
        self.action_name = action_name
        self.reason = reason
        super().__init__(f"custom action '{action_name}' failed: {reason}", location=location, hint=hint)


class InvalidActions(BotError):
    """The project's actions package cannot be imported (syntax error, exception at import time)."""


@dataclass
class ActionResult:
    """What a custom action produced: Rasa event dicts and the dispatcher's messages.

    A message has rasa_sdk's keys: text, buttons, elements, custom, image, attachment,
    response (an `utter_` name to render), template (its old name) and any extra kwargs.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


@runtime_checkable
class ActionExecutor(Protocol):
    """Runs custom actions by name; both executors follow this shape."""

    async def run(self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any] | None) -> ActionResult:
        """Runs one action; raises ActionNotFound, ActionRejected or ActionFailed."""
        ...

    def knows(self, action_name: str) -> bool | None:
        """True/False when the executor can tell whether the action exists, None when it cannot."""
        ...

    async def close(self) -> None:
        """Releases connections; the executor must not be used afterwards."""
        ...


class NoCustomActions:
    """The executor when a project has no custom actions at all: every name is unknown."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def run(self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any] | None) -> ActionResult:
        """Always raises ActionNotFound, explaining why there are no custom actions."""
        raise ActionNotFound(
            action_name, self.reason,
            hint="create an `actions` package (actions/__init__.py with rasa_sdk Action classes) in the "
                 "project, or set `url:` under `action_endpoint:` in endpoints.yml to use an action server",
        )

    def knows(self, action_name: str) -> bool:
        """Never knows an action."""
        return False

    async def close(self) -> None:
        """Nothing to release."""


def build_action_call(action_name: str, tracker: dict[str, Any], domain: dict[str, Any] | None,
                      *, include_domain: bool = True) -> dict[str, Any]:
    """The JSON body Rasa posts to an action server's /webhook (and rasa_sdk's executor takes)."""
    import rasa_sdk  # imported here so that loading this module stays cheap

    call: dict[str, Any] = {
        "next_action": action_name,
        "sender_id": tracker.get("sender_id"),
        "tracker": tracker,
        # rasa_sdk warns unless major.minor match its own version; we speak its protocol
        "version": rasa_sdk.__version__,
    }
    if include_domain:
        call["domain"] = domain if domain is not None else {}
    return call


def check_result(action_name: str, data: Any, source: str) -> ActionResult:
    """Validates an action server's answer and normalises its events to Rasa's full shape.

    `source` names where the answer came from (a URL or a package) for the error message.
    """
    if data is None:  # rasa_sdk answers null when the call named no action; treat as "nothing"
        return ActionResult()
    if not isinstance(data, dict):
        raise ActionFailed(action_name, f"{source} answered {type(data).__name__}, not an object with "
                                        "'events' and 'responses'",
                           hint="make the action server return {\"events\": [...], \"responses\": [...]}")
    events_json = data.get("events") or []
    responses = data.get("responses") or []
    if not isinstance(events_json, list) or not isinstance(responses, list):
        raise ActionFailed(action_name, f"{source} answered with 'events'/'responses' that are not lists",
                           hint="return a list of events (use the helpers in rasa_sdk.events)")
    events: list[dict[str, Any]] = []
    for index, item in enumerate(events_json):
        try:
            events.append(Event.from_dict(item).as_dict())
        except InvalidEvent as error:
            raise ActionFailed(
                action_name, f"event #{index + 1} it returned is invalid: {error.message}",
                hint=error.hint or "build events with the helpers in rasa_sdk.events (SlotSet, FollowupAction, ...)",
            ) from None
    for index, message in enumerate(responses):
        if not isinstance(message, dict):
            raise ActionFailed(action_name, f"message #{index + 1} it sent is {type(message).__name__}, "
                                            "not an object",
                               hint="send messages with dispatcher.utter_message(...)")
    return ActionResult(events=events, responses=list(responses))


def endpoint_from_dict(section: dict[str, Any]) -> EndpointConfig:
    """An `EndpointConfig` from a plain `action_endpoint:` mapping (keys as in endpoints.yml)."""
    explicit = {name for name in EndpointConfig.model_fields if name not in ("kwargs", "location")}
    fields = {key: value for key, value in section.items() if key in explicit and value is not None}
    kwargs = {key: value for key, value in section.items() if key not in explicit}
    try:
        return EndpointConfig(**fields, kwargs=kwargs)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise InvalidEndpoints(f"'action_endpoint' is malformed: {error}",
                               hint="write 'action_endpoint:' with 'url: http://localhost:5055/webhook'") from None


def create_action_executor(action_endpoint: EndpointConfig | dict[str, Any] | None,
                           actions_module: str | None = "actions",
                           project_dir: Path | None = None) -> ActionExecutor:
    """The executor endpoints.yml asks for: HTTP when `action_endpoint` has a url, else in-process.

    In-process, `actions_module` is imported with `project_dir` (default: the working directory)
    first on sys.path, like `python -m rasa_sdk --actions actions` run in the project folder.
    `action_endpoint.actions_module` (as in Rasa Pro) overrides `actions_module`.
    A project without that package gets an executor that knows no actions.
    """
    if isinstance(action_endpoint, dict):
        action_endpoint = endpoint_from_dict(action_endpoint)
    if action_endpoint is not None and action_endpoint.url:
        from bot.core.actions.custom_action_client import HttpActionExecutor

        return HttpActionExecutor(action_endpoint)
    if action_endpoint is not None and action_endpoint.get("actions_module"):
        # Rasa Pro's way to run actions inside the assistant: `action_endpoint: actions_module: x`
        actions_module = str(action_endpoint.get("actions_module"))
    if actions_module is None:
        return NoCustomActions("this project (no actions module is configured)")
    from bot.core.actions.in_process import InProcessActionExecutor

    # Only a non-default name may come from an installed package: the framework's own example
    # `actions` package is importable everywhere and must not stand in for a project's own.
    executor = InProcessActionExecutor(actions_module, project_dir or Path.cwd(),
                                       allow_installed=actions_module != "actions")
    if not executor.found:
        return NoCustomActions(executor.where)
    return executor
