"""Faults against real servers: SIGKILL mid-save, racing processes, Redis going away,
a missing client library, unreadable files."""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scriptflow import ConflictError, Library, StoreError, load_library
from scriptflow.engine import ManualClock
from scriptflow.stores import Store, open_store
from scriptflow.stores.redis import RedisStore
from scriptflow.stores.sqlite import SQLiteStore

from .conftest import Backend, RedisServer, free_port
from .save_worker import digest

WORKER = Path(__file__).with_name("save_worker.py")


# -- SQLite: kill -9 in the middle of many saves ----------------------------------------

def _run_and_kill(url: str, lib_dir: Path, seed: int, lines: int) -> dict[str, tuple[int, str]]:
    """Start a worker, let it acknowledge about ``lines`` saves, SIGKILL it; returns
    the last acknowledged (version, digest) of each session it saved."""
    worker = subprocess.Popen([sys.executable, str(WORKER), url, str(lib_dir), str(seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    acked: dict[str, tuple[int, str]] = {}
    try:
        for _ in range(lines):
            line = worker.stdout.readline()
            if not line:
                pytest.fail(f"the worker stopped: {worker.stderr.read() if worker.stderr else ''}")
            sid, version, sha = line.split()
            acked[sid] = (int(version), sha)
        time.sleep(random.random() * 0.05)  # somewhere inside a later save
    finally:
        os.kill(worker.pid, signal.SIGKILL)
    for line in worker.stdout:  # printed before the kill: acknowledged too
        parts = line.split()
        if len(parts) == 3:
            acked[parts[0]] = (int(parts[1]), parts[2])
    worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    return acked


def test_sqlite_survives_sigkill_with_every_acknowledged_save(tmp_path: Path,
                                                              lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    lib = load_library(lib_dir)
    acked: dict[str, tuple[int, str]] = {}
    rng = random.Random(4)
    for round_ in range(5):
        acked.update(_run_and_kill(url, lib_dir, round_, rng.randint(30, 400)))
    assert len(acked) >= 4
    with open_store(url) as store:
        stored = {info.id: info.version for info in store.list()}
        for sid, (version, sha) in acked.items():
            session = store.load(lib, sid)
            # a save can commit in the instant before its line is printed
            assert session.version in (version, version + 1), sid
            if session.version == version:
                assert digest(session) == sha, f"{sid} differs from its last saved state"
        for sid in stored:  # nothing half-written, acknowledged or not
            store.load(lib, sid)
    assert set(acked) <= set(stored)


# -- several processes saving the same session -------------------------------------------

def _open(kind: str, url: str, prefix: str) -> Store:
    return RedisStore(url, prefix=prefix) if kind == "redis" else open_store(url)


PER_SESSION = 100  # rounds on one session before the next (keeps every load small)


def _contender(kind: str, url: str, prefix: str, lib_dir: str, sids: list[str],
               rounds: int, worker: int, barrier: Any, results: Any) -> None:
    lib = load_library(lib_dir)
    with _open(kind, url, prefix) as store:
        for round_ in range(rounds):
            barrier.wait(60)
            session = store.load(lib, sids[round_ // PER_SESSION])
            barrier.wait(60)  # everyone holds the same version before anyone saves
            session.note(f"{worker}:{round_}")
            try:
                store.save(session)
                won = True
            except ConflictError:
                won = False
            results.put((round_, worker, won))


def _race(backend: Backend, lib: Library, lib_dir: Path, rounds: int,
          workers: int = 3) -> None:
    sids = []
    with backend.open() as store:
        for _ in range(0, rounds, PER_SESSION):
            session = store.start(lib, "net")
            store.save(session)
            sids.append(session.id)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [ctx.Process(target=_contender, args=(
        backend.kind, backend.url, backend.prefix, str(lib_dir), sids, rounds, w,
        barrier, results)) for w in range(workers)]
    for proc in procs:
        proc.start()
    outcomes: list[tuple[int, int, bool]] = []
    try:
        while len(outcomes) < rounds * workers:
            outcomes.append(results.get(timeout=60))
    except queue.Empty:
        pytest.fail(f"the contenders stopped after {len(outcomes)} saves")
    finally:
        for proc in procs:
            proc.join(60)
    assert all(proc.exitcode == 0 for proc in procs)
    winners = {}
    for round_ in range(rounds):
        won = [w for r, w, ok in outcomes if r == round_ and ok]
        assert len(won) == 1, f"round {round_}: winners {won}"
        winners[round_] = won[0]
    with backend.open() as store:
        for index, sid in enumerate(sids):
            final = store.load(lib, sid)
            mine = range(index * PER_SESSION, min(rounds, (index + 1) * PER_SESSION))
            assert final.version == len(mine) + 1
            notes = [e.detail for e in final.events if e.type == "note"]
            assert notes == [f"{winners[r]}:{r}" for r in mine]  # no lost update


@pytest.fixture(params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path / 'race.db'}")
    server: RedisServer = request.getfixturevalue("redis_server")
    return Backend("redis", server.url, prefix=f"race-{os.getpid()}-{random.random()}:")


def test_racing_processes_one_winner_per_round(shared: Backend, desk: Library,
                                               lib_dir: Path) -> None:
    _race(shared, desk, lib_dir, rounds=150)


@pytest.mark.slow
def test_racing_processes_thousands_of_rounds(shared: Backend, desk: Library,
                                              lib_dir: Path) -> None:
    _race(shared, desk, lib_dir, rounds=2000)


# -- Redis going away and coming back ----------------------------------------------------

def test_redis_down_is_a_clear_error_then_recovers(tmp_path: Path, desk: Library) -> None:
    server = RedisServer(tmp_path / "redis", persist=True).start()
    clock = ManualClock()
    try:
        store = RedisStore(server.url, clock=clock, timeout=2)
        session = store.start(desk, "net", clock=clock)
        session.answer(False)
        store.save(session)
        saved = session.to_dict()
        server.kill()
        session.answer("all_green")
        for attempt in (lambda: store.save(session), lambda: store.load(desk, session.id),
                        lambda: store.list()):
            with pytest.raises(StoreError) as caught:
                attempt()
            assert f"Redis at {server.url} is not reachable" in str(caught.value)
        assert session.version == 1  # nothing counted as saved
        server.start()  # same port, same append-only file
        assert store.load(desk, session.id, clock=clock).to_dict() == saved
        assert store.save(session) == 2
        assert store.load(desk, session.id, clock=clock).script == "wifi"
        store.close()
    finally:
        server.kill()


def test_redis_errors_do_not_show_the_password() -> None:
    store = RedisStore(f"redis://app:s3cret@127.0.0.1:{free_port()}/0", timeout=1)
    with pytest.raises(StoreError) as caught:
        store.list()
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(store)
    assert "redis://app:***@127.0.0.1:" in str(caught.value)
    store.close()


# -- what a user gets wrong ------------------------------------------------------------

def test_missing_redis_client_names_the_extra() -> None:
    code = ("import sys; sys.modules['redis'] = None\n"
            "from scriptflow.stores import open_store\n"
            "try:\n    open_store('redis://127.0.0.1:1/0')\n"
            "except ImportError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "pip install 'scriptflow[redis]'" in done.stdout


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://db/x", "unknown store scheme 'postgres'"),
    ("sessions.db", "not a store URL"),
    ("sqlite://", "a SQLite URL names a file"),
    ("sqlite:///x.db?journal=off", "unknown option 'journal'"),
])
def test_bad_urls_say_what_is_supported(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        open_store(url)
    assert "memory://" in str(caught.value) or "sqlite:///" in str(caught.value)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not sessions\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.db.*file is not a database"):
        open_store(f"sqlite:///{path}")
    assert path.read_text().startswith("these are not sessions")  # left as it was


def test_sqlite_url_options(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}?synchronous=full") as store:
        assert isinstance(store, SQLiteStore)
        assert store._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with open_store(f"sqlite:///{tmp_path / 'b.db'}") as store:
        assert store._db.execute("PRAGMA synchronous").fetchone() == (1,)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="synchronous must be one of"):
        open_store(f"sqlite:///{tmp_path / 'c.db'}?synchronous=sometimes")
