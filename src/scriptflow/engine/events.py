"""The transcript: one event per step of a session, appended and never rewritten."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ResumeError
from .tracker import Value

EVENT_TYPES = frozenset({
    "asked", "answered", "skipped", "confirmed", "invalidated", "handoff", "called",
    "returned", "note", "outcome", "undone",
    "resumed",  # extension: restored against a library whose scripts changed compatibly
})


@dataclass(slots=True)
class Event:
    """One step of a session.

    ``type`` is one of ``asked answered skipped confirmed invalidated handoff called
    returned note outcome undone resumed``; ``at`` is the clock time; ``actor`` is
    ``customer``, ``agent`` or ``system``. ``script``/``node`` say where it happened,
    ``fact``/``value`` what it was about (``value`` is masked for sensitive facts, so a
    transcript is safe to keep and report on). ``detail`` is a line for people;
    ``data`` holds the structured particulars of each type:

    - asked / answered: ``kind`` (question, action or confirm)
    - skipped: ``source``, ``script``, ``node``, ``learned_at`` of the known value
    - handoff / called: ``to_script``, ``to_node``
    - returned: ``result``, ``code``, ``to_script``, ``to_node`` (the call node)
    - outcome: ``result``, ``code``
    - undone: ``from`` (index of the first event the undo reverted)
    - resumed: ``changed`` (``[{script, from, to}]``), ``notes``
    """

    type: str
    at: float
    actor: str = "system"
    script: str | None = None
    node: str | None = None
    fact: str | None = None
    value: Value | None = None
    detail: str = ""
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, leaving out empty fields (events are most of a stored session)."""
        out: dict[str, Any] = {"type": self.type, "at": self.at, "actor": self.actor}
        if self.script is not None:
            out["script"] = self.script
        if self.node is not None:
            out["node"] = self.node
        if self.fact is not None:
            out["fact"] = self.fact
        if self.value is not None:
            out["value"] = self.value
        if self.detail:
            out["detail"] = self.detail
        if self.data:
            out["data"] = self.data
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Event:
        """Rebuild from :meth:`to_dict`; raises :class:`ResumeError` on malformed data."""
        # Written for speed (a stored session is mostly events): dict fast paths, one
        # combined type check for the optional text fields.
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ResumeError("an event is not a mapping")
        get = data.get
        kind = get("type")
        if kind not in EVENT_TYPES:
            raise ResumeError(f"unknown event type {kind!r}")
        at = get("at")
        if type(at) is not float and (type(at) is not int):
            raise ResumeError(f"a {kind!r} event has no valid time")
        actor, script, node = get("actor", "system"), get("script"), get("node")
        fact, detail, extra, value = get("fact"), get("detail", ""), get("data"), get("value")
        for text in (actor, script, node, fact, detail):
            if text is not None and type(text) is not str:
                raise ResumeError(f"a {kind!r} event has a malformed field")
        if extra is not None and type(extra) is not dict:
            raise ResumeError(f"a {kind!r} event has malformed data")
        if value is not None and type(value) not in _SCALARS:
            raise ResumeError(f"a {kind!r} event has a value that is not a scalar")
        return cls(kind, float(at), actor or "system", script, node, fact, value,
                   detail or "", extra)


_SCALARS = (bool, int, float, str)
