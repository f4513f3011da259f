"""The report's figures shared between two connections, in a forked process or on a
thread: the second one sees the gathered tables, figures reading the store stay with
the caller, jobs really run side by side, a worker that dies loses nothing, and the
error reported is the one of the job listed first."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from scriptflow.reports.parallel import SPLIT_AT, Job, run_jobs, worth_splitting

WAYS = ["fork", "thread"]


def me() -> tuple[int, str]:
    return os.getpid(), threading.current_thread().name


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    store = sqlite3.connect(tmp_path / "store.db")
    store.execute("CREATE TABLE events (n INTEGER)")
    store.executemany("INSERT INTO events VALUES (?)", [(i,) for i in range(10)])
    store.execute("CREATE TEMP TABLE ev AS SELECT n * 2 AS n FROM events")
    return store


@pytest.mark.parametrize("way", WAYS)
def test_the_second_connection_reads_the_gathered_tables_and_not_the_store(
        conn: sqlite3.Connection, way: str) -> None:
    def total(c: sqlite3.Connection) -> int:
        return int(c.execute("SELECT sum(n) FROM ev").fetchone()[0])

    def store_rows(c: sqlite3.Connection) -> tuple[int, tuple[int, str]]:
        return c.execute("SELECT count(*) FROM events").fetchone()[0], me()

    jobs = [Job(f"total{i}", total) for i in range(6)] + [Job("rows", store_rows, 0.1,
                                                              store=True)]
    done = run_jobs(conn, jobs, split=True, way=way)
    assert {done[f"total{i}"] for i in range(6)} == {90}
    assert done["rows"] == (10, me())


@pytest.mark.parametrize("way", WAYS)
def test_jobs_run_side_by_side(conn: sqlite3.Connection, tmp_path: Path, way: str) -> None:
    flag = tmp_path / "other-ran"

    def waits(c: sqlite3.Connection) -> tuple[bool, tuple[int, str]]:
        deadline = time.monotonic() + 10
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        return flag.exists(), me()

    def signals(c: sqlite3.Connection) -> tuple[int, str]:
        flag.touch()
        return me()

    # Whichever side takes ``waits`` blocks: only the other can run ``signals``.
    done = run_jobs(conn, [Job("waits", waits, 2.0), Job("signals", signals, 1.0)],
                    split=True, way=way)
    ran, waiter = done["waits"]
    assert ran is True
    assert waiter != done["signals"]
    assert me() in (waiter, done["signals"])


def test_one_connection_unless_split(conn: sqlite3.Connection) -> None:
    done = run_jobs(conn, [Job(f"j{i}", lambda c: me()) for i in range(4)], split=False)
    assert set(done.values()) == {me()}


def test_a_forked_worker_that_dies_loses_no_figure(conn: sqlite3.Connection) -> None:
    parent = os.getpid()

    def fragile(c: sqlite3.Connection) -> int:
        if os.getpid() != parent:
            os._exit(3)  # the child dies without a word
        return int(c.execute("SELECT count(*) FROM ev").fetchone()[0])

    jobs = [Job("fragile", fragile, 5.0), *(Job(f"j{i}", lambda c: 1, 0.1)
                                            for i in range(3))]
    for _ in range(3):  # whichever side takes it first
        done = run_jobs(conn, jobs, split=True, way="fork")
        assert done == {"fragile": 10, "j0": 1, "j1": 1, "j2": 1}


@pytest.mark.parametrize("way", [None, *WAYS])
def test_the_error_of_the_job_listed_first_is_raised(conn: sqlite3.Connection,
                                                     way: str | None) -> None:
    def check(c: sqlite3.Connection) -> None:
        raise LookupError("numbering has a gap")

    def figure(c: sqlite3.Connection) -> None:
        raise ZeroDivisionError("garbage in")

    # The figure is the longest, so it starts first; the check's error still wins.
    with pytest.raises(LookupError, match="numbering"):
        run_jobs(conn, [Job("check", check, 0.1, store=True), Job("figure", figure, 5.0)],
                 split=way is not None, way=way)


def test_an_error_in_the_forked_worker_is_raised_as_itself(conn: sqlite3.Connection) -> None:
    def figure(c: sqlite3.Connection) -> None:
        raise ZeroDivisionError("garbage in")

    with pytest.raises(ZeroDivisionError, match="garbage"):
        run_jobs(conn, [Job("figure", figure, 5.0), Job("other", lambda c: 1, 0.1)],
                 split=True, way="fork")


def test_split_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert not worth_splitting(SPLIT_AT - 1)
    assert worth_splitting(SPLIT_AT)
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not worth_splitting(10 * SPLIT_AT)


def test_no_process_to_fork_means_every_job_here(conn: sqlite3.Connection,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    done = run_jobs(conn, [Job(f"j{i}", lambda c: me()) for i in range(3)], split=True,
                    way="fork")
    assert set(done) == {"j0", "j1", "j2"} and set(done.values()) == {me()}


def test_an_interrupted_report_leaves_no_process_behind(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real_fork, forked = os.fork, []

    def fork() -> int:
        pid = real_fork()
        forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)

    def slow_there(c: sqlite3.Connection) -> None:
        if os.getpid() != parent:
            time.sleep(30)

    def interrupted(c: sqlite3.Connection) -> None:
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_jobs(conn, [Job("slow", slow_there, 5.0), Job("quick", lambda c: 1, 1.0),
                        Job("stop", interrupted, 0.1, store=True)], split=True, way="fork")
    assert time.monotonic() - started < 10  # the child was stopped, not waited for
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # and reaped: it is no child of ours any more
        os.waitpid(forked[0], os.WNOHANG)
