"""Stores under test: memory, a real SQLite file and a real redis-server on a free port.

The redis-server is started once per test session (no persistence) and every test gets
its own key prefix, so tests never see each other's sessions. Tests that restart Redis
start servers of their own with :class:`RedisServer`.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from scriptflow import Library, load_library
from scriptflow.engine import ManualClock
from scriptflow.stores import Store
from scriptflow.stores.memory import MemoryStore
from scriptflow.stores.redis import RedisStore
from scriptflow.stores.sqlite import SQLiteStore

from ..engine.conftest import T0, helpdesk, write_library

BACKENDS = ("memory", "sqlite", "redis")

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

class RedisServer:
    """A redis-server process on 127.0.0.1 that a test can stop and start again."""

    def __init__(self, folder: Path, *, persist: bool = False) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed; the Redis tests need it (Debian: "
                        "apt-get install redis-server, listed in .ci/requirements-apt)")
        self.exe = exe
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        # persist: an fsync'ed append-only file, so data outlives a kill -9 of the server
        self.args = ["--appendonly", "yes", "--appendfsync", "always"] if persist \
            else ["--appendonly", "no"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", str(self.folder), *self.args], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        client.close()
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()

@dataclass
class Backend:
    """One kind of store for a test: open handles on the same data, and break it."""

    kind: str
    url: str
    opened: list[Store] = field(default_factory=list)
    prefix: str = ""

    def open(self, clock: ManualClock | None = None) -> Store:
        store: Store
        if self.kind == "memory":  # one process: every handle is the same store
            if not self.opened:
                self.opened.append(MemoryStore(clock=clock))
            return self.opened[0]
        if self.kind == "sqlite":
            store = SQLiteStore(self.url[len("sqlite:///"):], url=self.url, clock=clock)
        else:
            store = RedisStore(self.url, clock=clock, prefix=self.prefix)
        self.opened.append(store)
        return store

    # -- breaking stored data the way a bad disk, a bug or a hand edit would ----------
    def set_head(self, session_id: str, text: str) -> None:
        if self.kind == "memory":
            self._memory()._raw_slot(session_id).head = text
        elif self.kind == "sqlite":
            self._sql("UPDATE sessions SET head = ? WHERE id = ?", text, session_id)
        else:
            self._redis().hset(f"{self.prefix}s:{session_id}", "head", text)

    def get_head(self, session_id: str) -> str:
        return self.open()._read(session_id, events=False).head

    def drop_last_event(self, session_id: str) -> None:
        if self.kind == "memory":
            self._memory()._raw_slot(session_id).events.pop()
        elif self.kind == "sqlite":
            self._sql("DELETE FROM events WHERE session_id = ? AND seq = (SELECT max(seq) "
                      "FROM events WHERE session_id = ?)", session_id, session_id)
        else:
            self._redis().rpop(f"{self.prefix}e:{session_id}")

    def get_log(self, session_id: str) -> list[str]:
        """The session's state log records (JSON texts), oldest first."""
        return self.open()._read(session_id).log

    def set_log(self, session_id: str, records: list[str]) -> None:
        if self.kind == "memory":
            self._memory()._raw_slot(session_id).log[:] = records
        elif self.kind == "sqlite":
            with sqlite3.connect(self.url[len("sqlite:///"):]) as db:
                db.execute("DELETE FROM state_log WHERE session_id = ?", (session_id,))
                db.executemany("INSERT INTO state_log VALUES (?, ?, ?)",
                               [(session_id, i, r) for i, r in enumerate(records)])
        else:
            client = self._redis()
            client.delete(f"{self.prefix}l:{session_id}")
            if records:
                client.rpush(f"{self.prefix}l:{session_id}", *records)

    def set_customer_tracker(self, customer: str, text: str) -> None:
        if self.kind == "memory":
            self._memory()._customer_data[customer] = (1, 0.0, text)
        elif self.kind == "sqlite":
            self._sql("UPDATE customers SET tracker = ? WHERE key = ?", text, customer)
        else:
            self._redis().hset(f"{self.prefix}c:{customer}", "tracker", text)

    def _memory(self) -> MemoryStore:
        store = self.opened[0]
        assert isinstance(store, MemoryStore)
        return store

    def _sql(self, sql: str, *params: Any) -> None:
        with sqlite3.connect(self.url[len("sqlite:///"):]) as db:
            db.execute(sql, params)

    def _redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def close(self) -> None:
        for store in self.opened:
            store.close()

@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    kind = request.param
    if kind == "memory":
        found = Backend(kind, "memory://")
    elif kind == "sqlite":
        found = Backend(kind, f"sqlite:///{tmp_path / 'sessions.db'}")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        found = Backend(kind, server.url, prefix=f"test-{uuid.uuid4().hex[:12]}:")
    yield found
    found.close()

@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)

@pytest.fixture
def store(backend: Backend, clock: ManualClock) -> Store:
    return backend.open(clock)

@pytest.fixture
def lib_dir(tmp_path: Path) -> Path:
    return write_library(tmp_path / "scripts", *helpdesk())

@pytest.fixture
def desk(lib_dir: Path) -> Library:
    """The net / wifi / verify library of the engine tests."""
    return load_library(lib_dir)
