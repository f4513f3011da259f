"""Which store ``scriptflow report`` and ``scriptflow simulate`` read or fill, and what
they say when it cannot be used: new processes over real store files (and a real Redis).

docs/cli.md: exit 2 for a usage error or a path that cannot be read (a URL that cannot
be parsed, no store file there, a memory:// store a new process finds empty), 1 for a
store that fails or holds a corrupt session; nothing is created either way.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS, run_cli

from .conftest import STORY, StoreFile, play


def files(folder: Path) -> set[str]:
    """What is in ``folder``, but the library cache loading scripts leaves in the cwd."""
    return {p.name for p in folder.iterdir()} - {".scriptflow-cache"}


@pytest.fixture
def no_env_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRIPTFLOW_STORE", raising=False)


# -- usage errors: exit 2, nothing created -------------------------------------------------

@pytest.mark.parametrize(("store", "says"), [
    ("foo://bar", "unknown store scheme 'foo'"),
    ("sqlite://relative.db", "a SQLite URL names a file"),
    ("sqlite:///missing.db", "no session store at missing.db: it does not exist; give an "
                             "existing SQLite store file"),
    ("missing.db", "no session store at missing.db"),
    ("sqlite:///sub", "no session store at sub: it is a folder"),
    ("memory://", "holds sessions only inside the process that saved them"),
])
def test_a_store_that_cannot_be_read_is_a_usage_error(tmp_path: Path, store: str,
                                                      says: str) -> None:
    (tmp_path / "sub").mkdir()
    out = run_cli("report", "--store", store, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("scriptflow: --store: ") and says in out.stderr
    assert out.stdout == ""
    assert files(tmp_path) == {"sub"}  # no store file, no lock file


def test_memory_store_says_what_to_report_on_instead(tmp_path: Path) -> None:
    out = run_cli("report", "--store", "memory://", "--format", "json", cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert "sqlite:/// or redis://" in out.stderr and "export_sqlite" in out.stderr


@pytest.mark.parametrize(("store", "status", "says"), [
    ("foo://bar", 2, "--store: unknown store scheme 'foo'"),
    ("sqlite:///no/such/folder/s.db", 2, "the folder no/such/folder does not exist"),
])
def test_simulate_store_usage_errors(tmp_path: Path, store: str, status: int,
                                     says: str) -> None:
    out = run_cli("simulate", "internet-down", "--sessions", "3", "--store", store,
                  "--library", str(SCRIPTS), cwd=tmp_path)
    assert out.returncode == status, out.stderr
    assert says in out.stderr and out.stdout == ""
    assert files(tmp_path) == set()


def test_simulate_into_memory_says_the_sessions_are_gone(tmp_path: Path) -> None:
    out = run_cli("simulate", "internet-down", "--sessions", "3", "--store", "memory://",
                  "--library", str(SCRIPTS), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "3 sessions of internet-down saved in memory://" in out.stdout
    assert "gone when this command ends" in out.stderr


# -- $SCRIPTFLOW_STORE: the default store, as for the sessions commands ---------------------

def test_report_reads_scriptflow_store(desk_store: StoreFile, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIPTFLOW_STORE", desk_store.url)
    out = run_cli("report", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["sessions"] == len(STORY)
    # --store wins over the environment.
    other = tmp_path / "other.db"
    play(desk_store.library, other, STORY[:3])
    out = run_cli("report", "--store", f"sqlite:///{other}", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["sessions"] == 3


def test_a_missing_scriptflow_store_is_named(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIPTFLOW_STORE", "sqlite:///nothing-here.db")
    out = run_cli("report", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("scriptflow: $SCRIPTFLOW_STORE: no session store at "
                                 "nothing-here.db")
    assert files(tmp_path) == set()


@pytest.mark.usefixtures("no_env_store")
def test_without_store_or_env_the_default_file(desk_store: StoreFile, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    folder.mkdir()
    out = run_cli("report", cwd=folder)
    assert out.returncode == 2
    assert ("no --store given and $SCRIPTFLOW_STORE unset, so "
            "sqlite:///scriptflow-sessions.db: no session store at") in out.stderr
    play(desk_store.library, folder / "scriptflow-sessions.db", STORY[:2])
    out = run_cli("report", "--format", "json", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["sessions"] == 2


# -- a store that fails or holds a corrupt session: exit 1, saying how to fix it ----------

def test_a_corrupt_session_is_named_with_the_fix(desk_store: StoreFile) -> None:
    with sqlite3.connect(desk_store.path) as db:
        db.execute("DELETE FROM events WHERE session_id = 's2-cycle' AND seq = 3")
    before = desk_store.path.read_bytes()
    out = run_cli("report", "--store", desk_store.url)
    assert out.returncode == 1 and out.stdout == ""
    message = out.stderr
    assert message.startswith(f"scriptflow: stored session 's2-cycle' in {desk_store.url} "
                              "is corrupt: its events are not numbered")
    assert "no report was made" in message
    assert f"`scriptflow sessions show s2-cycle --store {desk_store.url}`" in message
    assert f"`scriptflow sessions delete s2-cycle --store {desk_store.url}`" in message
    assert desk_store.path.read_bytes() == before  # a report only reads
    # A bare path is named as the URL the sessions commands take.
    out = run_cli("report", "--store", str(desk_store.path))
    assert out.returncode == 1
    assert f"`scriptflow sessions show s2-cycle --store {desk_store.url}`" in out.stderr


def test_a_file_that_is_not_a_store_fails(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("not a database\n" * 100, encoding="utf-8")
    out = run_cli("report", "--store", f"sqlite:///{junk}")
    assert out.returncode == 1
    assert f"{junk} is not a readable SQLite session store" in out.stderr


def test_a_corrupt_redis_session_is_named_with_the_fix(desk_store: StoreFile,
                                                       tmp_path: Path) -> None:
    import redis

    from tests.stores.conftest import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    try:
        play(desk_store.library, server.url, STORY)
        redis.Redis(port=server.port).lset("scriptflow:e:s4-wifi", 1, "{not json")
        out = run_cli("report", "--store", server.url)
    finally:
        server.kill()
    assert out.returncode == 1 and out.stdout == ""
    assert "stored session 's4-wifi'" in out.stderr and "corrupt" in out.stderr
    assert "no report was made" in out.stderr
    assert f"scriptflow sessions show s4-wifi --store {server.url}" in out.stderr
    assert f"scriptflow sessions delete s4-wifi --store {server.url}" in out.stderr
