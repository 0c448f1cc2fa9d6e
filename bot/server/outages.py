"""Dependency outages: which failures are an unreachable store, and logging each outage once.

A store that does not answer (Redis, PostgreSQL, the SQLite file's disk) is the server's problem,
not the caller's: the answer is 503 with `Retry-After`, and the body names the kind of store but
never its address. The server's log gets one warning when an outage starts, with the error and
what to check, and one line when a request that needs the stores succeeds again; the thousands
of failures in between would only bury the first one.
"""

from __future__ import annotations

import logging
import socket
import threading

from bot.shared.errors import DependencyUnavailable

__all__ = ["RETRY_AFTER_SECONDS", "OutageLog", "dependency_failure"]

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Exception classes, by module and name, that mean "the store did not answer". Matched by name so
# this module imports none of the drivers; errors such as IntegrityError (bad data) are not here.
_OUTAGE_ERRORS = {
    "redis": ("the lock store (Redis)", {"ConnectionError", "TimeoutError", "BusyLoadingError"}),
    "sqlalchemy": ("the tracker store (database)", {"OperationalError", "InterfaceError", "TimeoutError"}),
    "asyncpg": ("the tracker store (PostgreSQL)", {
        "PostgresConnectionError", "ConnectionDoesNotExistError", "ConnectionFailureError",
        "CannotConnectNowError", "InterfaceError", "TooManyConnectionsError", "AdminShutdownError",
    }),
}
_CHECKS = {
    "the lock store (Redis)": "that Redis runs and endpoints.yml's lock_store url, port and password",
    "the tracker store (database)": "that the database runs and endpoints.yml's tracker_store url and credentials",
    "the tracker store (PostgreSQL)": "that PostgreSQL runs and endpoints.yml's tracker_store url and credentials",
    "a store": "that the stores in endpoints.yml run and are reachable",
}


def dependency_failure(exception: BaseException) -> str | None:
    """The dependency an exception says is unreachable ("the lock store (Redis)"), or None."""
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DependencyUnavailable):
            return current.dependency
        module = type(current).__module__.split(".")[0]
        names = {cls.__name__ for cls in type(current).__mro__}
        if module in _OUTAGE_ERRORS and names & _OUTAGE_ERRORS[module][1]:
            return _OUTAGE_ERRORS[module][0]
        if isinstance(current, ConnectionError | TimeoutError | socket.gaierror):  # refused, reset, no such host
            return "a store"
        current = current.__cause__ or current.__context__
    return None


class OutageLog:
    """Logs the start of each dependency's outage once, and its end."""

    def __init__(self) -> None:
        self._down: dict[str, str] = {}  # dependency -> the first error seen
        self._guard = threading.Lock()  # Sanic may run handlers from worker threads

    def failed(self, dependency: str, exception: BaseException, where: str) -> None:
        """Records a failure; logs a warning when this is the first since the dependency last answered."""
        with self._guard:
            if dependency in self._down:
                return
            self._down[dependency] = f"{type(exception).__name__}: {exception}"
        logger.warning("%s is unreachable (first failure on %s: %s). Check %s. Requests that need it get 503 "
                       "until it answers; further failures are not logged.", dependency, where,
                       self._down[dependency], _CHECKS.get(dependency, _CHECKS["a store"]))

    def succeeded(self) -> None:
        """A request that needs the stores succeeded: every outage is over."""
        if not self._down:
            return
        with self._guard:
            ended, self._down = list(self._down), {}
        for dependency in ended:
            logger.info("%s answers again", dependency)

    @property
    def down(self) -> list[str]:
        """The dependencies currently failing."""
        return list(self._down)
