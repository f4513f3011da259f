"""The store commands on bad input: a mistyped store path, corrupt sessions, a failed
export, bad numbers. Each says what is wrong, where, and how to fix it, and changes
nothing it should not. New processes, real SQLite files, a real redis-server."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from scriptflow import CorruptSessionError, Library, ResumeError
from scriptflow.engine import ManualClock
from scriptflow.stores import NoStoreError, Store, export_sqlite, open_store
from scriptflow.stores.sqlite import SQLiteStore

from ..engine.conftest import helpdesk, write_library
from .conftest import Backend, RedisServer
from .test_contract import begin, step

Cli = Callable[..., subprocess.CompletedProcess[str]]

READS = (("sessions", "list"), ("sessions", "show", "some-id"), ("sessions", "check"),
         ("events", "export"), ("sessions", "delete", "some-id"),
         ("sessions", "expire", "60"), ("sessions", "export", "out.db"))


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _sessions(cli: Cli, tmp_path: Path, lib_dir: Path, url: str, *answers: str) -> list[str]:
    """Run one session per answers text into ``url``; their ids, oldest first."""
    for n, text in enumerate(answers):
        path = tmp_path / f"answers-{n}.yaml"
        path.write_text(text, encoding="utf-8")
        cli("run", "net", "--library", str(lib_dir), "--store", url, "--answers", str(path))
    done = cli("sessions", "list", "--store", url, "--json")
    assert done.returncode == 0, done.stderr
    return [row["id"] for row in reversed(json.loads(done.stdout))]


# -- no store where the URL points ------------------------------------------------------

@pytest.mark.parametrize("command", READS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_store_path_is_refused_and_nothing_is_created(
        cli: Cli, tmp_path: Path, lib_dir: Path, command: tuple[str, ...]) -> None:
    extra = ("--library", str(lib_dir)) if command[1] in ("show", "check") else ()
    work = tmp_path / "work"
    work.mkdir()
    done = cli(*command, "--store", "sqlite:///typo-sessions.db", *extra, cwd=work)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no session store at typo-sessions.db (sqlite:///typo-sessions.db)" in done.stderr
    assert "nothing was created: check the path" in done.stderr
    assert "--store sqlite:///path/to/sessions.db" in done.stderr
    assert done.stdout == ""
    assert _files(work) == set()  # no store, no lock file, no export


def test_the_default_store_is_not_created_by_reading_it(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRIPTFLOW_STORE", raising=False)
    done = cli("sessions", "list", cwd=tmp_path)
    assert done.returncode == 2
    assert "no --store given and $SCRIPTFLOW_STORE not set, so the default was read: " \
           "no session store at scriptflow-sessions.db" in done.stderr
    assert _files(tmp_path) == set()


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(cli: Cli,
                                                              tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    before = {p: p.read_bytes() for p in (other, text)}
    for path, says in ((other, "is not a scriptflow session store (it has no sessions "
                               "table); nothing was changed"),
                       (text, "is not a readable SQLite session store")):
        done = cli("sessions", "list", "--store", f"sqlite:///{path}")
        assert done.returncode == 2, done.stderr
        assert f"{path} {says}" in done.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert _files(tmp_path) == {"other.db", "notes.txt"}


def test_reading_a_store_leaves_no_lock_file(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    (sid,) = _sessions(cli, tmp_path, lib_dir, url, "outage: no\n")
    (tmp_path / "sessions.db.lock").unlink()  # left by the run, which wrote
    for command in (("sessions", "list"), ("sessions", "show", sid, "--library", str(lib_dir)),
                    ("sessions", "check", "--library", str(lib_dir)), ("events", "export")):
        done = cli(*command, "--store", url)
        assert done.returncode == 0, done.stderr
    assert not (tmp_path / "sessions.db.lock").exists()


def test_open_store_create_false(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(NoStoreError, match=r"no session store at .*missing\.db"):
        open_store(f"sqlite:///{missing}", create=False)
    assert _files(tmp_path) == set()
    with open_store(f"sqlite:///{missing}"):  # the default still creates it
        pass
    with open_store(f"sqlite:///{missing}", create=False) as store:
        assert store.list() == []
    with open_store("memory://", create=False) as store:  # always there
        assert store.list() == []


def test_a_store_from_before_the_state_log_still_opens_for_reading(
        tmp_path: Path, desk: Library, clock: ManualClock) -> None:
    path = tmp_path / "old.db"
    with SQLiteStore(str(path), clock=clock) as store:
        session = begin(store, desk, clock)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE state_log")
    db.close()
    with SQLiteStore(str(path), create=False) as store:  # adds the table, as before
        assert [i.id for i in store.list()] == [session.id]


# -- corrupt sessions -------------------------------------------------------------------

def _corrupt_sqlite(path: Path, bad_value: str, gap: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET value = '{bad' WHERE session_id = ? AND seq = 1",
                    (bad_value,))
        db.execute("DELETE FROM events WHERE session_id = ? AND seq = 1", (gap,))
    db.close()


def test_corrupt_sessions_on_sqlite(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    db = tmp_path / "sessions.db"
    url = f"sqlite:///{db}"
    # all three wait at net:lights, after answering the outage question
    bad_value, gap, good = _sessions(cli, tmp_path, lib_dir, url, *["outage: no\n"] * 3)
    _corrupt_sqlite(db, bad_value, gap)

    check = cli("sessions", "check", "--store", url, "--library", str(lib_dir))
    assert check.returncode == 1
    assert f"{bad_value}  net:lights  corrupt: stored session '{bad_value}' in {url} is " \
           "corrupt: event 1 holds bad JSON" in check.stdout
    assert f"{gap}  net:lights  corrupt: stored session '{gap}' in {url} is corrupt: " \
           "event 1 is missing from the log" in check.stdout
    assert f"remove it with `scriptflow sessions delete {gap} --store {url}`" in check.stdout
    assert good not in check.stdout
    assert "2 of 3 active session(s) would not resume" in check.stdout

    show = cli("sessions", "show", bad_value, "--store", url, "--library", str(lib_dir))
    assert show.returncode == 1
    lines = show.stdout.split("Transcript (as stored):\n")[1].splitlines()
    assert "asked net:outage outage" in lines[0]
    assert lines[1].startswith("  unreadable: event 1 holds bad JSON")
    assert "asked net:lights lights" in lines[2]
    show = cli("sessions", "show", gap, "--store", url, "--library", str(lib_dir))
    lines = show.stdout.split("Transcript (as stored):\n")[1].splitlines()
    assert lines[1] == "  unreadable: event 1 is missing from the log"
    assert "asked net:lights lights" in lines[2]

    target = tmp_path / "export.db"
    export = cli("sessions", "export", str(target), "--store", url)
    assert export.returncode == 1
    assert f"exported 1 session(s) from {url} to {target}" in export.stdout
    for sid in (bad_value, gap):
        assert f"scriptflow: skipped: stored session '{sid}' in {url} is corrupt" \
            in export.stderr
    assert f"2 corrupt session(s) not exported to {target} ({gap}, {bad_value})" \
           in export.stderr or \
           f"2 corrupt session(s) not exported to {target} ({bad_value}, {gap})" \
           in export.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT id FROM sessions").fetchall() == [(good,)]
    copy.close()

    delete = cli("sessions", "delete", bad_value, "--store", url)
    assert delete.returncode == 0 and f"deleted session {bad_value} from {url}" in delete.stdout
    again = cli("sessions", "delete", bad_value, "--store", url)
    assert again.returncode == 2 and f"no session '{bad_value}' in the store" in again.stderr
    cli("sessions", "delete", gap, "--store", url)
    assert cli("sessions", "check", "--store", url, "--library", str(lib_dir)).returncode == 0
    assert cli("sessions", "export", str(target), "--store", url).returncode == 0


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A Redis database no other test uses, emptied first."""
    url = redis_server.url.replace("/0", "/5")
    redis.Redis.from_url(url).flushdb()
    return url


def test_corrupt_sessions_on_redis(cli: Cli, tmp_path: Path, lib_dir: Path,
                                   redis_url: str) -> None:
    bad_listing, bad_event, good = _sessions(cli, tmp_path, lib_dir, redis_url,
                                             *["outage: no\n"] * 3)
    client = redis.Redis.from_url(redis_url)
    client.hset(f"scriptflow:s:{bad_listing}", "version", "notanumber")
    client.lset(f"scriptflow:e:{bad_event}", 1, "{bad")

    listed = cli("sessions", "list", "--store", redis_url)
    assert listed.returncode == 1
    assert f"{bad_event}  active" in listed.stdout and f"{good}  active" in listed.stdout
    assert "2 session(s) in" in listed.stdout
    assert f"scriptflow: skipped: stored session '{bad_listing}' in {redis_url} is " \
           "corrupt: its listing fields are malformed (version 'notanumber'" in listed.stderr
    assert f"1 corrupt session(s) not listed ({bad_listing})" in listed.stderr
    as_json = cli("sessions", "list", "--store", redis_url, "--json")
    assert as_json.returncode == 1
    assert {r["id"] for r in json.loads(as_json.stdout)} == {bad_event, good}

    check = cli("sessions", "check", "--store", redis_url, "--library", str(lib_dir))
    assert check.returncode == 1
    assert f"{bad_event}  net:lights  corrupt: stored session '{bad_event}'" in check.stdout
    assert "event 1 is not JSON" in check.stdout
    assert f"{bad_listing}  (listing unreadable)  corrupt:" in check.stdout
    assert "2 of 3 active session(s) would not resume" in check.stdout

    show = cli("sessions", "show", bad_listing, "--store", redis_url, "--library",
               str(lib_dir))
    assert f"cannot rebuild session {bad_listing}: stored session '{bad_listing}'" \
           in show.stdout and "its version is 'notanumber'" in show.stdout
    assert f"{bad_listing}  listing unreadable:" in show.stdout
    assert "answered net:outage outage = False" in show.stdout

    target = tmp_path / "export.db"
    export = cli("sessions", "export", str(target), "--store", redis_url)
    assert export.returncode == 1
    assert "exported 1 session(s)" in export.stdout
    assert "2 corrupt session(s) not exported" in export.stderr
    for sid in (bad_listing, bad_event):
        assert cli("sessions", "delete", sid, "--store", redis_url).returncode == 0
    assert cli("sessions", "list", "--store", redis_url).returncode == 0
    assert cli("sessions", "export", str(target), "--store", redis_url).returncode == 0


def test_list_and_salvage_in_every_store(backend: Backend, store: Store, desk: Library,
                                         clock: ManualClock) -> None:
    session = begin(store, desk, clock)
    step(store, session, clock, False)
    events = store.salvage_events(session.id)
    assert events == [{k: v for k, v in e.items() if k not in ("session_id", "seq")}
                      for e in store.events(session.id)]
    if backend.kind == "memory":
        backend._memory()._raw_slot(session.id).events[1] = "{bad"
    elif backend.kind == "sqlite":
        backend._sql("UPDATE events SET value = '{bad' WHERE seq = 1")
    else:
        backend._redis().lset(f"{backend.prefix}e:{session.id}", 1, "{bad")
    salvaged = store.salvage_events(session.id)
    assert salvaged[0] == events[0] and salvaged[2] == events[2]
    assert isinstance(salvaged[1], str) and salvaged[1].startswith("event 1 ")
    with pytest.raises(CorruptSessionError) as caught:
        store.load(desk, session.id)
    assert caught.value.session_id == session.id and caught.value.store == store.url
    if backend.kind == "memory":  # no CLI can reach a memory store
        assert f"remove it with store.delete('{session.id}')" in str(caught.value)
    else:
        assert f"scriptflow sessions delete {session.id} --store {store.url}" \
            in str(caught.value)
    assert [i.id for i in store.list()] == [session.id]  # its listing is fine


# -- sessions export: all or nothing ----------------------------------------------------

def test_a_failed_export_leaves_the_target_as_it_was(tmp_path: Path, desk: Library,
                                                     clock: ManualClock) -> None:
    source = SQLiteStore(str(tmp_path / "sessions.db"), clock=clock)
    first = begin(source, desk, clock)
    target = tmp_path / "out" / "export.db"
    target.parent.mkdir()
    assert export_sqlite(source, str(target)) == 1
    before = target.read_bytes()
    second = begin(source, desk, clock)
    step(source, second, clock, False)
    third = begin(source, desk, clock)
    with sqlite3.connect(tmp_path / "sessions.db") as db:
        db.execute("UPDATE events SET value = '{bad' WHERE session_id = ? AND seq = 1",
                   (second.id,))
    db.close()
    with pytest.raises(CorruptSessionError, match=second.id):
        export_sqlite(source, str(target))
    assert target.read_bytes() == before  # not one session more, not one less
    assert _files(target.parent) == {"export.db"}  # no temporary file left
    # new sessions are added to what the file held; a second store's sessions too
    skipped: list[CorruptSessionError] = []
    assert export_sqlite(source, str(target), on_corrupt=skipped.append) == 2
    assert [e.session_id for e in skipped] == [second.id]
    other = SQLiteStore(str(tmp_path / "other.db"), clock=clock)
    fourth = begin(other, desk, clock)
    assert export_sqlite(other, str(target)) == 1
    with SQLiteStore(str(target), create=False) as copy:
        assert {i.id for i in copy.list()} == {first.id, third.id, fourth.id}
    assert _files(target.parent) == {"export.db"}
    source.close()
    other.close()


def test_export_refuses_a_target_that_cannot_take_it(cli: Cli, tmp_path: Path,
                                                     lib_dir: Path) -> None:
    db = tmp_path / "sessions.db"
    url = f"sqlite:///{db}"
    _sessions(cli, tmp_path, lib_dir, url, "outage: no\n")
    itself = cli("sessions", "export", str(db), "--store", url)
    assert itself.returncode == 2
    assert "that is the store itself; nothing was written: give another file" in itself.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("plain text\n" * 200)
    text = cli("sessions", "export", str(notes), "--store", url)
    assert text.returncode == 2 and "it is not a readable SQLite file" in text.stderr
    assert notes.read_text() == "plain text\n" * 200
    empty = tmp_path / "empty.db"
    empty.touch()  # an empty file is a new export, as `touch` leaves it
    assert cli("sessions", "export", str(empty), "--store", url).returncode == 0
    assert _files(tmp_path) >= {"empty.db", "notes.txt", "sessions.db"}
    assert not [n for n in _files(tmp_path) if n.endswith(".tmp") or n.endswith("-wal")]


# -- numbers and resume hints -----------------------------------------------------------

@pytest.mark.parametrize("args", [("sessions", "expire", "-5"),
                                  ("sessions", "expire", "nan"),
                                  ("sessions", "expire", "soon"),
                                  ("sessions", "list", "--older-than", "-1"),
                                  ("sessions", "list", "--limit", "-1")])
def test_negative_durations_and_counts_are_usage_errors(cli: Cli, tmp_path: Path,
                                                        lib_dir: Path,
                                                        args: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    (sid,) = _sessions(cli, tmp_path, lib_dir, url, "outage: no\n")
    done = cli(*args, "--store", url)
    assert done.returncode == 2
    argument = "SECONDS" if args[1] == "expire" else args[2]
    assert f"error: argument {argument}: " in done.stderr
    assert any(says in done.stderr for says in ("give 0 or more", "is not a number"))
    assert cli("sessions", "list", "--store", url).stdout.startswith(sid)  # still there


def test_a_stranded_session_says_what_to_do(store: Store, tmp_path: Path,
                                            clock: ManualClock) -> None:
    from scriptflow import load_library

    lib = load_library(write_library(tmp_path / "v1", *helpdesk()))
    session = begin(store, lib, clock)
    step(store, session, clock, False)  # stands on net:lights
    net, wifi, verify = helpdesk()
    del net["nodes"]["lights"]
    net["nodes"]["outage"]["branches"]["no"] = "lights-again"
    changed = load_library(write_library(tmp_path / "v2", net, wifi, verify))
    with pytest.raises(ResumeError) as caught:
        store.load(changed, session.id)
    message = str(caught.value)
    assert "node 'lights' of 'net' was removed; restore what changed in the library" \
        in message
    assert f"scriptflow sessions delete {session.id} --store {store.url}" in message
    assert f"scriptflow sessions check --store {store.url}" in message



def test_a_corrupt_customer_memory_on_redis_is_named_with_the_fix(
        cli: Cli, tmp_path: Path, lib_dir: Path, redis_url: str) -> None:
    """An export reads every customer's memory: a malformed one raised a bare ValueError.
    Now the export fails with what, where and how to fix, and leaves no target."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("outage: no\n", encoding="utf-8")
    cli("run", "net", "--library", str(lib_dir), "--store", redis_url, "--answers",
        str(answers), "--customer", "K1")  # (stops at the next question, saved)
    client = redis.Redis.from_url(redis_url)
    assert client.hget("scriptflow:c:K1", "tracker") is not None
    client.hset("scriptflow:c:K1", "updated_at", "yesterday")
    target = tmp_path / "export.db"
    export = cli("sessions", "export", str(target), "--store", redis_url)
    assert export.returncode == 1
    assert f"the memory of customer 'K1' in {redis_url} is corrupt: its version or " \
           "updated_at field is not a number" in export.stderr
    assert "store.forget_customer('K1'), or `redis-cli DEL scriptflow:c:K1`" in export.stderr
    assert "Traceback" not in export.stderr
    assert not target.exists()
