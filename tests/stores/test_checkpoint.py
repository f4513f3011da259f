"""The WAL checkpoint thread of SQLiteStore: it runs, and it comes back if it ended."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from scriptflow.stores import checkpoint
from scriptflow.stores.checkpoint import Checkpointer


def _wal_database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (x TEXT)")
    return db


def test_the_thread_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    db = _wal_database(path)
    for _ in range(100):
        db.execute("INSERT INTO t VALUES (?)", ("x" * 4000,))
    assert path.stat().st_size < 100 * 4000  # all in the WAL: autocheckpoint is off
    points = Checkpointer(str(path), timeout=5.0)
    try:
        for _ in range(checkpoint.EVERY - 1):
            points.committed()
        assert points._thread is None  # not before EVERY commits
        points.committed()
        assert points._thread is not None
        deadline = time.monotonic() + 10
        while path.stat().st_size < 100 * 4000 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.stat().st_size >= 100 * 4000  # the pages are in the database file
    finally:
        points.close()
        db.close()
    assert points._thread is None


def test_a_thread_that_ended_is_started_again(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.db"
    _wal_database(path).close()
    runs: list[int] = []
    monkeypatch.setattr(Checkpointer, "_run", lambda self: runs.append(1))  # ends at once
    points = Checkpointer(str(path), timeout=5.0)
    try:
        for _ in range(checkpoint.EVERY):
            points.committed()
        first = points._thread
        assert first is not None
        first.join(5)
        for _ in range(checkpoint.EVERY):
            points.committed()
        assert points._thread is not first
        points._thread.join(5)
        assert runs == [1, 1]
    finally:
        points.close()


def test_a_database_that_cannot_be_opened_ends_the_thread_quietly(tmp_path: Path) -> None:
    points = Checkpointer(str(tmp_path / "no-such-folder" / "w.db"), timeout=0.1)
    for _ in range(checkpoint.EVERY):
        points.committed()
    assert points._thread is not None
    points._thread.join(5)
    assert not points._thread.is_alive()
    points.close()
