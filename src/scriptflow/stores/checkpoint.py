"""WAL checkpoints off the save path, for SQLiteStore.

SQLite copies the WAL back into the database file every 1,000 pages by default, inside
the commit that crosses the mark; with ``synchronous=NORMAL`` that copy ends in fsyncs
of scattered pages, milliseconds long, so one save in every hundred or so stalls and
the stalls are most of a save's average cost. Here a thread with a connection of its
own runs the checkpoint instead (``PASSIVE``: it never blocks a writer, and SQLite lets
go of the GIL meanwhile), woken every :data:`EVERY` commits. Durability is unchanged:
each commit is in the WAL before ``save`` returns, as before.

Under a steady stream of saves a passive checkpoint rarely finds the WAL fully copied,
and only then can the WAL start over; so once the WAL holds more than :data:`LIMIT`
pages the thread runs a ``RESTART`` checkpoint, which waits for the writers of the
moment and lets the next one start the WAL from its beginning: that bounds the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

EVERY = 200    # commits between wake-ups of the checkpoint thread
LIMIT = 10_000  # WAL pages beyond which the thread restarts the WAL


class Checkpointer:
    """A daemon thread that checkpoints ``path`` when :meth:`committed` says so."""

    def __init__(self, path: str, timeout: float) -> None:
        self._path = path
        self._timeout = timeout
        self._commits = 0
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Count a commit of the store's writing connection."""
        self._commits += 1
        if self._commits % EVERY:
            return
        # Started on the first need (read-only use has none), and again if it ended:
        # with automatic checkpoints off, a store without this thread would let its WAL
        # grow without end (after a fork, say, or a connection that failed to open).
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="scriptflow-sqlite-checkpoint")
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None,
                                 check_same_thread=False)
        except sqlite3.Error:
            return  # the next wake-up starts a thread that tries again
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop:
                    return
                # busy (another process checkpointing, say): the next wake-up tries again
                with contextlib.suppress(sqlite3.Error):
                    _busy, pages, _copied = db.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if pages > LIMIT:
                        db.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            db.close()

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._timeout)
            self._thread = None
