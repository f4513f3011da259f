"""SQLiteStore: the embedded default. One file, several processes, nothing lost.

Durability: WAL journal with ``synchronous=NORMAL`` by default. A commit is in the WAL
file (the OS's page cache) before ``save`` returns, so a killed *process* loses nothing
that ``save`` returned for and never leaves half a session; only a power cut or an OS
crash can roll back the last commits, and ``?synchronous=full`` closes that too at the
cost of an fsync per save. Writes take the write lock up front (``BEGIN IMMEDIATE``),
so two processes never deadlock upgrading a read lock; a busy timeout makes them wait.
Writers of this module first queue on an ``flock`` of ``PATH.lock``, which wakes the next
one the moment the lock is free (SQLite's own busy wait sleeps for milliseconds), so
several processes saving at once keep their combined speed.

The schema is a contract: reports run SQL on this file (see ``SCHEMA``). The
``state_log`` table (see :mod:`scriptflow.stores.delta`) is an addition that leaves
every other table as it was, so the schema is still ``1``: opening a file from before it
creates the table, and its sessions load as before. Earlier versions of scriptflow
reading a session saved by this one say it has an unsupported format (2).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..engine.clock import Clock
from ..engine.events import Event
from ..engine.session import Session
from ..errors import StoreError
from .base import (
    Merge,
    NoStoreError,
    OnCorrupt,
    RawSession,
    Salvaged,
    SessionInfo,
    SessionNotFoundError,
    Store,
    conflict,
    corrupt,
    readable,
)
from .checkpoint import Checkpointer
from .delta import Pending, data_json, scalar_json, to_json

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL,
  script TEXT NOT NULL,
  current_script TEXT NOT NULL, node TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT, code TEXT,
  customer TEXT,
  started_at REAL NOT NULL, updated_at REAL NOT NULL,
  head TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  session_id TEXT NOT NULL, seq INTEGER NOT NULL,
  type TEXT NOT NULL, at REAL NOT NULL, actor TEXT NOT NULL,
  script TEXT, node TEXT, fact TEXT,
  value TEXT,
  detail TEXT, data TEXT,
  PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS state_log (
  session_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (key TEXT PRIMARY KEY, version INTEGER NOT NULL,
                                      updated_at REAL NOT NULL, tracker TEXT NOT NULL);
"""
# No secondary indexes, on purpose: a save is dominated by the pages its commit writes
# to the WAL, and each index costs every save one or two more (the session's status
# index moves on every save, as updated_at changes). Without the three this store used
# to keep (events by type/node, events by time, sessions by status/time) a save writes
# ~6 pages instead of ~12 and its SQL takes two thirds of the time. What read through
# them scans instead, and stays quick: reports gather nodes as the rows come, listing
# and expiring 145,000 sessions takes ~40 ms (docs/performance.md). Stores created
# before keep their indexes (nothing is dropped behind a user's back); dropping them
# is safe, and makes saves faster: see docs/integrating.md.
SYNCHRONOUS = ("normal", "full", "extra")
_INFO = ("id, script, current_script, node, status, result, code, customer, "
         "started_at, updated_at, version")
_EVENT = "seq, type, at, actor, script, node, fact, value, detail, data"


def _json(value: Any) -> str | None:
    return None if value is None else to_json(value)


def _new_event_row(session_id: str, seq: int, event: Event) -> tuple[Any, ...]:
    """What :func:`event_row` makes of ``event.to_dict()``, from the event itself."""
    return (session_id, seq, event.type, event.at, event.actor, event.script, event.node,
            event.fact, None if event.value is None else scalar_json(event.value),
            event.detail or None, data_json(event.data))


def event_row(session_id: str, seq: int, event: dict[str, Any]) -> tuple[Any, ...]:
    """An event dict as a row of ``events`` (value and data as JSON)."""
    get = event.get
    return (session_id, seq, event["type"], event["at"], event.get("actor", "system"),
            get("script"), get("node"), get("fact"), _json(get("value")),
            get("detail") or None, _json(get("data")))


def _decode_row(row: tuple[Any, ...]) -> dict[str, Any] | str:
    """A row of ``events`` as an event dict, or why it cannot be read."""
    _seq, kind, at, actor, script, node, fact, value, detail, data = row
    out: dict[str, Any] = {"type": kind, "at": at, "actor": actor}
    try:
        for key, item in (("script", script), ("node", node), ("fact", fact),
                          ("value", None if value is None else json.loads(value)),
                          ("detail", detail), ("data", None if data is None
                                               else json.loads(data))):
            if item is not None:
                out[key] = item
    except ValueError as exc:
        return f"event {_seq} holds bad JSON ({exc})"
    return out


class SQLiteStore(Store):
    """Sessions in one SQLite file (WAL), shared safely by threads and processes.

    ``create=False`` opens only an existing store: for a file that is missing or is not
    a scriptflow store it raises :class:`NoStoreError` and creates nothing (what
    commands that only read want: a mistyped path must not pass as an empty store)."""

    def __init__(self, path: str, *, url: str | None = None, clock: Clock | None = None,
                 synchronous: str = "normal", timeout: float = 30.0,
                 create: bool = True) -> None:
        super().__init__(url or f"sqlite:///{path}", clock)
        if synchronous.lower() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}, "
                             f"not {synchronous!r}")
        self.path = path
        self._lock = threading.RLock()
        # The writers' lock file is opened on the first write, so reads leave no file.
        self._queue: int | None = None
        self._queue_opened = False
        if not create and not os.path.isfile(path):
            raise NoStoreError(f"no session store at {path} ({self.url}); nothing was "
                               "created: check the path, or give an existing store with "
                               "--store sqlite:///path/to/sessions.db (scriptflow run "
                               "--store creates one)", self.url)
        try:
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
        except sqlite3.Error as exc:  # e.g. a folder that does not exist
            raise StoreError(f"cannot open the session store {self.url}: {exc}") from None
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            # Checked before anything is written, so a file that is no store stays as it is.
            missing = set() if create else self._missing_tables()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            # checkpoints run in a thread of their own (see checkpoint.py)
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpoints = Checkpointer(path, timeout)
            if create or missing:  # missing: a store from before a table was added
                with self._tx():
                    self._create()
            else:
                self._check_schema()
        except sqlite3.Error as exc:
            self._db.close()
            if not create:  # e.g. "file is not a database": a path that cannot be read
                raise NoStoreError(f"{path} is not a readable SQLite session store ({exc});"
                                   " give the file scriptflow run --store writes "
                                   "(sqlite:///path/to/sessions.db)", self.url) from None
            raise StoreError(f"cannot open the session store {self.url}: {exc}") from None
        except StoreError:
            self._db.close()
            raise

    def _missing_tables(self) -> set[str]:
        """The store's tables that the file lacks; NoStoreError when it is not a store."""
        names = {row[0] for row in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"meta", "sessions", "events"} <= names:
            raise NoStoreError(f"{self.path} is not a scriptflow session store (it has no "
                               "sessions table); nothing was changed: give the file "
                               "scriptflow run --store writes (sqlite:///path/to/"
                               "sessions.db)", self.url)
        return {"state_log", "customers"} - names

    def _check_schema(self) -> bool:
        """StoreError when the file records another schema; False when it records none."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None and row[0] != SCHEMA_VERSION:
            raise StoreError(f"{self.url} has schema {row[0]!r}; this version of "
                             f"scriptflow reads schema {SCHEMA_VERSION}")
        return row is not None

    def _create(self) -> None:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        if not self._check_schema():
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction (the write lock up front when writing); rolled back on error."""
        with self._lock, _queued(self._writers_queue() if write else None):
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                if write:
                    self._checkpoints.committed()
            except sqlite3.Error as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise StoreError(f"the session store {self.url} failed: {exc}") from None

    def _writers_queue(self) -> int | None:
        """The lock file's descriptor, opened on the first write (under ``_lock``)."""
        if not self._queue_opened:
            self._queue = _open_queue(self.path)
            self._queue_opened = True
        return self._queue

    # -- sessions ------------------------------------------------------------------------
    def _write(self, info: SessionInfo, expected: int, pending: Pending, session: Session,
               merge: Merge | None) -> None:
        sid = info.id
        events = session.events
        with self._tx() as db:
            # The common case in one statement: the stored version is the one expected.
            updated = expected > 0 and db.execute(
                "UPDATE sessions SET version = ?, current_script = ?, node = ?, status = ?, "
                "result = ?, code = ?, customer = coalesce(?, customer), updated_at = ?, "
                "head = ? WHERE id = ? AND version = ?",
                (info.version, info.current_script, info.node, info.status, info.result,
                 info.code, info.customer, info.updated_at, pending.head, sid,
                 expected)).rowcount
            if not updated:
                row = db.execute("SELECT version FROM sessions WHERE id = ?",
                                 (sid,)).fetchone()
                if (row[0] if row else 0) != expected:
                    raise conflict(sid, expected, row[0] if row else None)
                db.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           (sid, info.version, info.script, info.current_script, info.node,
                            info.status, info.result, info.code, info.customer,
                            info.started_at, info.updated_at, pending.head))
            if not expected:
                count = 0
            elif pending.events_from is not None:  # what this store saw at this version
                count = pending.events_from
            else:
                count = db.execute("SELECT coalesce(max(seq) + 1, 0) FROM events "
                                   "WHERE session_id = ?", (sid,)).fetchone()[0]
            if count > len(events):
                raise corrupt(sid, f"the store has {count} events, the session "
                                   f"{len(events)}", self.url)
            if count < len(events):
                db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               [_new_event_row(sid, count + i, e)
                                for i, e in enumerate(events[count:])])
            if pending.base:
                db.execute("DELETE FROM state_log WHERE session_id = ?", (sid,))
            if pending.record is not None:
                # a wrong log_from (a corrupt store) collides with the primary key
                db.execute("INSERT INTO state_log VALUES (?, ?, ?)",
                           (sid, 0 if pending.base else pending.log_from, pending.record))
            if merge is not None and info.customer is not None:
                old = db.execute("SELECT tracker FROM customers WHERE key = ?",
                                 (info.customer,)).fetchone()
                db.execute("INSERT INTO customers VALUES (?, 1, ?, ?) ON CONFLICT(key) DO "
                           "UPDATE SET version = version + 1, updated_at = excluded.updated_at,"
                           " tracker = excluded.tracker",
                           (info.customer, info.updated_at, merge(old[0] if old else None)))

    def _read(self, session_id: str, events: bool = True) -> RawSession:
        with self._tx(write=False) as db:  # one snapshot: the head and its events agree
            row = db.execute("SELECT version, head, customer FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
            rows, log = [], []
            if row and events:
                rows = db.execute(f"SELECT {_EVENT} FROM events WHERE session_id = ? "
                                  "ORDER BY seq", (session_id,)).fetchall()
                log = db.execute("SELECT seq, data FROM state_log WHERE session_id = ? "
                                 "ORDER BY seq", (session_id,)).fetchall()
        if row is None:
            raise SessionNotFoundError(session_id, self.url)
        out = []
        for index, event in enumerate(rows):
            if event[0] != index:
                raise corrupt(session_id, f"event {index} is missing from the log", self.url)
            out.append(readable(session_id, _decode_row(event), self.url))
        for index, (seq, _data) in enumerate(log):
            if seq != index:
                raise corrupt(session_id, f"state record {index} is missing", self.url)
        return RawSession(row[0], row[1], out, row[2], [data for _seq, data in log])

    def _list(self, script: str | None, status: str | None, cutoff: float | None,
              limit: int | None, on_corrupt: OnCorrupt | None = None) -> list[SessionInfo]:
        # typed NOT NULL columns: a listing row is always readable
        where, params = _where(("script = ?", script), ("status = ?", status),
                               ("updated_at < ?", cutoff))
        sql = f"SELECT {_INFO} FROM sessions{where} ORDER BY updated_at DESC, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._tx(write=False) as db:
            return [SessionInfo(*row) for row in db.execute(sql, params)]

    def _info(self, session_id: str) -> SessionInfo | None:
        with self._tx(write=False) as db:
            row = db.execute(f"SELECT {_INFO} FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
        return None if row is None else SessionInfo(*row)

    def delete(self, session_id: str) -> bool:
        with self._tx() as db:
            db.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM state_log WHERE session_id = ?", (session_id,))
            return db.execute("DELETE FROM sessions WHERE id = ?",
                              (session_id,)).rowcount > 0

    def _expire(self, cutoff: float) -> int:
        with self._tx() as db:
            for table in ("events", "state_log"):
                db.execute(f"DELETE FROM {table} WHERE session_id IN "
                           "(SELECT id FROM sessions WHERE updated_at < ?)", (cutoff,))
            return db.execute("DELETE FROM sessions WHERE updated_at < ?",
                              (cutoff,)).rowcount

    def _events(self, session_id: str | None, since: float | None,
                until: float | None) -> Iterator[dict[str, Any]]:
        where, params = _where(("session_id = ?", session_id), ("at >= ?", since),
                               ("at < ?", until))
        with self._tx(write=False) as db:
            rows = db.execute(f"SELECT session_id, {_EVENT} FROM events{where} "
                              "ORDER BY at, session_id, seq", params).fetchall()
        return iter([{**readable(r[0], _decode_row(r[1:]), self.url), "session_id": r[0],
                      "seq": r[1]} for r in rows])

    def _salvage(self, session_id: str) -> Salvaged:
        with self._tx(write=False) as db:
            found = db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
            rows = db.execute(f"SELECT {_EVENT} FROM events WHERE session_id = ? "
                              "ORDER BY seq", (session_id,)).fetchall()
        if found is None:
            raise SessionNotFoundError(session_id, self.url)
        out: Salvaged = []
        for row in rows:
            while len(out) < row[0]:  # a gap: say so where the row should be
                out.append(f"event {len(out)} is missing from the log")
            out.append(_decode_row(row))
        return out

    # -- customers -----------------------------------------------------------------------
    def _customer_raw(self, customer: str) -> str | None:
        with self._tx(write=False) as db:
            row = db.execute("SELECT tracker FROM customers WHERE key = ?",
                             (customer,)).fetchone()
        return row[0] if row else None

    def customers(self) -> Iterator[tuple[str, int, float, str]]:
        with self._tx(write=False) as db:
            rows = db.execute("SELECT key, version, updated_at, tracker FROM customers "
                              "ORDER BY key").fetchall()
        return iter(rows)

    def forget_customer(self, customer: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM customers WHERE key = ?",
                              (customer,)).rowcount > 0

    # -- copying in (export_sqlite) ------------------------------------------------------
    def put_raw(self, info: SessionInfo, head: str, events: list[dict[str, Any]],
                log: list[str]) -> None:
        """Write a session exactly as another store holds it (replacing any here)."""
        with self._tx() as db:
            db.execute("DELETE FROM events WHERE session_id = ?", (info.id,))
            db.execute("DELETE FROM state_log WHERE session_id = ?", (info.id,))
            db.executemany("INSERT INTO state_log VALUES (?, ?, ?)",
                           [(info.id, i, text) for i, text in enumerate(log)])
            db.execute("INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       (info.id, info.version, info.script, info.current_script, info.node,
                        info.status, info.result, info.code, info.customer, info.started_at,
                        info.updated_at, head))
            db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           [event_row(info.id, i, e) for i, e in enumerate(events)])

    def put_customer(self, key: str, version: int, updated_at: float, tracker: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO customers VALUES (?,?,?,?)",
                       (key, version, updated_at, tracker))

    def close(self) -> None:
        with self._lock:
            self._checkpoints.close()
            self._db.close()
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None


def _open_queue(path: str) -> int | None:
    """The lock file writers queue on; None where there is no flock (or no right to
    create it): then SQLite's busy timeout alone orders the writers."""
    try:
        import fcntl  # noqa: F401  (POSIX only)

        return os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except (ImportError, OSError):
        return None


@contextmanager
def _queued(fd: int | None) -> Iterator[None]:
    if fd is None:
        yield
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _where(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """A WHERE clause of the conditions whose value is not None, and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in conditions:
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params
