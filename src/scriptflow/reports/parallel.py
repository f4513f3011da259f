"""Figures computed side by side on two SQLite connections.

SQLite runs one statement on one core, and Python's ``sqlite3`` lets go of the GIL while
a statement runs; so once the events in scope are gathered (``source.select_sessions``),
a copy of the connection's temporary tables goes to a second, in-memory connection on
a worker thread, and the two take the figures from one queue, longest first. Figures
that read the store's own tables (not the copies) stay on the first connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Below this many events in scope one connection is as quick: copying the tables and
# starting a thread cost more than the figures.
SPLIT_AT = 50_000


@dataclass(frozen=True, slots=True)
class Job:
    """One figure: ``run`` reads ``ev``, ``scope`` and ``nodes`` (and makes temporary
    tables of its own); ``cost`` orders the queue (the longest first keeps the two
    connections busy to the end); ``store`` when it reads the store's own tables."""

    name: str
    run: Callable[[sqlite3.Connection], Any]
    cost: float = 1.0
    store: bool = False


def worth_splitting(events: int) -> bool:
    """Whether figures over ``events`` events in scope go faster on two connections: from
    :data:`SPLIT_AT` events on, on a machine with more than one core."""
    return events >= SPLIT_AT and (os.cpu_count() or 1) > 1


def run_jobs(conn: sqlite3.Connection, jobs: list[Job], split: bool) -> dict[str, Any]:
    """``{job.name: result}``, on ``conn`` alone, or with ``split`` on ``conn`` and a
    second connection on a worker thread (see :func:`worth_splitting`). When jobs fail, the
    error of the one listed first is raised (so a check listed first, whose failure
    explains the others', is the one reported), after both connections stopped."""
    if not split or len(jobs) < 2 or not hasattr(conn, "serialize"):
        return {job.name: job.run(conn) for job in jobs}
    queue = sorted(jobs, key=lambda job: -job.cost)
    lock = threading.Lock()
    results: dict[str, Any] = {}
    errors: dict[str, Exception] = {}
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
            try:
                results[job.name] = job.run(target)
            except Exception as exc:  # raised in the caller's thread, once all are done
                with lock:
                    errors[job.name] = exc

    # Held in a list the worker empties, so the copy is freed once it is loaded.
    image = [conn.serialize(name="temp")]

    def twin_worker() -> None:
        try:
            twin = sqlite3.connect(":memory:")
            try:
                twin.deserialize(image.pop())
                twin.execute("PRAGMA temp_store = MEMORY")
                twin.execute("PRAGMA cache_size = -131072")
            except Exception:
                twin.close()
                raise
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
    for job in jobs:
        if job.name in errors:
            raise errors[job.name]
    return results
