"""The interface every session store implements, and what they share.

A store keeps each session as a *head* of constant size, rewritten on every save, plus
two append-only logs: the events, and the state log (tracker and undo changes; see
:mod:`scriptflow.stores.delta`), so a save costs what changed, not what was said so far.
Saving is compare-and-set on ``session.version``. Backends implement a few primitives
(``_write``, ``_read`` and friends); everything a helpdesk app calls lives here.
"""

from __future__ import annotations

import json
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from ..engine.clock import Clock, SystemClock
from ..engine.serial import HEAD_FORMAT, resume_problem
from ..engine.session import Session
from ..engine.tracker import Tracker
from ..errors import ConflictError, CorruptSessionError, ResumeError, StoreError
from .delta import Pending, Saved, expand, prepare

if TYPE_CHECKING:
    from ..library import Library

STATUSES = ("active", "finished")
InfoList = list["SessionInfo"]  # Store.list shadows the builtin inside the class
# What a corrupt session is handed to instead of raising (list(), export_sqlite(), …).
OnCorrupt = Callable[[CorruptSessionError], None]
# Stored events as far as they can be read: a dict each, or why that one cannot be.
Salvaged = list[dict[str, Any] | str]

# A customer-tracker merge: the stored tracker JSON (None: none yet) -> the new JSON.
Merge = Callable[[str | None], str]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One stored session as listed: where it stands, not its transcript."""

    id: str
    script: str           # the script the session started in
    current_script: str   # where it stands now
    node: str
    status: str           # 'active' | 'finished'
    result: str | None    # the outcome once finished
    code: str | None
    customer: str | None
    started_at: float
    updated_at: float
    version: int


@dataclass(frozen=True, slots=True)
class RawSession:
    """A stored session as read back, before it is rebuilt against a library."""

    version: int
    head: str                      # JSON of the head (see delta.py)
    events: list[dict[str, Any]]   # event dicts, oldest first
    customer: str | None
    log: list[str]                 # the state log's records (JSON), oldest first


class SessionNotFoundError(StoreError, KeyError):
    """No session with this id in the store (a KeyError too, as for a dict)."""

    def __init__(self, session_id: str, where: str) -> None:
        self.session_id = session_id
        super().__init__(f"no session {session_id!r} in the store at {where}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def conflict(session_id: str, had: int, stored: int | None) -> ConflictError:
    """The error for a lost compare-and-set, saying what to do about it."""
    if stored is None:
        what = "the store no longer has it (deleted or expired)"
    elif had == 0:
        what = f"this copy was never saved but the store already has version {stored}"
    else:
        what = f"this copy is version {had} but the store has version {stored}"
    return ConflictError(f"session {session_id!r} was saved by someone else: {what}; "
                         "nothing was written: load it again and redo the step")


class NoStoreError(StoreError):
    """No session store where the URL points (a read of a SQLite file that is not there,
    or is not a scriptflow store); nothing was created."""

    def __init__(self, message: str, url: str) -> None:
        self.url = url
        super().__init__(message)


def corrupt(session_id: str, why: object, where: str) -> CorruptSessionError:
    """The error for unreadable stored data of a session in the store at ``where`` (its
    URL), saying how to look at it and how to remove it."""
    if where.startswith("memory:"):
        fix = f"remove it with store.delete({session_id!r})"
    else:  # the commands a person fixing the store runs
        fix = (f"see what is stored with `scriptflow sessions show {session_id} --store "
               f"{where}`; if it cannot be repaired, remove it with `scriptflow sessions "
               f"delete {session_id} --store {where}`")
    return CorruptSessionError(f"stored session {session_id!r} in {where} is corrupt: "
                               f"{why}; {fix}", session_id=session_id, store=where)


def resume_hint(session_id: str, where: str) -> str:
    """What to do about a session the library as it is now cannot resume."""
    return (f"restore what changed in the library (the scripts as they were when it was "
            f"saved) to go on with it, or remove it with `scriptflow sessions delete "
            f"{session_id} --store {where}`; `scriptflow sessions check --store {where}` "
            f"lists every session a library change strands")


def info_for(session: Session, customer: str | None, now: float, version: int) -> SessionInfo:
    """The listing fields of ``session`` as it is now."""
    outcome = session.outcome
    events = session.events
    # The first event of a session always happens in the script it started in.
    first = events[0].script if events and events[0].script else None
    return SessionInfo(
        id=session.id, script=first or next(iter(session.scripts_used), session.script),
        current_script=session.script, node=session.node,
        status="finished" if outcome is not None else "active",
        result=outcome.result if outcome else None, code=outcome.code if outcome else None,
        customer=customer, started_at=session.started_at, updated_at=now, version=version)


def merged_tracker(stored: str | None, session: Session, customer: str) -> str:
    """The customer's tracker after ``session``: what it learned replaces older entries,
    and facts it learned and then lost (invalidated, or undone with back()) are dropped."""
    known = Tracker() if stored is None else read_tracker(stored, customer)
    now_known = session.tracker
    touched = {e.fact for e in session.events
               if e.fact and e.type in ("answered", "confirmed", "invalidated")}
    for key in touched:
        if key not in now_known:
            known.forget(key)
    for key, entry in now_known.items():
        old = known.get(key)
        if old is None or entry.learned_at >= old.learned_at:
            known.set(key, entry)
    return json.dumps(known.to_dict(), separators=(",", ":"))


def read_tracker(stored: str, customer: str) -> Tracker:
    """A stored customer tracker; StoreError naming the customer when it is unreadable."""
    try:
        return Tracker.from_dict(json.loads(stored))
    except (ValueError, ResumeError) as exc:
        raise StoreError(f"the stored tracker of customer {customer!r} is corrupt: "
                         f"{exc}; forget_customer({customer!r}) drops it") from None


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)} or None, "
                         f"not {status!r}")


class Store(ABC):
    """A place sessions outlive the process that runs them. Use :func:`open_store`.

    Stores are context managers; :meth:`close` releases connections.
    """

    url: str

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.url = url
        self.clock: Clock = clock if clock is not None else SystemClock()
        # Per live session object (never kept alive by the store): what is stored of it
        # (so a save writes only what changed), and the customer it belongs to.
        self._saved: weakref.WeakKeyDictionary[Session, Saved] = weakref.WeakKeyDictionary()
        self._customers: weakref.WeakKeyDictionary[Session, str] = \
            weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions ------------------------------------------------------------------------
    def start(self, library: Library, script_id: str, facts: Mapping[str, Any] | None = None,
              *, customer: str | None = None, **options: Any) -> Session:
        """Start a session that knows what the store remembers of ``customer`` (within
        each fact's ttl). Later saves of it merge what it learns back into that memory.
        Other options are those of ``Library.start``. Nothing is saved yet."""
        tracker = self.customer_tracker(customer) if customer is not None else None
        session = library.start(script_id, facts, tracker=tracker, **options)
        if customer is not None:
            self._customers[session] = customer
        return session

    def save(self, session: Session, *, customer: str | None = None) -> int:
        """Create or update ``session``; returns (and sets) its new ``version``.

        Compare-and-set: when the store holds another version than ``session.version``
        (0: never saved) nothing is written and :class:`ConflictError` is raised. Writes
        the head, the events added since the stored version and what changed in the
        tracker and back()'s log, in one transaction.
        With ``customer`` (or for a session begun with ``start(customer=…)`` or loaded
        with one) the customer's stored tracker is updated in the same transaction.
        """
        customer = customer if customer is not None else self._customers.get(session)
        expected = session.version
        events = session.events
        # Never before its own last event, whatever clock the store reads.
        now = max(self.clock.now(), events[-1].at) if events else self.clock.now()
        info = info_for(session, customer, now, expected + 1)
        merge: Merge | None = None
        if customer is not None:
            key = customer

            def merge(stored: str | None) -> str:
                return merged_tracker(stored, session, key)
        saved = self._saved.get(session)
        pending = prepare(session, saved if saved is not None and saved.version == expected
                          else None)
        self._write(info, expected, pending, session, merge)
        session.version = expected + 1
        self._saved[session] = pending.after
        if customer is not None:
            self._customers[session] = customer
        return session.version

    def load(self, library: Library, session_id: str, clock: Clock | None = None) -> Session:
        """The stored session, rebuilt against ``library``, with ``version`` set.

        Raises :class:`SessionNotFoundError` (a KeyError) for an unknown id,
        :class:`CorruptSessionError` for stored data that cannot be read, and
        :class:`ResumeError` when the library changed so the session cannot go on.
        """
        raw = self._read(session_id)
        try:
            head = json.loads(raw.head)
        except ValueError as exc:
            raise corrupt(session_id, f"its head is not JSON ({exc})", self.url) from None
        try:
            problem = resume_problem(library, head)
        except ResumeError as exc:
            raise corrupt(session_id, exc, self.url) from None
        if problem is not None:
            raise ResumeError(f"cannot resume session {session_id!r}: {problem}; "
                              + resume_hint(session_id, self.url))
        frames = None
        try:
            if head.get("format") == HEAD_FORMAT:
                head, frames = expand(head, raw.log)
            head["events"] = raw.events
            session = Session.from_dict(library, head, clock=clock)
        except ResumeError as exc:
            raise corrupt(session_id, exc, self.url) from None
        if session.id != session_id:
            raise corrupt(session_id, f"its head belongs to session {session.id!r}",
                          self.url)
        session.version = raw.version
        # Saves go on from what is stored, unless the loaded session differs from it:
        # resumed against a changed library (a "resumed" event), or read from a head of
        # format 1. Then the next save writes the whole state once.
        if frames is not None and len(session.events) == len(raw.events):
            self._saved[session] = Saved(raw.version, len(raw.events), len(raw.log),
                                         list(session._undos), frames)
        if raw.customer is not None:
            self._customers[session] = raw.customer
        return session

    def head(self, session_id: str) -> dict[str, Any]:
        """The stored head as data, without a library: format 2 (see
        :mod:`~scriptflow.stores.delta`), or format 1 (``to_dict(events=False)``) for a
        session last saved by an earlier version. :func:`resume_problem` reads both."""
        raw = self._read(session_id, events=False)
        try:
            head = json.loads(raw.head)
        except ValueError as exc:
            raise corrupt(session_id, f"its head is not JSON ({exc})", self.url) from None
        if not isinstance(head, dict):
            raise corrupt(session_id, "its head is not a mapping", self.url)
        return head

    def list(self, script: str | None = None, status: str | None = None,
             older_than: float | None = None, limit: int | None = None, *,
             on_corrupt: OnCorrupt | None = None) -> list[SessionInfo]:
        """Stored sessions, most recently updated first: those that started in
        ``script``, with ``status`` (``active`` or ``finished``), not updated for
        ``older_than`` seconds; at most ``limit``.

        A session whose listing fields cannot be read raises
        :class:`CorruptSessionError`; with ``on_corrupt`` it is handed that error
        instead and left out (whatever the filters, since they cannot be read)."""
        check_status(status)
        cutoff = None if older_than is None else self.clock.now() - older_than
        return self._list(script, status, cutoff, limit, on_corrupt)

    def info(self, session_id: str) -> SessionInfo:
        """The listing fields of one session (SessionNotFoundError when there is none)."""
        found = self._info(session_id)
        if found is None:
            raise SessionNotFoundError(session_id, self.url)
        return found

    def expire(self, older_than_seconds: float) -> int:
        """Delete every session not updated for ``older_than_seconds``; returns how many."""
        return self._expire(self.clock.now() - older_than_seconds)

    def events(self, session_id: str | None = None, since: float | None = None,
               until: float | None = None) -> Iterator[dict[str, Any]]:
        """The append-only log: event dicts with ``session_id`` and ``seq`` (the index in
        its session), by time; ``since <= at < until``; one session's or all."""
        return self._events(session_id, since, until)

    def salvage_events(self, session_id: str) -> Salvaged:
        """One session's stored events, oldest first, as far as they can be read: each
        an event dict, or a text saying why it cannot be read (for someone looking at a
        corrupt session: the rest is still shown)."""
        return self._salvage(session_id)

    # -- customers -----------------------------------------------------------------------
    def customer_tracker(self, customer: str) -> Tracker | None:
        """What the store remembers of ``customer`` (stale facts included; a session
        started with it asks those again), or None."""
        stored = self._customer_raw(customer)
        return None if stored is None else read_tracker(stored, customer)

    # -- what a backend provides ---------------------------------------------------------
    @abstractmethod
    def _write(self, info: SessionInfo, expected: int, pending: Pending, session: Session,
               merge: Merge | None) -> None:
        """Atomically: check the stored version is ``expected`` (else ConflictError),
        append the session's events after the stored count (``pending.events_from``: the
        count this store saw at version ``expected``, or None), append
        ``pending.record`` to the state log (replacing the log when ``pending.base``),
        write ``pending.head`` and ``info`` (keeping the stored ``script``,
        ``started_at`` and, when ``info.customer`` is None, ``customer``), and with
        ``merge`` replace the customer's tracker."""

    @abstractmethod
    def _read(self, session_id: str, events: bool = True) -> RawSession: ...

    @abstractmethod
    def _list(self, script: str | None, status: str | None, cutoff: float | None,
              limit: int | None, on_corrupt: OnCorrupt | None = None) -> InfoList: ...

    @abstractmethod
    def _info(self, session_id: str) -> SessionInfo | None: ...

    @abstractmethod
    def delete(self, session_id: str) -> bool:
        """Delete a session and its events; False when there was none."""

    @abstractmethod
    def _expire(self, cutoff: float) -> int: ...

    @abstractmethod
    def _events(self, session_id: str | None, since: float | None,
                until: float | None) -> Iterator[dict[str, Any]]: ...

    @abstractmethod
    def _salvage(self, session_id: str) -> Salvaged: ...

    @abstractmethod
    def _customer_raw(self, customer: str) -> str | None: ...

    @abstractmethod
    def customers(self) -> Iterator[tuple[str, int, float, str]]:
        """Every stored customer as ``(key, version, updated_at, tracker JSON)``."""

    @abstractmethod
    def forget_customer(self, customer: str) -> bool:
        """Drop what the store remembers of ``customer``; False when it had nothing."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store cannot be used afterwards."""


def in_window(at: float, since: float | None, until: float | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def decode_event(seq: int, text: str) -> dict[str, Any] | str:
    """An event dict from its stored JSON text, or why it cannot be read."""
    try:
        event = json.loads(text)
    except ValueError as exc:
        return f"event {seq} is not JSON ({exc})"
    if not isinstance(event, dict):
        return f"event {seq} is not a mapping"
    return event


def readable(session_id: str, event: dict[str, Any] | str, where: str) -> dict[str, Any]:
    """A decoded event (see :func:`decode_event`), or CorruptSessionError saying why it
    cannot be read."""
    if isinstance(event, str):
        raise corrupt(session_id, event, where)
    return event


def parse_events(session_id: str, texts: list[str], where: str) -> list[dict[str, Any]]:
    """Event dicts from their stored JSON texts (CorruptSessionError on a bad one)."""
    return [readable(session_id, decode_event(seq, text), where)
            for seq, text in enumerate(texts)]


def salvage(texts: list[str]) -> Salvaged:
    """Each stored event text as its dict, or why it cannot be read."""
    return [decode_event(seq, text) for seq, text in enumerate(texts)]

