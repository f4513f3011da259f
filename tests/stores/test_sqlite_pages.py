"""What a SQLiteStore save costs SQLite: the pages its commit writes to the WAL.

A save's time on a store is mostly those pages (each a write of a frame to the WAL), so
the store keeps no secondary index (see ``SCHEMA``). Counting frames is exact where a
timing would be noisy: the test fails if an index (or anything else that touches more
pages) comes back. A store made before, with the three indexes it used to keep, still
opens, saves and reports, and keeps its indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scriptflow import Library, load_library
from scriptflow.engine import ManualClock
from scriptflow.reports import ReportOptions, make_report
from scriptflow.stores import checkpoint, open_store

from ..engine.conftest import write_library
from .test_delta import chain

OLD_INDEXES = {
    "events_type": "CREATE INDEX events_type ON events(type, script, node)",
    "events_at": "CREATE INDEX events_at ON events(at)",
    "sessions_status": "CREATE INDEX sessions_status ON sessions(status, updated_at)",
}
SESSIONS = 200  # sessions open at once, each a step further per round
FRAME_HEADER = 24
WAL_HEADER = 32


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return load_library(write_library(tmp_path / "chain", chain(12)))


def _indexes(path: Path) -> set[str]:
    """Indexes made with CREATE INDEX (primary keys' automatic indexes have no SQL)."""
    with sqlite3.connect(path) as db:
        return {name for name, in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def _frames_per_save(path: Path, lib: Library, old_indexes: bool) -> float:
    """WAL frames per save, over the middle rounds of SESSIONS sessions stepped in turn
    (as on a server: each save lands on another session's pages)."""
    clock = ManualClock(1_760_000_000.0)
    store = open_store(f"sqlite:///{path}", clock=clock)
    try:
        if old_indexes:
            with sqlite3.connect(path) as db:
                for sql in OLD_INDEXES.values():
                    db.execute(sql)
        sessions = [store.start(lib, "chain", clock=clock) for _ in range(SESSIONS)]
        for session in sessions:
            store.save(session)
        with sqlite3.connect(path) as db:
            page = db.execute("PRAGMA page_size").fetchone()[0]
        wal = Path(f"{path}-wal")
        counted, frames = 0, 0
        for round_ in range(8):
            before = wal.stat().st_size
            for session in sessions:
                clock.advance(1)
                session.answer("red")
                store.save(session)
            if round_ >= 2:  # the tables have grown past their first pages
                counted += len(sessions)
                frames += (wal.stat().st_size - before) // (page + FRAME_HEADER)
        assert wal.stat().st_size > WAL_HEADER
        return frames / counted
    finally:
        store.close()


def test_a_new_store_keeps_no_secondary_index(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(f"sqlite:///{path}").close()
    assert _indexes(path) == set()


def test_a_save_writes_few_pages_and_an_index_would_double_them(
        tmp_path: Path, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    # No checkpoint in between: it would let the WAL start over and hide frames.
    monkeypatch.setattr(checkpoint, "EVERY", 10**9)
    lean = _frames_per_save(tmp_path / "lean.db", lib, old_indexes=False)
    indexed = _frames_per_save(tmp_path / "indexed.db", lib, old_indexes=True)
    # the session row, the event rows and their key, the state record, a split now and then
    assert lean <= 7.5, lean
    assert indexed >= lean + 3, (lean, indexed)


def test_a_store_made_with_the_old_indexes_still_works_and_keeps_them(
        tmp_path: Path, lib: Library) -> None:
    path = tmp_path / "old.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        for sql in OLD_INDEXES.values():
            db.execute(sql)
    clock = ManualClock(1_760_000_000.0)
    with open_store(f"sqlite:///{path}", clock=clock) as store:
        session = store.start(lib, "chain", clock=clock)
        for _ in range(3):
            clock.advance(1)
            session.answer("green")
            store.save(session)
        loaded = store.load(lib, session.id)
        known = loaded.tracker.get("f2")
        assert known is not None and known.value == "green"
        listed = store.list(status="active")
        assert [info.id for info in listed] == [session.id]
    assert _indexes(path) == set(OLD_INDEXES)
    report = make_report(path, ReportOptions(as_of=clock.now()), lib)
    reached = {row["node"]: row["reached"] for row in report["scripts"]["chain"]["funnel"]}
    assert reached["q3"] == 1 and reached["q4"] == 0
    assert report["summary"]["sessions"] == 1
