"""The store contract, the same suite for every store (memory, SQLite file, redis-server)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptflow import (
    ConflictError,
    CorruptSessionError,
    Library,
    ResumeError,
    Session,
    StoreError,
    load_library,
)
from scriptflow.engine import ManualClock
from scriptflow.stores import SessionNotFoundError, Store, export_sqlite, open_store, stranded
from scriptflow.stores.sqlite import SQLiteStore

from ..engine.conftest import T0, helpdesk, write_library
from .conftest import Backend

RED = ["internet_red", "not_fixed", "all_off"]  # net: outage no, then these: escalated


def begin(store: Store, lib: Library, clock: ManualClock, **options: object) -> Session:
    session = store.start(lib, "net", clock=clock, **options)
    store.save(session)
    return session


def step(store: Store, session: Session, clock: ManualClock, answer: object) -> None:
    clock.advance(10)
    session.answer(answer)
    store.save(session)


def same(a: Session, b: Session) -> bool:
    return a.to_dict() == b.to_dict()


def test_save_and_load_after_every_step(store: Store, desk: Library,
                                        clock: ManualClock) -> None:
    session = begin(store, desk, clock)
    assert session.version == 1
    for number, answer in enumerate([False, *RED], start=2):
        step(store, session, clock, answer)
        assert session.version == number
        loaded = store.load(desk, session.id, clock=clock)
        assert loaded.version == number
        assert same(loaded, session)
    assert loaded.finished and loaded.outcome is not None
    assert loaded.outcome.code == "dead-router"


def test_a_loaded_copy_goes_on_where_the_first_stopped(store: Store, desk: Library,
                                                      clock: ManualClock) -> None:
    first = begin(store, desk, clock)
    step(store, first, clock, False)
    second = store.load(desk, first.id, clock=clock)   # the next web request
    step(store, second, clock, "all_green")            # hands off to wifi
    third = store.load(desk, first.id, clock=clock)
    assert third.script == "wifi" and third.node == "scope"
    assert [e.type for e in third.events].count("skipped") == 1
    assert third.version == 3 and same(third, second)


def test_back_and_notes_are_appended(store: Store, desk: Library, clock: ManualClock) -> None:
    session = begin(store, desk, clock)
    step(store, session, clock, False)
    session.back()
    session.note("customer went to fetch the router")
    store.save(session)
    loaded = store.load(desk, session.id, clock=clock)
    assert [e.type for e in loaded.events][-3:] == ["undone", "asked", "note"]
    assert same(loaded, session) and loaded.can_go_back is False


def test_stale_copy_conflicts_and_writes_nothing(store: Store, desk: Library,
                                                 clock: ManualClock) -> None:
    session = begin(store, desk, clock)
    agent_a = store.load(desk, session.id, clock=clock)
    agent_b = store.load(desk, session.id, clock=clock)
    step(store, agent_a, clock, True)                  # outage: finished, area-outage
    agent_b.answer(False)
    with pytest.raises(ConflictError) as caught:
        store.save(agent_b)
    message = str(caught.value)
    assert session.id in message and "version 1" in message and "version 2" in message
    assert "load it again" in message
    assert agent_b.version == 1
    stored = store.load(desk, session.id, clock=clock)
    assert stored.finished and same(stored, agent_a)
    # reload and redo: the app's retry
    retry = store.load(desk, session.id, clock=clock)
    retry.note("seen the outage")
    assert store.save(retry) == 3


def test_a_new_session_cannot_overwrite_a_stored_one(store: Store, desk: Library,
                                                     clock: ManualClock) -> None:
    first = begin(store, desk, clock)
    impostor = desk.start("net", clock=clock, session_id=first.id)
    with pytest.raises(ConflictError, match="never saved but the store already has"):
        store.save(impostor)
    assert store.delete(first.id) is True
    with pytest.raises(ConflictError, match="no longer has it"):
        store.save(first)
    assert store.delete(first.id) is False


def test_unknown_session(store: Store, desk: Library) -> None:
    with pytest.raises(SessionNotFoundError) as caught:
        store.load(desk, "nope")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, StoreError)
    assert "no session 'nope'" in str(caught.value)
    with pytest.raises(SessionNotFoundError):
        store.info("nope")


def test_list_filters_and_fields(store: Store, desk: Library, clock: ManualClock) -> None:
    done = begin(store, desk, clock, customer="acct-1")
    step(store, done, clock, True)                     # finished: area-outage
    clock.advance(3600)
    waiting = begin(store, desk, clock)
    wifi = store.start(desk, "wifi", clock=clock)
    store.save(wifi)
    listed = store.list()
    assert {listed[0].id, listed[1].id} == {waiting.id, wifi.id}  # most recent first
    assert {i.id for i in listed} == {done.id, waiting.id, wifi.id}
    info = next(i for i in listed if i.id == done.id)
    assert store.info(done.id) == info
    assert (info.script, info.current_script, info.node, info.status, info.result,
            info.code, info.customer, info.version) == (
        "net", "net", "area", "finished", "unresolved", "area-outage", "acct-1", 2)
    assert info.started_at == T0 and info.updated_at == T0 + 10
    assert [i.id for i in store.list(status="finished")] == [done.id]
    assert {i.id for i in store.list(status="active")} == {waiting.id, wifi.id}
    assert [i.id for i in store.list(script="wifi")] == [wifi.id]
    assert [i.id for i in store.list(older_than=1800)] == [done.id]
    assert len(store.list(limit=2)) == 2
    with pytest.raises(ValueError, match="status must be one of"):
        store.list(status="open")


def test_expire_and_delete(store: Store, desk: Library, clock: ManualClock) -> None:
    old = begin(store, desk, clock)
    clock.advance(7200)
    new = begin(store, desk, clock)
    assert store.expire(3600) == 1
    assert [i.id for i in store.list()] == [new.id]
    with pytest.raises(SessionNotFoundError):
        store.load(desk, old.id)
    assert list(store.events(old.id)) == []
    assert store.expire(3600) == 0


def test_event_log(store: Store, desk: Library, clock: ManualClock) -> None:
    one = begin(store, desk, clock)
    for answer in (False, *RED):
        step(store, one, clock, answer)
    two = begin(store, desk, clock)
    step(store, two, clock, True)
    mine = list(store.events(one.id))
    assert [{k: v for k, v in e.items() if k not in ("session_id", "seq")}
            for e in mine] == one.events_since(0)
    assert [e["seq"] for e in mine] == list(range(len(one.events)))
    assert {e["session_id"] for e in mine} == {one.id}
    everything = list(store.events())
    assert len(everything) == len(one.events) + len(two.events)
    assert [e["at"] for e in everything] == sorted(e["at"] for e in everything)
    window = list(store.events(since=T0 + 20, until=T0 + 40))
    assert window and all(T0 + 20 <= e["at"] < T0 + 40 for e in window)
    assert len(window) == sum(1 for e in everything if T0 + 20 <= e["at"] < T0 + 40)


def test_customer_memory_within_ttl(store: Store, desk: Library, clock: ManualClock) -> None:
    today = store.start(desk, "net", customer="acct-9", clock=clock)
    today.answer(False)
    today.answer("internet_red")          # lights: ttl 30m
    store.save(today)
    known = store.customer_tracker("acct-9")
    assert known is not None and known.get("lights") is not None
    assert known.get("lights").value == "internet_red"  # type: ignore[union-attr]
    # ten minutes later: lights are still fresh, so the question is skipped
    clock.advance(600)
    later = store.start(desk, "wifi", customer="acct-9", clock=clock)
    assert (later.events[0].type, later.events[0].fact) == ("skipped", "lights")
    assert later.finished and later.outcome.code == "wifi-tier2"  # type: ignore[union-attr]
    # an hour later the ttl ran out: asked again
    clock.advance(3600)
    tomorrow = store.start(desk, "wifi", customer="acct-9", clock=clock)
    assert tomorrow.prompt is not None and tomorrow.prompt.fact == "lights"
    assert store.customer_tracker("nobody") is None
    assert store.forget_customer("acct-9") is True
    assert store.customer_tracker("acct-9") is None
    assert store.forget_customer("acct-9") is False


def test_customer_memory_drops_what_a_session_invalidated(store: Store, desk: Library,
                                                         clock: ManualClock) -> None:
    first = store.start(desk, "net", clock=clock)
    first.answer(False)
    first.answer("internet_red")
    store.save(first, customer="acct-2")
    assert store.customer_tracker("acct-2").get("lights") is not None  # type: ignore[union-attr]
    first.answer("not_fixed")             # the restart invalidates the lights
    store.save(first)                     # the customer is remembered for this session
    tracker = store.customer_tracker("acct-2")
    assert tracker is not None and tracker.get("lights") is None
    assert tracker.get("cycle").value == "not_fixed"  # type: ignore[union-attr]
    loaded = store.load(desk, first.id, clock=clock)
    assert store.list()[0].customer == "acct-2"
    loaded.back()                         # undoing the answer forgets it for the customer
    store.save(loaded)
    assert store.customer_tracker("acct-2").get("cycle") is None  # type: ignore[union-attr]


def test_corrupt_customer_tracker_is_named_and_saves_nothing(
        backend: Backend, store: Store, desk: Library, clock: ManualClock) -> None:
    first = store.start(desk, "net", customer="acct-3", clock=clock)
    store.save(first)
    backend.set_customer_tracker("acct-3", '{"format": 1, "facts": {"lights": 7}}')
    with pytest.raises(StoreError, match="tracker of customer 'acct-3' is corrupt"):
        store.customer_tracker("acct-3")
    first.answer(False)
    with pytest.raises(StoreError, match="acct-3"):
        store.save(first)
    assert store.load(desk, first.id, clock=clock).version == 1  # the save wrote nothing
    assert first.version == 1
    assert store.forget_customer("acct-3")
    assert store.save(first) == 2  # a fresh memory of the customer starts from here
    assert store.customer_tracker("acct-3").get("outage") is not None  # type: ignore[union-attr]


def test_truncated_head_is_corrupt_and_named(backend: Backend, store: Store, desk: Library,
                                             clock: ManualClock) -> None:
    bad = begin(store, desk, clock)
    good = begin(store, desk, clock)
    backend.set_head(bad.id, backend.get_head(bad.id)[:40])
    with pytest.raises(CorruptSessionError, match=bad.id):
        store.load(desk, bad.id)
    assert same(store.load(desk, good.id, clock=clock), good)
    assert {i.id for i in store.list()} == {bad.id, good.id}


def test_wrong_format_number_is_corrupt(backend: Backend, store: Store, desk: Library,
                                        clock: ManualClock) -> None:
    bad = begin(store, desk, clock)
    head = json.loads(backend.get_head(bad.id))
    head["format"] = 99
    backend.set_head(bad.id, json.dumps(head))
    with pytest.raises(CorruptSessionError, match=f"{bad.id}.*unsupported session format 99"):
        store.load(desk, bad.id)


def test_missing_events_are_corrupt(backend: Backend, store: Store, desk: Library,
                                    clock: ManualClock) -> None:
    bad = begin(store, desk, clock)
    step(store, bad, clock, False)
    good = begin(store, desk, clock)
    backend.drop_last_event(bad.id)
    with pytest.raises(CorruptSessionError, match=bad.id):
        store.load(desk, bad.id)
    assert same(store.load(desk, good.id, clock=clock), good)


def test_changed_library_strands_active_sessions(store: Store, tmp_path: Path,
                                                 clock: ManualClock) -> None:
    lib = load_library(write_library(tmp_path / "v1", *helpdesk()))
    at_lights = begin(store, lib, clock)
    step(store, at_lights, clock, False)       # stands on net:lights
    at_outage = begin(store, lib, clock)       # stands on net:outage
    finished = begin(store, lib, clock)
    step(store, finished, clock, True)
    net, wifi, verify = helpdesk()
    net["nodes"]["lights"]["fact"] = "cycle"   # lights now asks something else
    net["nodes"]["lights"]["branches"] = {"fixed": "done", "not_fixed": "dead"}
    changed = load_library(write_library(tmp_path / "v2", net, wifi, verify))
    with pytest.raises(ResumeError, match=f"{at_lights.id}.*now asks 'cycle'"):
        store.load(changed, at_lights.id)
    assert store.load(changed, at_outage.id, clock=clock).node == "outage"
    found = stranded(store, changed)
    assert [(s.id, s.script, s.node) for s in found] == [(at_lights.id, "net", "lights")]
    assert "now asks 'cycle' instead of 'lights'" in found[0].reason
    assert stranded(store, lib) == []


def test_export_to_sqlite_schema(store: Store, desk: Library, clock: ManualClock,
                                 tmp_path: Path) -> None:
    one = begin(store, desk, clock, customer="acct-5")
    for answer in (False, *RED):
        step(store, one, clock, answer)
    two = begin(store, desk, clock)
    target = tmp_path / "export.db"
    assert export_sqlite(store, str(target)) == 2
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)
        rows = db.execute("SELECT id, status, code, customer FROM sessions ORDER BY id")
        assert sorted(rows) == sorted([(one.id, "finished", "dead-router", "acct-5"),
                                       (two.id, "active", None, None)])
        answered = db.execute("SELECT fact, value FROM events WHERE session_id = ? AND "
                              "type = 'answered' ORDER BY seq", (one.id,)).fetchall()
        assert answered == [("outage", "false"), ("lights", '"internet_red"'),
                            ("cycle", '"not_fixed"'), ("lights", '"all_off"')]
        assert db.execute("SELECT key FROM customers").fetchall() == [("acct-5",)]
    with SQLiteStore(str(target)) as copy:
        assert same(copy.load(desk, one.id, clock=clock), one)
        assert list(copy.events()) == list(store.events())


def test_stores_are_context_managers(backend: Backend, desk: Library,
                                     clock: ManualClock) -> None:
    with backend.open(clock) as store:
        session = begin(store, desk, clock)
    if backend.kind != "memory":   # the data outlives the handle
        with open_store(backend.url) if backend.kind == "sqlite" else backend.open() as again:
            assert again.load(desk, session.id).version == 1


MOVES = st.lists(st.sampled_from(["answer", "back", "note", "save", "reload"]),
                 min_size=1, max_size=25)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(moves=MOVES, data=st.data())
def test_any_walk_round_trips(store: Store, desk: Library, moves: list[str],
                              data: st.DataObject) -> None:
    """Whatever an agent does between saves, the store gives back the session saved."""
    clock = ManualClock(T0)
    session = store.start(desk, "net", clock=clock)
    store.save(session)
    saved = session.to_dict()
    for move in moves:
        clock.advance(7)
        prompt = session.prompt
        if move == "answer" and prompt is not None:
            options = prompt.options or ("12345678",) if prompt.type != "number" else (3, 9)
            session.answer(data.draw(st.sampled_from(list(options))))
        elif move == "back" and session.can_go_back:
            session.back()
        elif move == "note":
            session.note("n")
        elif move == "save":
            store.save(session)
            saved = session.to_dict()
        elif move == "reload":
            session = store.load(desk, session.id, clock=clock)
            assert session.to_dict() == saved
    store.save(session)
    assert store.load(desk, session.id, clock=clock).to_dict() == session.to_dict()


def test_a_removed_script_strands_its_sessions(store: Store, tmp_path: Path,
                                              clock: ManualClock) -> None:
    lib = load_library(write_library(tmp_path / "v1", *helpdesk()))
    in_wifi = store.start(lib, "wifi", clock=clock)
    in_wifi.answer("all_green")                 # waits at wifi:scope
    store.save(in_wifi)
    in_net = begin(store, lib, clock)
    net, _wifi, verify = helpdesk()
    net["nodes"]["to-wifi"] = {"type": "outcome", "result": "referred", "code": "wifi"}
    without_wifi = load_library(write_library(tmp_path / "v2", net, verify))
    found = stranded(store, without_wifi)
    assert [(s.id, s.script, s.node, s.reason) for s in found] == [
        (in_wifi.id, "wifi", "scope", "script 'wifi' is no longer in the library")]
    with pytest.raises(ResumeError, match="no longer in the library"):
        store.load(without_wifi, in_wifi.id)
    assert store.load(without_wifi, in_net.id, clock=clock).node == "outage"


def test_odd_text_round_trips(store: Store, desk: Library, clock: ManualClock) -> None:
    """Newlines, NULs and non-ASCII in notes and customer keys survive every store."""
    text = "first line\nsecond line — «quoted» \x00 end"
    for customer in (None, "acct\x00ß\n7"):
        session = store.start(desk, "net", clock=clock, customer=customer)
        session.note(text)
        store.save(session)
        session.answer(False)
        store.save(session)
        loaded = store.load(desk, session.id, clock=clock)
        assert same(loaded, session)
        assert loaded.events[1].type == "note" and loaded.events[1].detail == text
        assert store.info(session.id).customer == customer
    assert store.customer_tracker("acct\x00ß\n7") is not None
