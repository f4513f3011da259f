"""Figures computed side by side on two SQLite connections.

Once the events in scope are gathered (``source.select_sessions``), a copy of the
connection's temporary tables (``serialize``) is loaded into a second, in-memory
connection, and the figures are shared between the two:

- in a **forked process** when the caller runs no other thread (the command line):
  the child inherits the copy, computes its share of the figures and sends them back
  through a pipe. Two processes share nothing, so each figure runs as fast as alone;
- else on a **thread**: ``sqlite3`` lets go of the GIL while a statement runs, but
  SQLite's allocator and Python's still make the two wait for each other at times, and
  forking a process whose other threads may hold locks is not safe.

Figures that read the store's own tables (not the copies) stay on the first connection,
in the snapshot the events were gathered in.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Below this many events in scope one connection is as quick: copying the tables and
# starting a worker cost more than the figures.
SPLIT_AT = 50_000


@dataclass(frozen=True, slots=True)
class Job:
    """One figure: ``run`` reads ``ev``, ``scope`` and ``nodes`` (and makes temporary
    tables of its own) and returns plain data; ``cost`` (seconds over a million events)
    shares the jobs out, the longest first; ``store`` when it reads the store's own
    tables."""

    name: str
    run: Callable[[sqlite3.Connection], Any]
    cost: float = 1.0
    store: bool = False


def worth_splitting(events: int) -> bool:
    """Whether figures over ``events`` events in scope go faster on two connections: from
    :data:`SPLIT_AT` events on, on a machine with more than one core."""
    return events >= SPLIT_AT and (os.cpu_count() or 1) > 1


def run_jobs(conn: sqlite3.Connection, jobs: list[Job], split: bool,
             way: str | None = None) -> dict[str, Any]:
    """``{job.name: result}``, on ``conn`` alone, or with ``split`` shared with a second
    connection (see :func:`worth_splitting`) in a forked process or on a thread
    (``way``: ``"fork"`` or ``"thread"``; by default a fork when that is safe). When
    jobs fail, the error of the one listed first is raised (so a check listed first,
    whose failure explains the others', is the one reported)."""
    if not split or len(jobs) < 2 or not hasattr(conn, "serialize"):
        return {job.name: job.run(conn) for job in jobs}
    if way is None:
        way = "fork" if hasattr(os, "fork") and threading.active_count() == 1 else "thread"
    results: dict[str, Any] = {}
    errors: dict[str, Exception] = {}
    if way == "fork":
        _forked(conn, jobs, results, errors)
    else:
        _threaded(conn, jobs, results, errors)
    for job in jobs:
        if job.name in errors:
            raise errors[job.name]
    return results


def _twin(image: bytes) -> sqlite3.Connection:
    """An in-memory connection holding a copy of another one's temporary tables."""
    twin = sqlite3.connect(":memory:")
    try:
        twin.deserialize(image)
        twin.execute("PRAGMA temp_store = MEMORY")
        twin.execute("PRAGMA cache_size = -131072")
    except Exception:
        twin.close()
        raise
    return twin


def _run(target: sqlite3.Connection, job: Job, results: dict[str, Any],
         errors: dict[str, Exception]) -> None:
    try:
        results[job.name] = job.run(target)
    except Exception as exc:  # raised by run_jobs, once every job is done
        errors[job.name] = exc


def _forked(conn: sqlite3.Connection, jobs: list[Job], results: dict[str, Any],
            errors: dict[str, Exception]) -> None:
    # The shared jobs' numbers, the longest first, wait in a pipe both processes read
    # one byte at a time: whoever is free takes the next (a read of one byte is atomic).
    shared = sorted((job for job in jobs if not job.store), key=lambda job: -job.cost)
    if len(shared) > 255:
        raise ValueError("at most 255 jobs can be shared")
    queue, queue_in = os.pipe()
    os.write(queue_in, bytes(range(len(shared))))
    os.close(queue_in)

    def take() -> Job | None:
        number = os.read(queue, 1)
        return shared[number[0]] if number else None

    image = conn.serialize(name="temp")
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare (limits, memory): every job here, in turn
        for fd in (read_end, write_end, queue):
            os.close(fd)
        for each in jobs:
            _run(conn, each, results, errors)
        return
    if pid == 0:  # the child: figures as long as some are left, pickled into the pipe
        status = 1
        try:
            os.close(read_end)
            twin = _twin(image)
            done: dict[str, Any] = {}
            while (job := take()) is not None:
                # A figure that fails is left out: the parent runs it again to raise it.
                with contextlib.suppress(Exception):
                    done[job.name] = job.run(twin)
            with os.fdopen(write_end, "wb") as sent:
                pickle.dump(done, sent, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:  # never back into the caller's code, nor its exit handlers
            os._exit(status)
    os.close(write_end)
    del image
    received = b""
    with os.fdopen(read_end, "rb") as pipe:
        try:
            while (job := take()) is not None:
                _run(conn, job, results, errors)
            for job in jobs:
                if job.store:
                    _run(conn, job, results, errors)
            received = pipe.read()  # the child's figures, once it is done
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            os.close(queue)
            _, status = os.waitpid(pid, 0)
    try:
        done = pickle.loads(received) if status == 0 else {}
    except Exception:  # a child that died half-way: what it did not send is done here
        done = {}
    results.update(done)
    for job in shared:
        if job.name not in results and job.name not in errors:
            _run(conn, job, results, errors)


def _threaded(conn: sqlite3.Connection, jobs: list[Job], results: dict[str, Any],
              errors: dict[str, Exception]) -> None:
    queue = sorted(jobs, key=lambda job: -job.cost)
    lock = threading.Lock()
    stopping = threading.Event()  # the caller stopped (done, or interrupted): so does the twin

    def take(shared_only: bool) -> Job | None:
        with lock:
            if stopping.is_set():
                return None
            for i, job in enumerate(queue):
                if not (shared_only and job.store):
                    return queue.pop(i)
            return None

    def work(target: sqlite3.Connection, shared_only: bool) -> None:
        while (job := take(shared_only)) is not None:
            _run(target, job, results, errors)

    # Held in a list the worker empties, so the copy is freed once it is loaded.
    image = [conn.serialize(name="temp")]

    def twin_worker() -> None:
        try:
            twin = _twin(image.pop())
        except Exception:  # no second connection: the first one does every job
            return
        try:
            work(twin, shared_only=True)
        finally:
            twin.close()

    worker = threading.Thread(target=twin_worker, name="scriptflow-report", daemon=True)
    worker.start()
    try:
        work(conn, shared_only=False)
    finally:
        stopping.set()
        worker.join()
