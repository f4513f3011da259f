"""Saving what changed: a head of constant size, appended events and state records."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptflow import CorruptSessionError, Library, ResumeError, Session, load_library
from scriptflow.engine import ManualClock
from scriptflow.engine.events import Event
from scriptflow.engine.serial import resume_problem
from scriptflow.stores import Store
from scriptflow.stores.delta import event_json, head, scalar_json, to_json

from ..engine.conftest import T0, script, write_library
from .conftest import Backend, RedisServer

LENGTH = 30


def chain(length: int = LENGTH) -> dict[str, Any]:
    """A script of ``length`` choice questions in a row, then an outcome."""
    nodes: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    for i in range(length):
        nxt = f"q{i + 1}" if i + 1 < length else "done"
        facts[f"f{i}"] = {"type": "choice", "options": ["red", "green"]}
        nodes[f"q{i}"] = {"type": "question", "prompt": f"Step {i}?", "fact": f"f{i}",
                          "branches": {"red": nxt, "green": nxt}}
    nodes["done"] = {"type": "outcome", "result": "resolved", "code": "done"}
    return script("chain", nodes, facts)


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return load_library(write_library(tmp_path / "chain", chain()))


def test_the_head_stays_the_same_size_as_answers_grow(backend: Backend, store: Store,
                                                      lib: Library,
                                                      clock: ManualClock) -> None:
    session = store.start(lib, "chain", clock=clock)
    store.save(session)
    sizes = []
    for _ in range(LENGTH - 1):
        clock.advance(1)
        session.answer("red")
        store.save(session)
        sizes.append(len(backend.get_head(session.id)))
    # only digits grow (counts, node and fact names); the tracker and back()'s log,
    # a hundred bytes and more an answer, are not in it
    assert max(sizes) - min(sizes) <= 8, sizes
    stored = json.loads(backend.get_head(session.id))
    assert stored["format"] == 2 and "tracker" not in stored and "undo" not in stored
    assert list(stored["scripts"]["chain"]["nodes"]) == [f"q{LENGTH - 1}"]
    assert len(backend.get_log(session.id)) == LENGTH  # a base, then one per answer


def test_saving_after_a_resume_appends(backend: Backend, store: Store, lib: Library,
                                      clock: ManualClock) -> None:
    first = store.start(lib, "chain", clock=clock)
    store.save(first)
    for _ in range(5):
        first.answer("green")
        store.save(first)
    records = backend.get_log(first.id)
    assert json.loads(records[0]).get("base") is True
    assert not any(json.loads(r).get("base") for r in records[1:])
    other = backend.open(clock)  # another process: nothing known of the session
    again = other.load(lib, first.id, clock=clock)
    again.answer("red")
    other.save(again)
    after = backend.get_log(first.id)
    assert after[:len(records)] == records and len(after) == len(records) + 1
    assert set(json.loads(after[-1])) == {"undo", "set", "nodes"}
    assert len(other._read(first.id).events) == len(again.events)
    assert other.load(lib, first.id, clock=clock).to_dict() == again.to_dict()


def test_back_after_a_resume_undoes_every_answer(store: Store, lib: Library,
                                                 clock: ManualClock) -> None:
    live = store.start(lib, "chain", clock=clock)
    store.save(live)
    for i in range(LENGTH - 5):
        clock.advance(3)
        live.answer("red" if i % 2 else "green")
        store.save(live)
    loaded = store.load(lib, live.id, clock=clock)
    assert loaded.to_dict() == live.to_dict()
    steps = 0
    while live.can_go_back:
        clock.advance(1)
        assert loaded.back() == live.back()
        assert loaded.to_dict() == live.to_dict()
        steps += 1
        if steps % 4 == 0:  # saving between backs writes drops; a reload reads them
            store.save(loaded)
            loaded = store.load(lib, live.id, clock=clock)
            assert loaded.to_dict() == live.to_dict()
    assert steps == LENGTH - 5 and not loaded.can_go_back


def test_back_and_answers_between_saves(store: Store, lib: Library,
                                        clock: ManualClock) -> None:
    session = store.start(lib, "chain", clock=clock)
    store.save(session)
    for moves in (["red", "red", "red"], ["back", "back", "green"], ["back"],
                  ["back", "red", "green", "back", "red"], [], ["note"]):
        for move in moves:
            clock.advance(2)
            if move == "back":
                session.back()
            elif move == "note":
                session.note("customer is patient")
            else:
                session.answer(move)
        store.save(session)
        assert store.load(lib, session.id, clock=clock).to_dict() == session.to_dict()


def test_a_head_of_format_1_still_loads(backend: Backend, store: Store, desk: Library,
                                        clock: ManualClock) -> None:
    """Sessions saved before the state log (the whole head) load, and save on."""
    session = store.start(desk, "net", clock=clock)
    session.answer(False)
    session.answer("all_green")  # hands off to wifi
    store.save(session)
    old = session.to_dict(events=False)
    assert old["format"] == 1
    backend.set_head(session.id, json.dumps(old))
    backend.set_log(session.id, [])
    loaded = backend.open(clock).load(desk, session.id, clock=clock)
    assert loaded.to_dict() == session.to_dict()
    assert resume_problem(desk, store.head(session.id)) is None
    clock.advance(5)
    loaded.answer("all")  # calls verify
    store.save(loaded)
    assert store.head(session.id)["format"] == 2
    assert len(backend.get_log(session.id)) == 1  # one base record of everything
    again = store.load(desk, session.id, clock=clock)
    assert again.to_dict() == loaded.to_dict()
    again.back()
    loaded.back()
    assert again.to_dict() == loaded.to_dict()


def test_a_corrupt_state_record_is_named_and_changes_nothing(backend: Backend, store: Store,
                                                            lib: Library,
                                                            clock: ManualClock) -> None:
    session = store.start(lib, "chain", clock=clock)
    store.save(session)
    session.answer("red")
    store.save(session)
    records = backend.get_log(session.id)
    for bad, says in ((records[:1], "counts 2 state records but 1"),
                      ([records[0], records[1][:20]], "state record 1 is not JSON"),
                      ([records[0], '{"drop": 5}'], "drops 5 of 0 undo records"),
                      ([records[0], '{"set": []}'], "state record 1 is malformed")):
        backend.set_log(session.id, bad)
        with pytest.raises(CorruptSessionError, match=f"{session.id}.*{says}"):
            store.load(lib, session.id, clock=clock)
        assert backend.get_log(session.id) == bad
    backend.set_log(session.id, records)
    assert store.load(lib, session.id, clock=clock).to_dict() == session.to_dict()


def test_resuming_after_a_change_saves_the_whole_state_once(backend: Backend, store: Store,
                                                           tmp_path: Path,
                                                           clock: ManualClock) -> None:
    v1 = load_library(write_library(tmp_path / "v1", chain(8)))
    session = store.start(v1, "chain", clock=clock)
    store.save(session)
    for _ in range(4):
        session.answer("red")
        store.save(session)
    spec = chain(8)
    spec["title"] = "Chain, reworded"
    v2 = load_library(write_library(tmp_path / "v2", spec))
    resumed = store.load(v2, session.id, clock=clock)
    assert resumed.events[-1].type == "resumed"
    store.save(resumed)
    records = backend.get_log(session.id)
    assert len(records) == 1 and json.loads(records[0])["base"] is True
    again = store.load(v2, session.id, clock=clock)
    assert again.to_dict() == resumed.to_dict()
    assert again.back().node == "q3"


def test_sessions_with_calls_and_handoffs_round_trip(store: Store, desk: Library,
                                                    clock: ManualClock) -> None:
    session = store.start(desk, "wifi", clock=clock, trace=True)
    store.save(session)
    for answer in ("all_green", "all", "12345678", "holder", "ghz24"):
        if session.prompt is None:
            break
        clock.advance(4)
        session.answer(answer)
        store.save(session)
        assert store.load(desk, session.id, clock=clock).to_dict() == session.to_dict()
    assert session.finished and session.trail
    loaded = store.load(desk, session.id, clock=clock)
    while session.can_go_back:
        assert loaded.back() == session.back()
    assert loaded.to_dict() == session.to_dict()


def test_a_head_is_not_a_session(store: Store, lib: Library, clock: ManualClock) -> None:
    session = store.start(lib, "chain", clock=clock)
    store.save(session)
    with pytest.raises(ResumeError, match="unsupported session format 2 here"):
        Session.from_dict(lib, store.head(session.id))


def test_many_saves_through_the_checkpoint_thread(tmp_path: Path, lib: Library) -> None:
    from scriptflow.stores import checkpoint
    from scriptflow.stores.sqlite import SQLiteStore

    clock = ManualClock(T0)
    path = str(tmp_path / "s.db")
    with SQLiteStore(path, clock=clock) as store:
        ids = []
        for _ in range(checkpoint.EVERY // 10 + 2):
            session = store.start(lib, "chain", clock=clock)
            store.save(session)
            for _ in range(10):
                session.answer("red")
                store.save(session)
            ids.append(session.id)
        assert store._checkpoints._thread is not None
    with SQLiteStore(path, clock=clock) as store:
        assert len(store.list()) == len(ids)
        assert store.load(lib, ids[0], clock=clock).node == "q10"


# -- the JSON written by hand is the JSON json.dumps writes ------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), TEXT,
                    st.floats(allow_nan=False, allow_infinity=False))


@given(value=SCALARS)
def test_scalar_json(value: Any) -> None:
    assert scalar_json(value) == to_json(value)


@given(kind=st.sampled_from(["asked", "note", "answered"]), text=TEXT, value=SCALARS,
       data=st.one_of(st.none(), st.fixed_dictionaries({"kind": TEXT}),
                      st.dictionaries(TEXT, SCALARS, max_size=3)))
def test_event_json(kind: str, text: str, value: Any, data: dict[str, Any] | None) -> None:
    for event in (Event(kind, T0 + 0.25, "agent", text, text, text, value, text, data),
                  Event(kind, T0)):
        assert json.loads(event_json(event)) == event.to_dict()
        assert event_json(event) == to_json(event.to_dict())


def test_the_head_is_the_session_without_tracker_and_undo(desk: Library,
                                                         clock: ManualClock) -> None:
    session = desk.start("wifi", clock=clock)
    session.answer("all_green")
    session.answer("all")  # in verify, called from wifi:verify
    full = session.to_dict(events=False)
    stack = {tuple(f) for f in full["stack"]}
    for sid, info in full["scripts"].items():
        info["nodes"] = {n: fp for n, fp in info["nodes"].items() if (sid, n) in stack}
    del full["tracker"], full["undo"]
    assert json.loads(head(session, full["event_count"], 7)) == {**full, "format": 2,
                                                                  "log": 7}


def test_redis_saves_reload_a_flushed_script(redis_server: RedisServer, lib: Library,
                                             clock: ManualClock) -> None:
    """A restarted Redis has forgotten the save script: the save loads it and goes on."""
    backend = Backend("redis", redis_server.url, prefix=f"test-{uuid.uuid4().hex[:12]}:")
    store = backend.open(clock)
    session = store.start(lib, "chain", clock=clock)
    store.save(session)
    backend._redis().script_flush()
    session.answer("red")
    assert store.save(session) == 2
    assert store.load(lib, session.id, clock=clock).to_dict() == session.to_dict()
    backend.close()


def test_redis_save_replies() -> None:
    import redis

    from scriptflow.stores.redis import _read_save_reply

    class Sock:
        def __init__(self, *chunks: bytes) -> None:
            self.chunks = list(chunks)

        def recv(self, size: int) -> bytes:
            return self.chunks.pop(0) if self.chunks else b""

    assert _read_save_reply(Sock(b"*2\r\n:-1\r", b"\n:17\r\n")) == [-1, 17]
    with pytest.raises(redis.exceptions.NoScriptError):
        _read_save_reply(Sock(b"-NOSCRIPT No matching script\r\n"))
    with pytest.raises(redis.ResponseError, match="ERR boom"):
        _read_save_reply(Sock(b"-ERR bo", b"om\r\n"))
    with pytest.raises(redis.ConnectionError, match="closed"):
        _read_save_reply(Sock(b"*2\r\n"))
    with pytest.raises(redis.ConnectionError, match="unexpected"):
        _read_save_reply(Sock(b"+OK\r\n:1\r\n:2\r\n"))


@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)),
                max_size=8))
def test_redis_save_arguments_are_packed_as_redis_py_packs_them(args: list[Any]) -> None:
    from redis.connection import Connection

    from scriptflow.stores.redis import _bulks

    packed = b"".join(Connection().pack_command("EVALSHA", *args))
    assert b"*%d\r\n" % (len(args) + 1) + b"".join(_bulks(("EVALSHA", *args))) == packed


def test_redis_save_keeps_the_customer_a_save_without_one_leaves(
        redis_server: RedisServer, lib: Library, clock: ManualClock) -> None:
    from scriptflow.stores.redis import RedisStore

    prefix = f"t{uuid.uuid4().hex[:8]}:"
    with RedisStore(redis_server.url, clock=clock, prefix=prefix) as store:
        session = store.start(lib, "chain", clock=clock)
        store.save(session, customer="acct-1")
        session.answer("red")
        store._customers.pop(session, None)  # as a process that never knew the customer
        store.save(session)  # no customer given: the Lua script's path, which keeps it
        [info] = store.list()
        assert (info.customer, info.version, info.node) == ("acct-1", 2, "q1")
