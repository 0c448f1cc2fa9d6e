"""`bot run` serves with one BLAS thread (small inference products: extra threads only cost hand-offs),
unless the operator set the BLAS thread count in the environment."""

from __future__ import annotations

import numpy as np  # noqa: F401  (loads the BLAS that threadpoolctl limits)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from bot.shared.blas import BLAS_THREAD_VARIABLES, limit_blas_threads


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def no_thread_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_serving_limits_blas_to_one_thread(no_thread_variables) -> None:
    with threadpool_limits(limits=2, user_api="blas"):  # as numpy starts on a 2-core machine
        limiter = limit_blas_threads()
        try:
            assert _blas_threads() and set(_blas_threads()) == {1}
        finally:
            limiter.restore_original_limits()


def test_an_operators_thread_count_is_kept(no_thread_variables, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with threadpool_limits(limits=2, user_api="blas"):
        assert limit_blas_threads() is None
        assert set(_blas_threads()) == {2}
