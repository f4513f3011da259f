"""The session engine: run scripts as sessions that never ask a customer twice.

``Library.start`` and :meth:`Session.from_dict` are the ways in; everything a helpdesk
app needs is re-exported here and from :mod:`scriptflow`.
"""

from __future__ import annotations

from .clock import Clock, ManualClock, SystemClock
from .events import EVENT_TYPES, Event
from .flow import Outcome, Prompt
from .session import Session
from .tracker import Known, Tracker

__all__ = ["EVENT_TYPES", "Clock", "Event", "Known", "ManualClock", "Outcome", "Prompt",
           "Session", "SystemClock", "Tracker"]
