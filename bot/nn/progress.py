"""Epoch progress of the networks (DIET, TED, ResponseSelector) for whoever shows it: `bot train`'s bar.

Training code calls `report_epoch` once per epoch; the CLI sets a listener for the duration of a
training with `epoch_listener`. Without a listener a report costs one context-variable lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["EpochListener", "epoch_listener", "report_epoch"]

# (component name, epoch number from 1, number of epochs, mean training loss of the epoch)
EpochListener = Callable[[str, int, int, float], None]
_listener: ContextVar[EpochListener | None] = ContextVar("epoch_listener", default=None)


def report_epoch(name: str, epoch: int, epochs: int, loss: float) -> None:
    """Tells the listener, if any, that `name` finished `epoch` of `epochs` with `loss`."""
    listener = _listener.get()
    if listener is not None:
        listener(name, epoch, epochs, loss)


@contextmanager
def epoch_listener(listener: EpochListener) -> Iterator[None]:
    """Sends the epoch reports made inside the block (in this thread) to `listener`."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
