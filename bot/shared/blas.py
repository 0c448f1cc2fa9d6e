"""One BLAS thread for serving: inference multiplies small matrices (a message's few tokens), and
BLAS's own threads only add hand-offs between cores for them.

Measured on the 2-core machine under load (bench/README.md, "Server"): one [6 x 256] @ [256 x 768]
product took 2.1 ms of CPU with OpenBLAS's two threads and 0.06 ms with one; a moodbot parse (DIET
with a transformer) 15 ms against 2.6 ms. The more requests run at once, the more the BLAS threads
wait for a free core, which is why throughput fell from 10 to 100 conversations.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["BLAS_THREAD_VARIABLES", "limit_blas_threads"]

logger = logging.getLogger(__name__)

# An operator who sets one of these chose the BLAS threads themselves: it is kept.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def limit_blas_threads() -> Any:
    """Limits the BLAS libraries loaded in this process (numpy's, scipy's) to one thread, unless the
    environment sets their thread count; returns threadpoolctl's limiter (None when left alone)."""
    chosen = [name for name in BLAS_THREAD_VARIABLES if os.environ.get(name)]
    if chosen:
        logger.debug("BLAS threads left as %s sets them", chosen[0])
        return None
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
