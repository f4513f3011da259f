"""Store speed: steps per second (answer + save) per store, one process and two.

Run: ``python benchmarks/store_speed.py`` from the repository root, in the venv (needs
``redis-server`` on the PATH and redis-py). It writes a one-script library of a chain of
questions under a temp folder, starts its own redis-server on a free port (no
persistence, as a cache-style Redis is usually run; the stores' fsync choices are in
their docstrings), and for each way of saving runs sessions through the chain for a
fixed time, in one process and in two at once (separate sessions, the same store).

A *step* is ``session.answer(value)`` followed by saving the session. Beside the
stores (which rewrite a head of constant size and append the new events and one state
record), the same run measures the naive way: rewrite the whole ``to_dict()`` JSON on
every step, into a SQLite row (WAL, synchronous=NORMAL, as the SQLiteStore) and into a
Redis string. Its cost grows with the transcript, so ``--steps`` (session length)
matters; the default 40 is a long helpdesk contact.

Two floors, without the engine: a bare SQLite ``BEGIN; INSERT one row; COMMIT`` in the
same WAL mode (what one durable write costs on this machine, whatever is written), and
a bare Redis ``EVALSHA`` of a one-``HSET`` script sent the way RedisStore sends a save
(one round trip). ``--only`` picks rows, e.g. ``--only sqlite,redis``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from scriptflow import Session, load_library
from scriptflow.stores import open_store
from scriptflow.stores.delta import Saved, head, prepare

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import at_least, record

Saver = Callable[[Session], None]


def write_chain(folder: Path, steps: int) -> Path:
    """A script of ``steps`` choice questions in a row, then an outcome."""
    lines = ["scriptflow: 1", "id: chain", "title: Chain", "start: q0", "facts:"]
    for i in range(steps):
        lines += [f"  f{i}:", "    type: choice", "    options: [red, green, blue]",
                  f"    label: Fact {i}"]
    lines.append("nodes:")
    for i in range(steps):
        nxt = f"q{i + 1}" if i + 1 < steps else "done"
        lines += [f"  q{i}:", "    type: question", f"    prompt: Step {i}, which colour?",
                  f"    fact: f{i}", "    branches:", f"      red: {nxt}",
                  f"      green: {nxt}", f"      blue: {nxt}"]
    lines += ["  done:", "    type: outcome", "    result: resolved", "    code: done"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the ways of saving ------------------------------------------------------------------

def make_saver(kind: str, where: dict[str, str]) -> tuple[Saver | None, Callable[[], None]]:
    """A function that saves a session after a step (None: do not save), and a closer."""
    if kind == "answer only":
        return None, lambda: None
    if kind == "head only":  # what every store pays before it writes anything
        saved: dict[str, Saved] = {}

        def build(session: Session) -> None:
            pending = prepare(session, saved.get(session.id))
            [e.to_dict() for e in session.events[pending.events_from or 0:]]
            session.version = pending.after.version
            saved[session.id] = pending.after

        return build, lambda: None
    if kind == "old head":  # what stores built before: the whole to_dict(events=False)

        def build_old(session: Session) -> None:
            json.dumps(session.to_dict(events=False), separators=(",", ":"),
                       ensure_ascii=False)

        return build_old, lambda: None
    if kind in ("memory", "sqlite", "redis"):
        store = open_store(where[kind])
        return store.save, store.close
    if kind == "sqlite naive":
        db = sqlite3.connect(where["naive_db"], isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS naive (id TEXT PRIMARY KEY, data TEXT)")

        def save_row(session: Session) -> None:
            db.execute("INSERT OR REPLACE INTO naive VALUES (?, ?)",
                       (session.id, json.dumps(session.to_dict())))

        return save_row, db.close
    if kind == "redis naive":
        client = redis.Redis.from_url(where["redis"])

        def save_string(session: Session) -> None:
            client.set(f"naive:{session.id}", json.dumps(session.to_dict()))

        return save_string, client.close
    raise ValueError(kind)


def run(kind: str, where: dict[str, str], lib_dir: str, seconds: float,
        start_at: float) -> tuple[int, float]:
    """Walk sessions through the chain for ``seconds``; returns (steps, elapsed)."""
    if kind in FLOORS:
        return run_floor(kind, where, seconds, start_at)
    lib = load_library(lib_dir)
    save, close = make_saver(kind, where)
    answers = ("red", "green", "blue")
    while time.time() < start_at:  # both processes begin together
        time.sleep(0.001)
    steps, began = 0, time.perf_counter()
    stop = began + seconds
    while time.perf_counter() < stop:
        session = lib.start("chain")
        if save is not None:
            save(session)
        while session.prompt is not None:
            session.answer(answers[steps % 3])
            if save is not None:
                save(session)
            steps += 1
    elapsed = time.perf_counter() - began
    close()
    return steps, elapsed


# 10,000 steps/s against the whole-session rewrite's ~4,700/s where issue 7 was measured.
TARGET_RATIO = 10_000 / 4_700

FLOORS = ("sqlite floor", "sqlite rows", "redis floor")


def run_floor(kind: str, where: dict[str, str], seconds: float,
              start_at: float) -> tuple[int, float]:
    """The cheapest durable write of each kind, in a loop, as steps; no engine."""
    row = "x" * 200
    if kind == "sqlite floor":
        db = sqlite3.connect(where["floor_db"], isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, v TEXT)")

        def write() -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO floor (v) VALUES (?)", (row,))
            db.execute("COMMIT")

        close: Callable[[], None] = db.close
    elif kind == "sqlite rows":
        write, close = sqlite_rows(where)
    else:
        client = redis.Redis.from_url(where["redis"])
        sha = client.script_load("return redis.call('HSET', KEYS[1], 'head', ARGV[1])")
        conn = client.connection_pool.make_connection()
        key = f"floor:{os.getpid()}"

        def write() -> None:
            conn.send_packed_command(conn.pack_command("EVALSHA", sha, 1, key, row))
            conn.read_response()

        def close() -> None:
            conn.disconnect()
            client.close()
    while time.time() < start_at:
        time.sleep(0.001)
    steps, began = 0, time.perf_counter()
    stop = began + seconds
    while time.perf_counter() < stop:
        for _ in range(100):
            write()
        steps += 100
    elapsed = time.perf_counter() - began
    close()
    return steps, elapsed


def sqlite_rows(where: dict[str, str]) -> tuple[Callable[[], None], Callable[[], None]]:
    """What SQLiteStore writes for one answer (the head, two events, one state record,
    in one transaction through its own connection and lock queue), with the rows made
    beforehand: SQLite's share of a save."""
    from scriptflow.stores.sqlite import SQLiteStore

    store = SQLiteStore(where["rows_db"])
    sessions = [f"{uuid.uuid4().hex[:12]}-{i:04d}" for i in range(1000)]
    with store._tx() as db:
        for sid in sessions:
            db.execute("INSERT OR REPLACE INTO sessions VALUES "
                       "(?, 1, 'chain', 'chain', 'q0', 'active', NULL, NULL, NULL, 0, 0, '')",
                       (sid,))
    head = "h" * 400
    record = "r" * 350
    count = [0]

    def write() -> None:
        n = count[0]
        count[0] += 1
        sid = sessions[n % len(sessions)]
        seq = n // len(sessions)
        with store._tx() as db:
            db.execute("UPDATE sessions SET version = ?, current_script = ?, node = ?, "
                       "status = ?, result = ?, code = ?, customer = coalesce(?, customer), "
                       "updated_at = ?, head = ? WHERE id = ? AND version = ?",
                       (1, "chain", "q1", "active", None, None, None, time.time(), head,
                        sid, 1))
            db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           [(sid, 2 * seq, "answered", time.time(), "customer", "chain",
                             "q0", "f0", '"red"', None, '{"kind":"question"}'),
                            (sid, 2 * seq + 1, "asked", time.time(), "system", "chain",
                             "q1", "f1", None, None, '{"kind":"question"}')])
            db.execute("INSERT INTO state_log VALUES (?, ?, ?)", (sid, seq, record))

    return write, store.close


def head_sizes(lib_dir: str) -> tuple[int, int, int, int]:
    """Bytes of the head after the first and the last answer: before (the whole
    to_dict(events=False)) and now (the store's head)."""
    lib = load_library(lib_dir)
    session = lib.start("chain")
    sizes: list[tuple[int, int]] = []
    while session.prompt is not None:
        session.answer("red")
        old = len(json.dumps(session.to_dict(events=False), separators=(",", ":"),
                             ensure_ascii=False).encode())
        sizes.append((old, len(head(session, len(session.events), 99).encode())))
    return sizes[0][0], sizes[-1][0], sizes[0][1], sizes[-1][1]


def _child(kind: str, where: dict[str, str], lib_dir: str, seconds: float,
           start_at: float, out: Any) -> None:
    out.put(run(kind, where, lib_dir, seconds, start_at))


def measure(kind: str, where: dict[str, str], lib_dir: str, seconds: float,
            processes: int) -> float:
    """Steps per second of ``processes`` processes together, each in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 1.5  # time for the children to import and load
    procs = [ctx.Process(target=_child, args=(kind, where, lib_dir, seconds, start_at, out))
             for _ in range(processes)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    return sum(steps for steps, _ in results) / max(elapsed for _, elapsed in results)


def run_slices(kinds: tuple[str, str], where: dict[str, str], lib_dir: str, slice_s: float,
               pairs: int, start_at: float) -> list[int]:
    """Steps done in each of ``2 * pairs`` slices of ``slice_s`` seconds, the two ways of
    saving taking turns (A B, then B A, ...) in this one process, slices begun at the
    same wall-clock times in every process. Each way walks its own sessions on."""
    lib = load_library(lib_dir)
    savers = [make_saver(kind, where) for kind in kinds]
    sessions: list[Session | None] = [None, None]
    answers = ("red", "green", "blue")
    counts = []
    for index in range(2 * pairs):
        pair, second = divmod(index, 2)
        which = second if pair % 2 == 0 else 1 - second
        save = savers[which][0]
        assert save is not None
        session = sessions[which]
        steps = 0
        end = start_at + (index + 1) * slice_s
        while time.time() < start_at + index * slice_s:
            time.sleep(0.0005)
        while time.time() < end:
            if session is None or session.prompt is None:
                session = lib.start("chain")
                save(session)
            session.answer(answers[steps % 3])
            save(session)
            steps += 1
        sessions[which] = session
        counts.append(steps)
    for _save, close in savers:
        close()
    return counts


def _slices_child(kinds: tuple[str, str], where: dict[str, str], lib_dir: str,
                  slice_s: float, pairs: int, start_at: float, out: Any) -> None:
    out.put(run_slices(kinds, where, lib_dir, slice_s, pairs, start_at))


def paired_ratio(store: str, baseline: str, where: dict[str, str], lib_dir: str,
                 seconds: float, processes: int, pairs: int = 12) -> tuple[float, list[float]]:
    """``store``'s steps over ``baseline``'s: the median over ``pairs`` pairs of slices
    side by side (``seconds / 2`` each; A B then B A, so neither always goes first), in
    the same ``processes`` processes, which switch together.

    This machine's speed moves by tens of per cent within seconds, and the baseline
    (CPU-bound JSON) and a store (round trips, disk) do not move alike: rows measured
    seconds apart once gave 2.10x where rows measured together gave 2.7x, and even whole
    rounds of the two back to back ranged from 2.1x to 3.7x in one run. Slices a fraction
    of a second long, in turn, see the same phase of the machine."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    slice_s = seconds / 2
    start_at = time.time() + 2.0  # time for the children to import and load
    procs = [ctx.Process(target=_slices_child, args=((store, baseline), where, lib_dir,
                                                     slice_s, pairs, start_at, out))
             for _ in range(processes)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=2 * pairs * slice_s + 120) for _ in procs]
    for proc in procs:
        proc.join()
    totals = [sum(column) for column in zip(*results, strict=True)]
    ratios = []
    for pair in range(pairs):
        first, second = totals[2 * pair], totals[2 * pair + 1]
        mine, theirs = (first, second) if pair % 2 == 0 else (second, first)
        ratios.append(mine / max(theirs, 1))
    return statistics.median(ratios), ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--steps", type=int, default=40, help="questions per session")
    parser.add_argument("--only", default="", help="comma-separated rows to run "
                        "(answer only, head only, old head, memory, sqlite, sqlite naive, "
                        "sqlite rows, sqlite floor, redis, redis naive, redis floor)")
    args = parser.parse_args()
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("redis-server is not on the PATH (Debian: apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="store-speed-"))
    port = free_port()
    server = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL)
    try:
        lib_dir = str(write_chain(folder / "lib", args.steps))
        where = {"memory": "memory://", "sqlite": f"sqlite:///{folder / 'store.db'}",
                 "naive_db": str(folder / "naive.db"), "floor_db": str(folder / "floor.db"),
                 "rows_db": str(folder / "rows.db"),
                 "redis": f"redis://127.0.0.1:{port}/0"}
        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        redis_version = client.info()["redis_version"]
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
              f"redis-server {redis_version}")
        print(f"session: {args.steps} questions; {args.seconds:g} s a measurement")
        old1, old_n, new1, new_n = head_sizes(lib_dir)
        print(f"head bytes after answer 1 / {args.steps}: before {old1:,} / {old_n:,}; "
              f"now {new1:,} / {new_n:,}\n")
        print(f"{'saving after every answer':<40} {'1 process':>12} {'2 processes':>12}")
        kinds = ["answer only", "head only", "old head", "memory", "sqlite", "sqlite naive",
                 "sqlite rows", "sqlite floor", "redis", "redis naive", "redis floor"]
        if args.only:
            chosen = [k.strip() for k in args.only.split(",")]
            unknown = sorted(set(chosen) - set(kinds))
            if unknown:
                sys.exit(f"unknown rows: {', '.join(unknown)}")
            kinds = [k for k in kinds if k in chosen]
        labels = {"answer only": "nothing (the engine alone)",
                  "head only": "head + state record built, not written",
                  "old head": "before: whole head JSON built",
                  "sqlite floor": "floor: SQLite BEGIN+INSERT+COMMIT",
                  "sqlite rows": "SQLiteStore's SQL alone, rows made",
                  "redis floor": "floor: Redis EVALSHA of one HSET",
                  "memory": "MemoryStore",
                  "sqlite": "SQLiteStore (head + new events)",
                  "sqlite naive": "SQLite, whole to_dict() JSON",
                  "redis": "RedisStore (Lua, head + events)",
                  "redis naive": "Redis SET of whole to_dict() JSON"}
        rates: dict[str, tuple[float, float]] = {}
        for kind in kinds:
            one = measure(kind, where, lib_dir, args.seconds, 1)
            two = measure(kind, where, lib_dir, args.seconds, 2) if kind != "memory" \
                else float("nan")
            rates[kind] = (one, two)
            shown_two = "—" if two != two else f"{two:,.0f}/s"
            print(f"{labels[kind]:<40} {one:>10,.0f}/s {shown_two:>12}", flush=True)
        client.close()
        # Issue 7 states its targets as ratios measured in the same run: 10,000 steps/s
        # against ~4,700/s for rewriting the whole session (JSON + SQLite upsert) on the
        # machine it was measured on, so a store must save at least 10,000 / 4,700 times
        # as many steps as that rewrite does here, on the same machine and in the same run.
        # Each target ratio is measured again in short slices, the two ways taking turns
        # in the same processes (see paired_ratio); the table's rows' ratio is beside it.
        figures = []
        for store, label, processes in (("sqlite", "SQLiteStore", 1),
                                        ("redis", "RedisStore", 2)):
            if store not in rates or f"{store} naive" not in rates:
                continue
            ratio, pairs = paired_ratio(store, f"{store} naive", where, lib_dir,
                                        max(args.seconds / 6, 0.2), processes)
            apart = rates[store][processes - 1] / rates[f"{store} naive"][processes - 1]
            print(f"{label} ÷ whole-session rewrite, {processes} process(es): {ratio:.2f}x "
                  f"(median of {len(pairs)} pairs of slices side by side, "
                  f"{min(pairs):.2f} to {max(pairs):.2f}; the table's rows: {apart:.2f}x)")
            figures.append(at_least(
                f"{label} ÷ whole-session rewrite, steps/s, "
                f"{'one process' if processes == 1 else 'two processes'}, {args.steps} q",
                ratio, TARGET_RATIO))
        if "sqlite" in rates:
            print(f"\nSQLiteStore, one process: {rates['sqlite'][0]:,.0f} steps/s (the issue's "
                  "10,000/s was set on a machine where the whole-session rewrite ran at "
                  "~4,700/s)")
        if figures:
            record("store", figures)
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
