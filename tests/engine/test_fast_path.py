"""The fast step (node plans, events kept as records until read) against the general walk.

A session started with ``trace=True`` answers every step through the general walk
(``flow.advance``, events made at once); one without takes the fast path wherever it
can. On random valid libraries (handoffs, calls, loops, confirm, invalidation, ttl) and
random steps, both must raise the same errors, show the same prompts and serialise to
the same data, events included.
"""

from __future__ import annotations

import gc
import json
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scriptflow import AnswerError, Library, SessionError, load_library
from scriptflow.engine import Known, ManualClock, Session, Tracker
from scriptflow.engine.plan import library_plan
from scriptflow.engine.tracker import entries_of, values_of

from .conftest import MakeLib, helpdesk, script
from .test_stateful import bad_value, good_value, libraries

ACTIONS = ["option", "option", "option", "value", "bad", "back", "wait", "note", "save",
           "read"]


def _view(session: Session) -> dict[str, Any]:
    data = session.to_dict()
    data.pop("trail", None)
    return data


def _step(session: Session, action: str, value: Any) -> str | None:
    """Apply one action; the error it raised (as text), if any."""
    try:
        if action in ("option", "value", "bad"):
            session.answer(value)
        elif action == "back":
            session.back()
        elif action == "note":
            session.note("checked the cable")
    except (AnswerError, SessionError) as exc:
        return repr(exc)
    return None


def _value(draw: st.DrawFn, session: Session, facts: dict[str, Any], action: str) -> Any:
    prompt = session.prompt
    if prompt is None:
        return "yes"
    if prompt.kind == "confirm":
        return draw(st.sampled_from([True, False, "yes", "no", "maybe"]))
    decl = facts[prompt.fact]
    if action == "bad":
        return bad_value(draw, decl)
    if action == "option" and prompt.options:
        return draw(st.sampled_from(prompt.options))
    return good_value(draw, decl)


@settings(max_examples=min(settings.default.max_examples, 60), deadline=None)
@given(specs=libraries(), data=st.data())
def test_fast_steps_match_the_general_walk(specs: list[dict[str, Any]],
                                           data: st.DataObject) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sf-fast-"))
    try:
        for spec in specs:
            (folder / f"{spec['id']}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False),
                                                      encoding="utf-8")
        lib = load_library(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    facts = specs[0]["facts"]
    clock = ManualClock(1_000_000.0)
    try:
        fast = lib.start(specs[0]["id"], clock=clock, session_id="x")
    except SessionError:
        return  # the scripts loop before the first prompt
    general = lib.start(specs[0]["id"], clock=clock, session_id="x", trace=True)
    for _ in range(data.draw(st.integers(1, 25))):
        action = data.draw(st.sampled_from(ACTIONS))
        if action == "wait":
            clock.advance(data.draw(st.sampled_from([1.0, 200.0, 301.0])))
            continue
        if action == "save":
            fast, general = (Session.from_dict(lib, json.loads(json.dumps(s.to_dict())),
                                               clock=clock) for s in (fast, general))
            continue
        if action == "read":  # make the events pending so far, mid-walk
            assert fast.events == general.events
            continue
        value = data.draw(st.composite(lambda d, a=action, s=fast: _value(d, s, facts, a))())
        assert _step(fast, action, value) == _step(general, action, value)
        assert fast.prompt == general.prompt
        assert fast.stack == general.stack and fast.finished == general.finished
    assert _view(fast) == _view(general)
    assert fast.events == general.events
    assert fast.events_since(1) == general.events_since(1)


def test_events_read_after_steps_are_complete_and_the_same_list(desk: Library,
                                                                clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    first = s.events
    s.answer("no")
    s.answer("internet_red")
    assert s.events is first
    assert [e.type for e in s.events] == ["asked", "answered", "asked", "answered", "asked"]
    assert s.to_dict()["events"] == [e.to_dict() for e in s.events]


def test_a_library_is_planned_once_and_replanned_when_a_script_is_replaced(
        make_lib: MakeLib, desk: Library, clock: ManualClock) -> None:
    plans = library_plan(desk)
    desk.start("net", clock=clock)
    assert library_plan(desk) is plans
    net = plans.script("net")
    assert plans.script("net") is net
    other = make_lib(*helpdesk(), folder="other")
    desk.scripts["net"] = other.scripts["net"]  # someone swaps a script in place
    assert plans.script("net") is not net
    assert plans.script("net").script is other.scripts["net"]


def test_records_not_read_yet_survive_a_script_replaced_in_place(
        make_lib: MakeLib, desk: Library, clock: ManualClock) -> None:
    """Records name node plans by number, and the library plan keeps every plan it made,
    so events made after a script is swapped still tell what happened before it."""
    read_at_once = desk.start("net", clock=clock)
    read_at_once.answer("no")
    read_at_once.answer("internet_red")
    expected = [e.to_dict() for e in read_at_once.events]
    unread = desk.start("net", clock=clock)
    unread.answer("no")
    unread.answer("internet_red")
    other = make_lib(*helpdesk(), folder="other")
    desk.scripts["net"] = other.scripts["net"]
    library_plan(desk).script("net")  # planned again: new plans, new numbers
    assert [e.to_dict() for e in unread.events] == expected


def test_a_walked_sessions_records_leave_the_collector(desk: Library,
                                                      clock: ManualClock) -> None:
    """The records a step keeps hold plain values only (and tuples of them), so the
    collector stops tracking them: thousands of live sessions do not slow every
    collection. (A record holding the tracker entry its step made can need a second
    look, when the collector comes to the record before the entry.)"""
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("internet_red")
    kept = list(s._raw)
    assert [x for x in kept if type(x) is tuple]  # the fast path kept its records unread
    gc.collect()
    gc.collect()
    assert [x for x in kept if gc.is_tracked(x)] == []
    assert [e.type for e in s.events] == ["asked", "answered", "asked", "answered", "asked"]


def test_a_plain_step_leaves_one_object_for_the_collector(make_lib: MakeLib,
                                                         clock: ManualClock) -> None:
    """The plainest step (an option answer leading to a question) keeps its tracker
    entry and nothing else the collector tracks: its record is written flat into the
    transcript, so young collections come half as often as with a tuple per record."""
    colours = {"type": "choice", "label": "Colour", "options": ["red", "blue"]}
    lib = make_lib(script("chain", facts={f"c{i}": colours for i in range(3)}, nodes={
        **{f"q{i}": {"type": "question", "prompt": f"Colour {i}?", "fact": f"c{i}",
                     "branches": {"red": f"q{i + 1}", "blue": f"q{i + 1}"}}
           for i in range(2)},
        "q2": {"type": "question", "prompt": "Colour 2?", "fact": "c2", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("chain", clock=clock)
    s.answer("red")
    gc.disable()
    try:
        before = {id(thing) for thing in gc.get_objects(generation=0)}
        s.answer("blue")
        made = []
        for thing in gc.get_objects(generation=0):  # (a loop: a comprehension adds a cell)
            if id(thing) not in before and thing is not before and thing is not made:
                made.append(thing)
    finally:
        gc.enable()
    assert made == [("blue", "customer", "chain", "q1", clock.now(), None)]
    assert s.facts == {"c0": "red", "c1": "blue"}
    assert [e.type for e in s.events] == ["asked", "answered", "asked", "answered", "asked"]


@pytest.mark.parametrize("seed", range(3))
@given(steps=st.lists(st.tuples(st.sampled_from(["set", "forget", "restore", "read",
                                                 "engine"]),
                                st.integers(0, 5), st.floats(-5, 30), st.booleans()),
                      max_size=40))
def test_tracker_values_are_the_fresh_facts_at_any_time(seed: int,
                                                        steps: list[tuple[str, int, float,
                                                                          bool]]) -> None:
    """values(now) stays right as facts are set, forgotten, restored and go stale, and
    when asked about an earlier time than before; also with facts without a ttl that the
    engine's fast step records as it does (a new one in the entries alone)."""
    tracker = Tracker({f"k{i}": Known(i, "intake", None, None, 0.0, 10.0 * (i + seed))
                       for i in range(3)})
    now = 0.0
    for op, index, delta, flag in steps:
        key = f"k{index}"
        if op == "set":
            tracker.set(key, Known(index, "customer", None, None, now,
                                   None if flag else now + delta))
        elif op == "forget":
            tracker.forget(key)
        elif op == "restore":
            tracker.restore(key, None if flag else Known(1, "agent", None, None, now,
                                                         now + delta))
        elif op == "engine":  # as Session.answer records a fact without a ttl
            entries = entries_of(tracker)
            known = key in entries
            entries[key] = (index * 10, "customer", "s", "n", now, None)
            if known:
                values_of(tracker)[key] = index * 10
        else:
            when = now + delta if flag else now
            now += abs(delta)
            assert dict(tracker.values(when)) == {k: e.value for k, e in tracker.items()
                                                  if e.fresh(when)}


def test_entries_recorded_as_plain_tuples_read_as_known() -> None:
    fields = ("red", "customer", "net", "lights", 5.0, None)
    tracker = Tracker()
    assert tracker.learn("lights", fields) is None
    assert tracker.learn("cycle", ("fixed", "agent", "net", "cycle", 6.0, 66.0)) is None
    assert tracker == Tracker({"lights": Known(*fields),
                               "cycle": Known("fixed", "agent", "net", "cycle", 6.0, 66.0)})
    entry = tracker.get("lights")
    assert type(entry) is Known and entry == Known(*fields) and entry.source == "customer"
    assert all(type(e) is Known for _, e in tracker.items())
    assert tracker.fresh("cycle", 65.0) == ("fixed", "agent", "net", "cycle", 6.0, 66.0)
    assert tracker.fresh("cycle", 66.0) is None
    old = tracker.learn("lights", ("all_off", "customer", "net", "lights", 7.0, None))
    assert type(old) is Known and old.value == "red"
    forgotten = tracker.forget("lights")
    assert type(forgotten) is Known and forgotten.value == "all_off"
    assert tracker.to_dict()["facts"]["cycle"]["stale_at"] == 66.0


def test_known_questions_leading_back_to_each_other_stop_with_an_error(
        make_lib: MakeLib, clock: ManualClock) -> None:
    """An option answer leading into a loop of questions already answered: answer()
    passes known questions itself, and a loop of them must end in the walk's clear
    error with nothing changed, not in an endless loop (found by an audit: it ran until
    memory ran out). An alarm fails the test instead of letting it hang."""
    choice = {"type": "choice", "label": "Pick", "options": ["x", "y"]}
    lib = make_lib(script("loop", facts={
        "z": {"type": "choice", "label": "Go on", "options": ["go", "stop"]},
        "fa": choice, "fb": choice}, nodes={
        "q0": {"type": "question", "prompt": "Z?", "fact": "z",
               "branches": {"go": "q1", "stop": "end"}},
        "q1": {"type": "question", "prompt": "A?", "fact": "fa", "next": "q2"},
        "q2": {"type": "question", "prompt": "B?", "fact": "fb",
               "branches": {"x": "q1", "y": "end"}},
        "end": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("loop", clock=clock)
    s.answer("go")
    s.answer("x")
    before = s.to_dict()

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("answer() did not return within 10 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        with pytest.raises(SessionError, match="nothing learned in between"):
            s.answer("x")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert s.to_dict() == before
    assert s.node == "q2"
