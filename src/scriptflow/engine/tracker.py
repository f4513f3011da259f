"""Every fact a session knows, with where it came from and when it goes stale."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from ..errors import ResumeError

SOURCES = ("customer", "agent", "intake", "system")
TRACKER_FORMAT = 1

Value = bool | int | float | str
# What a tracker holds per fact: a Known, or a plain tuple of the same fields that is
# made a Known when first read (a plain tuple is a quarter of the cost to make, and most
# facts a step records are never read back during the session).
Entry = tuple[Value, str, str | None, str | None, float, float | None]


class Known(NamedTuple):
    """One known fact. Immutable: learning again replaces the whole entry.

    ``script`` and ``node`` say where it was learned (``None`` for intake facts);
    ``stale_at`` is when its ttl runs out (``None``: never).
    """

    value: Value
    source: str
    script: str | None
    node: str | None
    learned_at: float
    stale_at: float | None = None

    def fresh(self, now: float) -> bool:
        """True while the ttl has not run out."""
        return self.stale_at is None or now < self.stale_at

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the value is in clear (see :meth:`Tracker.to_dict`)."""
        return {"value": self.value, "source": self.source, "script": self.script,
                "node": self.node, "learned_at": self.learned_at, "stale_at": self.stale_at}

    @classmethod
    def from_dict(cls, key: str, data: Any) -> Known:
        """Rebuild an entry; raises :class:`ResumeError` on anything malformed."""
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ResumeError(f"tracker entry {key!r} is not a mapping")
        try:
            value = data["value"]
            source = data["source"]
            learned_at = float(data["learned_at"])
            stale = data.get("stale_at")
            stale_at = None if stale is None else float(stale)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResumeError(f"tracker entry {key!r} is malformed: {exc!r}") from None
        if not isinstance(value, (bool, int, float, str)):
            raise ResumeError(f"tracker entry {key!r} has a value that is not a scalar")
        if source not in SOURCES:
            raise ResumeError(f"tracker entry {key!r} has an unknown source {source!r}")
        script, node = data.get("script"), data.get("node")
        if not (script is None or isinstance(script, str)) or \
                not (node is None or isinstance(node, str)):
            raise ResumeError(f"tracker entry {key!r} has a malformed script or node")
        return cls(value, source, script, node, learned_at, stale_at)


class Tracker:
    """The facts of one customer: ``{key: Known}``, kept across handoffs, calls and contacts.

    Stale entries stay (a summary still shows them) but :meth:`values` leaves them out,
    so decisions and skips see only what is known *now*. Pass a tracker (or its
    ``to_dict()``) to ``Library.start(..., tracker=...)`` to carry facts into a later
    contact; each fact's ttl still applies.
    """

    __slots__ = ("_entries", "_fresh_from", "_mirrored", "_next_stale", "_values")

    def __init__(self, entries: Mapping[str, Entry] | None = None) -> None:
        self._entries: dict[str, Entry] = _Entries(entries or {})
        # A plain {key: value} mirror of the facts fresh at any time from _fresh_from up
        # to (not including) _next_stale, the soonest stale_at among them (None: never),
        # so values() hands it out as it is. When time passes _next_stale the mirror is
        # rebuilt once for the new window: a step costs the same however many facts are
        # known and however many of them went stale.
        self._values: dict[str, Value] = {k: e[0] for k, e in self._entries.items()}
        self._fresh_from = -math.inf
        self._next_stale = _soonest(self._entries.values())
        # How many entries the mirror has seen. The engine adds a new fact without a ttl
        # to _entries alone (one dictionary write less a step): such facts are always the
        # last ones in _entries, and _catch_up() mirrors them before the mirror is read.
        self._mirrored = len(self._entries)

    # -- reading -------------------------------------------------------------------------
    def get(self, key: str) -> Known | None:
        """The entry for ``key`` (fresh or stale), or ``None``."""
        entry = self._entries.get(key)
        if entry is None or type(entry) is Known:
            return entry
        known = self._entries[key] = _new(Known, entry)
        return known

    def fresh(self, key: str, now: float) -> Known | None:
        """The entry for ``key`` if it is known and not stale at ``now``."""
        entry = self._entries.get(key)
        if entry is None or (entry[5] is not None and now >= entry[5]):
            return None
        return self.get(key)

    def values(self, now: float) -> Mapping[str, Value]:
        """``{key: value}`` of the facts fresh at ``now``. Do not modify the result."""
        if len(self._entries) != self._mirrored:
            self._catch_up()
        if self._fresh_from <= now and (self._next_stale is None or now < self._next_stale):
            return self._values
        fresh = {k: e for k, e in self._entries.items() if e[5] is None or now < e[5]}
        values = {k: e[0] for k, e in fresh.items()}
        if now >= self._fresh_from:  # time moved on: the mirror serves from now on
            mirror = self._values  # updated in place: the engine holds on to it
            mirror.clear()
            mirror.update(values)
            self._fresh_from, self._next_stale = now, _soonest(fresh.values())
            return mirror
        return values

    def _catch_up(self) -> None:
        """Mirror the facts added to _entries alone (see __init__): the last ones."""
        entries = self._entries
        added = len(entries) - self._mirrored
        self._mirrored = len(entries)
        if added > 0:
            for key in itertools.islice(reversed(entries), added):
                self._mirror(key, entries[key])

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> Iterator[tuple[str, Known]]:
        """``(key, entry)`` pairs (in no particular order)."""
        return iter(self._known().items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tracker) and self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"<Tracker of {len(self._entries)} facts>"

    # -- changing ------------------------------------------------------------------------
    def set(self, key: str, entry: Known) -> None:
        """Record ``entry`` as what is known about ``key`` (replacing any earlier one)."""
        # Plain assignment: order carries no meaning (to_dict sorts), so undoing a change
        # gives back an equal tracker without bookkeeping positions.
        self.learn(key, entry)

    def learn(self, key: str, entry: Entry) -> Known | None:
        """:meth:`set` that returns the entry it replaced (``None``: none), for undo.
        ``entry`` may be a plain tuple of a :class:`Known`'s fields."""
        entries = self._entries
        if len(entries) != self._mirrored:
            self._catch_up()
        old = entries.get(key)
        entries[key] = entry
        if old is None:
            self._mirrored += 1
        self._mirror(key, entry)
        return old if old is None or type(old) is Known else _new(Known, old)

    def _mirror(self, key: str, entry: Entry) -> None:
        """Show ``entry`` (now what is known about ``key``) in the mirror of values."""
        stale = entry[5]
        if stale is None:
            self._values[key] = entry[0]
        elif stale > self._fresh_from:  # fresh for (part of) the mirror's window
            self._values[key] = entry[0]
            if self._next_stale is None or stale < self._next_stale:
                self._next_stale = stale
        else:
            self._values.pop(key, None)

    def forget(self, key: str) -> Known | None:
        """Drop ``key``; returns the entry it had."""
        if len(self._entries) != self._mirrored:
            self._catch_up()
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._mirrored -= 1
        # _next_stale may now come early: that only costs one rebuild of the mirror
        self._values.pop(key, None)
        return entry if type(entry) is Known else _new(Known, entry)

    def restore(self, key: str, entry: Entry | None) -> None:
        """Put back what :meth:`get` returned earlier (``None``: forget)."""
        if entry is None:
            self.forget(key)
        else:
            self.learn(key, entry)

    def copy(self) -> Tracker:
        """An independent tracker with the same entries (entries are immutable)."""
        return Tracker(self._entries)

    def _known(self) -> dict[str, Known]:
        """The entries, every one a Known (plain tuples made Known in place)."""
        entries = self._entries
        for key, entry in entries.items():
            if type(entry) is not Known:
                entries[key] = _new(Known, entry)
        return entries  # type: ignore[return-value]  # all Known now

    # -- serialising ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe. Sensitive values are kept in clear so a session can be restored:
        store tracker data as you would the customer's record, not as a log."""
        entries = self._known()
        return {"format": TRACKER_FORMAT,
                "facts": {k: entries[k].to_dict() for k in sorted(entries)}}

    @classmethod
    def from_dict(cls, data: Any) -> Tracker:
        """Rebuild from :meth:`to_dict`; raises :class:`ResumeError` on malformed data."""
        if not isinstance(data, Mapping):
            raise ResumeError("tracker data is not a mapping")
        if data.get("format") != TRACKER_FORMAT:
            raise ResumeError(f"unsupported tracker format {data.get('format')!r} "
                              f"(this version reads {TRACKER_FORMAT})")
        facts = data.get("facts")
        if not isinstance(facts, Mapping):
            raise ResumeError("tracker data has no 'facts' mapping")
        # plain tuples of the fields (see Entry): untracked by the collector once seen
        return cls({str(k): _plain(Known.from_dict(str(k), v)) for k, v in facts.items()})


def entries_of(tracker: Tracker) -> dict[str, Entry]:
    """The tracker's own ``{key: entry}`` (not a copy; entries are Known or plain tuples
    of the same fields), for the engine's hot path to read without a method call."""
    return tracker._entries


def values_of(tracker: Tracker) -> dict[str, Value]:
    """The tracker's own mirror of fresh values (always the same dict). The engine's hot
    path records a fact without a ttl as :meth:`Tracker.learn` does, without the call: a
    fact known already by setting it in both dicts, a new one by adding it to the
    entries alone (the tracker mirrors it when next read). Nothing else may change them."""
    return tracker._values


class _Entries(dict[str, Entry]):
    """A tracker's entries: a dict the collector never stops tracking.

    The collector stops tracking a plain dict whose values it does not track (entries
    are mostly plain tuples of plain values) in every full collection; the next fact a
    step records makes it tracked again as a young object, so the collections after
    that go through every entry again, a cost that grows with the tracker. It leaves a
    dict subclass tracked, in the oldest generation, where young collections never look.
    (The interpreter's fast paths for a method call check for the exact type, so the
    engine calls a bound ``get`` it keeps, which costs the same as on a plain dict.)
    """

    __slots__ = ()


_new = tuple.__new__  # a NamedTuple made without its keyword-handling __new__


def _plain(known: Known) -> Entry:
    """The fields of ``known`` as a plain tuple (an Entry)."""
    return (known.value, known.source, known.script, known.node, known.learned_at,
            known.stale_at)


def _soonest(entries: Iterable[Entry]) -> float | None:
    """The earliest ``stale_at`` among ``entries`` (None: none of them goes stale)."""
    times = [e[5] for e in entries if e[5] is not None]
    return min(times) if times else None
