"""The current instant for delivery's services: `timezone.now()`, unless a caller in this
context set a clock of its own.

Every service also takes `now=`; this is for the paths that cannot pass one, the HTTP views.
`manage.py simulate_shoppers` drives the real views in its own process with a fast-forward
clock through `use()`; nothing else sets it, so a web or worker process always reads the
real time. A ContextVar, so a clock set in one thread or task never leaks into another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar("delivery_clock", default=None)


def now() -> datetime:
    clock = _CLOCK.get()
    return timezone.now() if clock is None else clock()


@contextmanager
def use(clock: Callable[[], datetime]) -> Iterator[None]:
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)
