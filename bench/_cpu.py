"""CPU time, the training cost the benchmarks report beside the wall-clock time.

On the shared 2-core machine the wall-clock time of a training mostly says how busy the machine
was (a load of 20 stretches it ten times); the CPU time of the process that trained, all its
threads, user + system, is what the training cost, and compares two systems run at different times.
Plain standard library: bench/rasa_worker.py imports it inside Rasa's Python too.
"""

from __future__ import annotations

import resource


def cpu_seconds(children: bool = False) -> float:
    """User + system CPU seconds of this process, or of its children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
