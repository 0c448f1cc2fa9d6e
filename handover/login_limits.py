"""Slowing down password guessing: failed logins per key (a username, a client address) in a window.

The counts live in memory, per process. Several `bot run` processes each keep their own, so the
effective limit is the number of processes times the configured one; that still turns an online
guess of a 8+ character password into centuries, and it costs no database write per failure.
Successful logins reset the username's count (`reset`), not the address's (an attacker who knows
one password must not clear the count of every other guess from that address).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

__all__ = ["LoginRateLimiter"]


class LoginRateLimiter:
    """At most `max_failures` failed logins per key within `window_seconds` (a sliding window).

    The API keeps one limiter for usernames (default 5 in 15 minutes) and one for client
    addresses (e.g. `LoginRateLimiter(max_failures=30)`), and refuses a login while either says wait.
    The clock is passed in (`now`, seconds since the epoch), so tests need no sleeping.
    """

    def __init__(self, *, max_failures: int = 5, window_seconds: float = 900.0, max_keys: int = 100_000) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures must be >= 1 and window_seconds > 0")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        # Bounded: a flood of made-up usernames must not grow memory without limit; the least
        # recently failed keys are forgotten first.
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str, now: float) -> float | None:
        """None when a login for `key` may be tried now, else the seconds to wait before the next try."""
        with self._lock:
            failures = self._recent(key, now)
            if failures is None or len(failures) < self.max_failures:
                return None
            # The window slides: the oldest failure that keeps the count at the limit must age out.
            oldest_that_counts = failures[len(failures) - self.max_failures]
            return max(oldest_that_counts + self.window_seconds - now, 0.001)

    def record_failure(self, key: str, now: float) -> None:
        """Counts one failed login for `key`."""
        with self._lock:
            failures = self._recent(key, now)
            if failures is None:
                failures = self._failures[key] = deque()
            failures.append(now)
            self._failures.move_to_end(key)
            # Older entries than the limit needs never matter again.
            while len(failures) > self.max_failures:
                failures.popleft()
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def reset(self, key: str) -> None:
        """Forgets the failures of `key` (after a successful login for a username)."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures
