"""One exception hierarchy: every error a user can cause says what, where and what to do."""

from __future__ import annotations

import re
from pathlib import Path


class BotError(Exception):
    """Base of every error the framework raises on purpose.

    `location` is "file:line" (or just "file") when the problem sits in a user's file.
    The CLI prints `str(error)` without a traceback.
    """

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            # continuation lines (a YAML example) sit under the first, keeping their own indentation
            text += "\n  Fix: " + self.hint.replace("\n", "\n       ")
        return text


def location(path: str | Path | None, line: int | None = None) -> str | None:
    """Formats "file:line" with a 1-based line, or None when nothing is known."""
    if path is None:
        return None
    return f"{path}:{line}" if line is not None else str(path)


class InvalidYaml(BotError):
    """A file is not valid YAML at all."""


class InvalidTrainingData(BotError):
    """NLU data, stories or rules that cannot be read as written."""


class InvalidDomain(BotError):
    """domain.yml (or a domain directory) is malformed or inconsistent."""


class InvalidConfig(BotError):
    """config.yml or a component's options are wrong."""


class InvalidEndpoints(BotError):
    """endpoints.yml is malformed or names an unset environment variable."""


class MissingDependency(BotError):
    """A configured component needs something that is not installed or reachable."""


class DependencyUnavailable(MissingDependency):
    """A configured store or service did not answer (an outage, not a configuration mistake).

    `dependency` names it for anyone ("the lock store (Redis)"); `message` may hold its internal
    address and is for the server's log only, never for an anonymous caller.
    """

    def __init__(self, dependency: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.dependency = dependency


class ModelNotFound(BotError):
    """No trained model archive where one was expected."""


class InvalidModel(BotError):
    """A model archive is damaged or was written by an incompatible version."""


class ChannelAuthError(BotError):
    """A channel request failed signature or token verification."""


class UnknownConversation(BotError):
    """A request needs a conversation that has no stored events (the HTTP API answers 404)."""

    def __init__(self, sender_id: str) -> None:
        super().__init__(f"There is no conversation '{sender_id}'.", hint="send a message to the conversation first")
        self.sender_id = sender_id


class ConversationConflict(BotError):
    """The conversation's current state refuses the request, which is itself well-formed (HTTP 409).

    E.g. replacing the events of a conversation a person is handling. `detail` says where it stands.
    """

    def __init__(self, message: str, *, hint: str | None = None, detail: dict | None = None) -> None:
        super().__init__(message, hint=hint)
        self.detail = detail or {}


class ConcurrentAppend(BotError):
    """An append said which seq it expected the conversation to be at, and another writer got there first."""

    def __init__(self, sender_id: str, expected_seq: int, actual_seq: int) -> None:
        super().__init__(f"conversation '{sender_id}' is at event {actual_seq}, not {expected_seq}: "
                         "another writer appended first; nothing was written",
                         hint="read the newer events and try again")
        self.sender_id = sender_id
        self.expected_seq = expected_seq
        self.actual_seq = actual_seq


_STEP_PREFIX = re.compile(r"^(?:pipeline step|policy) \d+(?:: | (?=\())")


def at_config_line(error: InvalidConfig, where: str | None) -> InvalidConfig:
    """The same error placed at its config.yml line ("config.yml:12: DIETClassifier: ...") instead of
    "pipeline step 7", when that line is known."""
    if where is None or error.location is not None:
        return error
    message = _STEP_PREFIX.sub("", error.message)
    message = re.sub(r"^\(([^)]*)\)", r"\1", message)
    return InvalidConfig(message, location=where, hint=error.hint)
