"""Server logs: plain text or one JSON object per line (`--log-format json`).

With JSON logs every handled message also writes one `message_handled` line: a hash of the
sender id (conversation ids can be phone numbers), the channel, the latency in ms, the intent
and its confidence, and the actions the bot ran. The intent and actions are read from the
events the processor stores, heard through its listener hook, so the processor stays unaware
of logging.

With `bot run --workers N` every worker process logs the same lines, marked with its number
(`[worker 2]` in text, `"worker": 2` in JSON), and each record leaves in one write(2) to stderr,
so lines of different workers never mix into each other.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.shared.core.events import ActionExecuted, Event, UserUttered

__all__ = ["JsonFormatter", "MessageLog", "MessageLogListener", "configure_logging", "hash_sender",
           "message_log", "worker_number"]

MESSAGE_LOGGER = "bot.server.messages"
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def worker_number() -> int | None:
    """1, 2, ... in a worker process of `bot run --workers N`; None in a single-process server."""
    # Sanic names its server processes "Sanic-Server-<n>-<m>" and passes the name to each one.
    match = re.search(r"Server-(\d+)", os.environ.get("SANIC_WORKER_NAME", ""))
    return int(match.group(1)) + 1 if match else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, plus the record's `extra` keys
    (and, in a worker process, the worker's number and pid)."""

    def __init__(self, worker: int | None = None) -> None:
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.worker is not None:
            data["worker"], data["pid"] = self.worker, record.process
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class _WholeLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record with one write(2), so records of several processes sharing stderr never
    interleave mid-line (a buffered stream may split a long record into several writes)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            self.flush()
            descriptor = self.stream.fileno()
        except (AttributeError, OSError, ValueError):  # a stream without a descriptor (tests capture it)
            super().emit(record)
            return
        except Exception:
            self.handleError(record)
            return
        try:
            while data:
                data = data[os.write(descriptor, data):]
        except OSError:
            self.handleError(record)


def configure_logging(log_format: str = "text", level: int = logging.INFO, *, worker: int | None = None) -> None:
    """Routes the root logger (and Sanic's) to stderr in the chosen format; `worker` marks every line
    of a `bot run --workers N` worker process."""
    handler = _WholeLineHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(worker))
    else:
        label = f"[worker {worker}] " if worker is not None else ""
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {label}%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server"):
        sanic_logger = logging.getLogger(name)
        sanic_logger.handlers[:] = []
        sanic_logger.propagate = True
    # Migrations announce every plugin at INFO; a server log wants only their warnings.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))


def hash_sender(sender_id: str) -> str:
    """A short stable pseudonym of a sender id, so logs can be joined without storing the id."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:16]


@dataclass
class MessageLog:
    """What one handled message did, filled while the request runs."""

    sender_id: str
    channel: str | None
    started: float = field(default_factory=time.perf_counter)
    intent: str | None = None
    confidence: float | None = None
    actions: list[str] = field(default_factory=list)

    def record(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, UserUttered):
                intent = (event.parse_data or {}).get("intent") or {}
                self.intent, self.confidence = intent.get("name"), intent.get("confidence")
            elif isinstance(event, ActionExecuted) and event.action_name:
                self.actions.append(event.action_name)

    def as_extra(self, status: int) -> dict[str, Any]:
        return {
            "event": "message_handled",
            "sender": hash_sender(self.sender_id),
            "channel": self.channel,
            "status": status,
            "latency_ms": round((time.perf_counter() - self.started) * 1000, 1),
            "intent": self.intent,
            "confidence": self.confidence,
            "actions": self.actions,
        }


_current: contextvars.ContextVar[MessageLog | None] = contextvars.ContextVar("bot_message_log", default=None)


@contextmanager
def message_log(sender_id: str, channel: str | None, enabled: bool = True) -> Iterator[MessageLog]:
    """Collects what the current request's message did and logs it once it is done."""
    entry = MessageLog(sender_id, channel)
    token = _current.set(entry)
    status = 500
    try:
        yield entry
        status = 200
    finally:
        _current.reset(token)
        if enabled:
            extra = entry.as_extra(status)
            logging.getLogger(MESSAGE_LOGGER).info(
                "message handled in %s ms: intent %s, actions %s",
                extra["latency_ms"], entry.intent, ", ".join(entry.actions) or "-", extra=extra)


class MessageLogListener:
    """The processor's event listener that fills the current request's `MessageLog`."""

    async def on_events(self, sender_id: str, events: Sequence[Event], tracker: Any) -> None:
        entry = _current.get()
        # The listener runs inside the request's task, so the context variable is the request's own.
        if entry is not None and entry.sender_id == sender_id:
            entry.record(events)
