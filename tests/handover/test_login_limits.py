"""The login rate limiter: a sliding window of failures per key, with the clock passed in."""

from __future__ import annotations

import pytest

from handover.login_limits import LoginRateLimiter


def test_the_sixth_try_within_the_window_waits_until_the_oldest_failure_ages_out() -> None:
    limiter = LoginRateLimiter(max_failures=5, window_seconds=900)
    for second in range(5):
        assert limiter.check("user:anna", 1000.0 + second) is None
        limiter.record_failure("user:anna", 1000.0 + second)
    wait = limiter.check("user:anna", 1010.0)
    assert wait == pytest.approx(1000.0 + 900 - 1010.0)
    assert limiter.check("user:bob", 1010.0) is None  # keys are independent
    assert limiter.check("user:anna", 1900.5) is None  # the first failure left the window
    limiter.record_failure("user:anna", 1900.5)
    assert limiter.check("user:anna", 1900.6) is not None  # failures 2..5 and the new one: 5 again


def test_reset_forgets_a_key() -> None:
    limiter = LoginRateLimiter(max_failures=2, window_seconds=60)
    limiter.record_failure("addr:10.0.0.1", 0.0)
    limiter.record_failure("addr:10.0.0.1", 1.0)
    assert limiter.check("addr:10.0.0.1", 2.0) == pytest.approx(58.0)
    limiter.reset("addr:10.0.0.1")
    assert limiter.check("addr:10.0.0.1", 2.0) is None


def test_memory_stays_bounded_under_a_flood_of_made_up_names() -> None:
    limiter = LoginRateLimiter(max_failures=1, window_seconds=60, max_keys=100)
    for index in range(1000):
        limiter.record_failure(f"user:{index}", 0.0)
    assert len(limiter._failures) == 100
    assert limiter.check("user:999", 1.0) is not None  # the newest are kept
    assert limiter.check("user:0", 1.0) is None


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        LoginRateLimiter(max_failures=0)
    with pytest.raises(ValueError):
        LoginRateLimiter(window_seconds=0)
