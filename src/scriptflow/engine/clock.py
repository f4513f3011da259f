"""Where a session's time comes from: the wall clock, or a clock the tests move by hand."""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()``: seconds since the epoch, as a float."""

    def now(self) -> float:
        """The current time in seconds since the epoch."""
        ...


class SystemClock:
    """The wall clock (``time.time``); the default for every session."""

    __slots__ = ()

    # time.time itself, not a method calling it: a session keeps ``clock.now`` and calls
    # it on every step, and the wrapper's call cost as much as recording the answer.
    now = staticmethod(time.time)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to, so ttl and ages can be tested exactly.

    >>> clock = ManualClock(1000.0)
    >>> clock.advance(90)
    1090.0
    """

    __slots__ = ("_now",)

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        """The time the clock was last set to."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backward) and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock only moves forward")
        self._now += float(seconds)
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
