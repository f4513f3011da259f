"""The report's figures spread over two connections: the second one sees the gathered
tables, figures reading the store stay on the first, jobs really run side by side, and
the error reported is the one of the job listed first."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from scriptflow.reports.parallel import SPLIT_AT, Job, run_jobs, worth_splitting


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    store = sqlite3.connect(tmp_path / "store.db")
    store.execute("CREATE TABLE events (n INTEGER)")
    store.executemany("INSERT INTO events VALUES (?)", [(i,) for i in range(10)])
    store.execute("CREATE TEMP TABLE ev AS SELECT n * 2 AS n FROM events")
    return store


def test_the_second_connection_reads_the_gathered_tables_and_not_the_store(
        conn: sqlite3.Connection) -> None:
    def total(c: sqlite3.Connection) -> int:
        return int(c.execute("SELECT sum(n) FROM ev").fetchone()[0])

    def store_rows(c: sqlite3.Connection) -> tuple[int, str]:
        return c.execute("SELECT count(*) FROM events").fetchone()[0], \
            threading.current_thread().name

    jobs = [Job(f"total{i}", total) for i in range(6)] + [Job("rows", store_rows, 0.1,
                                                              store=True)]
    done = run_jobs(conn, jobs, split=True)
    assert {done[f"total{i}"] for i in range(6)} == {90}
    assert done["rows"] == (10, threading.current_thread().name)


def test_jobs_run_side_by_side(conn: sqlite3.Connection) -> None:
    other_ran = threading.Event()
    threads: set[str] = set()

    def waits(c: sqlite3.Connection) -> bool:
        threads.add(threading.current_thread().name)
        return other_ran.wait(timeout=10)

    def signals(c: sqlite3.Connection) -> None:
        threads.add(threading.current_thread().name)
        other_ran.set()

    # Whichever connection takes ``waits`` blocks: only the other can run ``signals``.
    done = run_jobs(conn, [Job("waits", waits, 2.0), Job("signals", signals, 1.0)],
                    split=True)
    assert done["waits"] is True
    assert len(threads) == 2


def test_one_connection_unless_split(conn: sqlite3.Connection) -> None:
    threads: set[str] = set()

    def where(c: sqlite3.Connection) -> None:
        threads.add(threading.current_thread().name)

    run_jobs(conn, [Job(f"j{i}", where) for i in range(4)], split=False)
    assert threads == {threading.current_thread().name}


@pytest.mark.parametrize("split", [False, True])
def test_the_error_of_the_job_listed_first_is_raised(conn: sqlite3.Connection,
                                                     split: bool) -> None:
    def check(c: sqlite3.Connection) -> None:
        raise LookupError("numbering has a gap")

    def figure(c: sqlite3.Connection) -> None:
        raise ZeroDivisionError("garbage in")

    # The figure is the longest, so it starts first; the check's error still wins.
    with pytest.raises(LookupError, match="numbering"):
        run_jobs(conn, [Job("check", check, 0.1, store=True), Job("figure", figure, 5.0)],
                 split=split)


def test_split_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert not worth_splitting(SPLIT_AT - 1)
    assert worth_splitting(SPLIT_AT)
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not worth_splitting(10 * SPLIT_AT)
