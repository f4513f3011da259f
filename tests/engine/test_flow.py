"""Handoffs, calls, back() across both, and the loop guard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scriptflow import Library, SessionError
from scriptflow.engine import ManualClock, Session

from .conftest import MakeLib, helpdesk, script


def kinds(session: Session, since: int = 0) -> list[tuple[str, str | None]]:
    return [(e.type, e.node) for e in session.events[since:]]


def state(session: Session) -> str:
    return json.dumps(session.to_dict(), sort_keys=True)


# -- handoff ---------------------------------------------------------------------------

def test_handoff_keeps_facts_and_skips_known_questions(desk: Library,
                                                       clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    clock.advance(240)
    before = len(s.events)
    p = s.answer("all_green")
    assert p is not None and (p.script, p.node) == ("wifi", "scope")
    assert kinds(s, before) == [("answered", "lights"), ("handoff", "to-wifi"),
                                ("skipped", "check-lights"), ("asked", "scope")]
    handoff = s.events[before + 1]
    assert handoff.detail == "Let's look at the Wi-Fi."
    assert handoff.data == {"to_script": "wifi", "to_node": "check-lights"}
    skipped = s.events[before + 2]
    assert (skipped.script, skipped.value) == ("wifi", "all_green")
    assert skipped.data is not None and skipped.data["script"] == "net"
    assert s.facts == {"outage": False, "lights": "all_green"}
    assert s.script == "wifi" and s.stack == (("wifi", "scope"),)
    assert set(s.scripts_used) == {"net", "wifi"}


def test_handoff_to_a_named_node(make_lib: MakeLib, clock: ManualClock) -> None:
    lib = make_lib(
        script("a", nodes={"go": {"type": "handoff", "script": "b", "node": "second"}}),
        script("b", facts={"f": {"type": "boolean"}}, nodes={
            "first": {"type": "outcome", "result": "resolved", "code": "first"},
            "second": {"type": "question", "prompt": "f?", "fact": "f", "next": "first"}}))
    s = lib.start("a", clock=clock)
    assert s.prompt is not None and (s.prompt.script, s.prompt.node) == ("b", "second")


# -- call ------------------------------------------------------------------------------

def call_lib(make_lib: MakeLib, routing: dict[str, Any]) -> Library:
    net, _, verify = helpdesk()
    main = script("main", facts={"account_id": net["facts"]["account_id"]}, nodes={
        "check": {"type": "call", "script": "verify", **routing},
        "after": {"type": "outcome", "result": "resolved", "code": "after"},
        "refer": {"type": "outcome", "result": "referred", "code": "refer"},
        "other": {"type": "outcome", "result": "escalated", "code": "other"},
    })
    return make_lib(main, verify)


@pytest.mark.parametrize(("routing", "role", "code"), [
    ({"next": "after"}, "holder", "after"),
    ({"next": "after"}, "other", "after"),
    ({"branches": {"resolved": "after", "referred": "refer"}}, "holder", "after"),
    ({"branches": {"resolved": "after", "referred": "refer"}}, "other", "refer"),
    ({"branches": {"resolved": "after", "*": "other"}}, "other", "other"),
    ({"branches": {"referred": "refer", "*": "other"}}, "holder", "other"),
])
def test_call_returns_and_routes_on_the_result(make_lib: MakeLib, clock: ManualClock,
                                               routing: dict[str, Any], role: str,
                                               code: str) -> None:
    s = call_lib(make_lib, routing).start("main", clock=clock)
    assert s.stack == (("main", "check"), ("verify", "account"))
    assert s.prompt is not None and s.prompt.script == "verify"
    s.answer("12345678")
    before = len(s.events)
    s.answer(role)
    assert s.outcome is not None and s.outcome.code == code
    assert (s.outcome.script, s.stack) == ("main", (("main", s.outcome.node),))
    returned = s.events[before + 1]
    assert returned.type == "returned" and returned.script == "verify"
    assert returned.data is not None and returned.data["to_node"] == "check"
    assert returned.data["result"] == ("resolved" if role == "holder" else "referred")
    # only the outermost outcome ends the session
    assert [e.type for e in s.events].count("outcome") == 1


def test_a_second_call_skips_what_the_first_learned(desk: Library, clock: ManualClock) -> None:
    s = desk.start("wifi", facts={"lights": "all_green"}, clock=clock)
    s.answer("all")
    assert s.prompt is not None and s.prompt.node == "account"
    s.answer("12345678")
    before = len(s.events)
    s.answer("holder")
    # verified: back in wifi at band
    assert kinds(s, before)[1:] == [("returned", "ok"), ("asked", "band")]
    assert s.events[before + 1].detail == "Verified ••••5678."
    again = desk.start("wifi", tracker=s.tracker, clock=clock)  # the customer calls back
    skipped = [e.node for e in again.events if e.type == "skipped"]
    assert skipped == ["check-lights", "scope", "account", "role"]
    assert [e.type for e in again.events if e.type in ("called", "returned")] == [
        "called", "returned"]
    assert again.prompt is not None and again.prompt.node == "band"


def test_handoff_inside_a_call_still_returns_to_the_caller(make_lib: MakeLib,
                                                           clock: ManualClock) -> None:
    lib = make_lib(
        script("main", nodes={
            "c": {"type": "call", "script": "mid", "branches": {"escalated": "up",
                                                                "*": "end"}},
            "up": {"type": "outcome", "result": "escalated", "code": "main-up"},
            "end": {"type": "outcome", "result": "resolved", "code": "main-end"}}),
        script("mid", nodes={"h": {"type": "handoff", "script": "leaf"}}),
        script("leaf", facts={"f": {"type": "boolean"}}, nodes={
            "q": {"type": "question", "prompt": "f?", "fact": "f",
                  "branches": {"yes": "bad", "no": "good"}},
            "bad": {"type": "outcome", "result": "escalated"},
            "good": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("main", clock=clock)
    assert s.stack == (("main", "c"), ("leaf", "q"))
    s.answer("yes")
    assert s.outcome is not None and s.outcome.code == "main-up"


# -- back ------------------------------------------------------------------------------

def test_back_undoes_the_last_answer(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    snapshot = s.to_dict()
    s.answer("internet_red")
    n = len(s.events)
    p = s.back()
    assert (p.node, p.kind) == ("lights", "question") and s.prompt is p
    assert "lights" not in s.facts
    assert [e.type for e in s.events[n:]] == ["undone", "asked"]
    assert s.events[n].data == {"from": n - 2}  # the answered event
    after = s.to_dict()
    for key in ("stack", "mode", "tracker", "undo", "outcome"):
        assert after[key] == snapshot[key]
    assert after["events"][:len(snapshot["events"])] == snapshot["events"]  # append-only


def test_back_restores_invalidated_facts(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("internet_red")
    s.answer("not_fixed")
    assert "lights" not in s.facts
    s.back()
    assert s.facts == {"outage": False, "lights": "internet_red"}
    assert s.prompt is not None and s.prompt.node == "cycle"


def test_back_across_a_handoff(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("all_green")
    assert s.script == "wifi"
    p = s.back()
    assert (p.script, p.node) == ("net", "lights") and s.facts == {"outage": False}
    s.answer("all_off")
    assert s.outcome is not None and s.outcome.code == "dead-router"


def test_back_across_a_call_and_after_the_end(desk: Library, clock: ManualClock) -> None:
    s = desk.start("wifi", facts={"lights": "all_green"}, clock=clock)
    s.answer("all")
    s.answer("12345678")
    s.answer("holder")  # returns from verify
    s.answer("ghz5")
    assert s.finished
    assert s.back().node == "band" and not s.finished and s.outcome is None
    p = s.back()
    assert (p.script, p.node) == ("verify", "role")
    assert s.stack == (("wifi", "verify"), ("verify", "role"))
    assert s.back().node == "account"
    assert s.back().node == "scope"
    with pytest.raises(SessionError, match="nothing to undo"):
        s.back()
    assert not s.can_go_back


def test_back_over_a_confirm(desk: Library, clock: ManualClock) -> None:
    s = desk.start("wifi", facts={"lights": "all_green", "band": "ghz5"}, clock=clock)
    s.answer("one")
    assert s.prompt is not None and s.prompt.kind == "confirm"
    s.answer("no")
    assert s.prompt is not None and s.prompt.kind == "question" and "band" not in s.facts
    p = s.back()
    assert p.kind == "confirm" and s.facts["band"] == "ghz5"
    assert s.events[-1].type == "asked" and s.events[-1].data == {"kind": "confirm"}


# -- the loop guard --------------------------------------------------------------------

def ping_pong(make_lib: MakeLib) -> Library:
    fact = {"x": {"type": "boolean"}}
    return make_lib(
        script("a", facts=fact, nodes={
            "q": {"type": "question", "prompt": "x?", "fact": "x",
                  "branches": {"yes": "h", "no": "end"}},
            "h": {"type": "handoff", "script": "b"},
            "end": {"type": "outcome", "result": "resolved"}}),
        script("b", facts=fact, nodes={
            "q2": {"type": "question", "prompt": "x?", "fact": "x",
                   "branches": {"yes": "h2", "no": "end"}},
            "h2": {"type": "handoff", "script": "a", "node": "q"},
            "end": {"type": "outcome", "result": "resolved"}}))


def test_loop_guard_on_start(make_lib: MakeLib) -> None:
    with pytest.raises(SessionError) as info:
        ping_pong(make_lib).start("a", facts={"x": True})
    assert str(info.value).startswith(
        "stopped: 'a:q' -> 'a:h' -> 'b:q2' -> 'b:h2' -> 'a:q' with nothing learned in between")


def test_loop_guard_leaves_the_session_unchanged(make_lib: MakeLib,
                                                 clock: ManualClock) -> None:
    s = ping_pong(make_lib).start("a", clock=clock)
    before, prompt = state(s), s.prompt
    with pytest.raises(SessionError, match="nothing learned in between"):
        s.answer("yes")
    assert state(s) == before and s.prompt is prompt and s.facts == {}
    s.answer("no")
    assert s.finished


def test_loop_guard_inside_one_script(make_lib: MakeLib, clock: ManualClock) -> None:
    lib = make_lib(script("s", facts={"x": {"type": "boolean"}, "y": {"type": "boolean"}},
                          nodes={
        "q": {"type": "question", "prompt": "x?", "fact": "x", "next": "d"},
        "d": {"type": "decision", "routes": [{"when": "x", "goto": "q"}, {"goto": "r"}]},
        "r": {"type": "question", "prompt": "y?", "fact": "y", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("s", clock=clock)
    with pytest.raises(SessionError, match="stopped: 's:d' -> 's:q' -> 's:d' with"):
        s.answer(True)
    s.answer(False)
    assert s.prompt is not None and s.prompt.node == "r"


def test_the_same_node_under_different_calls_is_no_loop(make_lib: MakeLib,
                                                        clock: ManualClock) -> None:
    _, _, verify = helpdesk()
    lib = make_lib(verify, script("twice", nodes={
        "one": {"type": "call", "script": "verify", "next": "two"},
        "two": {"type": "call", "script": "verify", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("twice", facts={"account_id": "12345678", "caller": "holder"}, clock=clock)
    assert s.finished
    assert [e.type for e in s.events].count("returned") == 2


def test_calls_nested_too_deep(make_lib: MakeLib, clock: ManualClock) -> None:
    lib = make_lib(script("self", nodes={
        "again": {"type": "call", "script": "self", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    with pytest.raises(SessionError, match="calls nested deeper than 32"):
        lib.start("self", clock=clock)


# -- tracing (scenario coverage) ---------------------------------------------------------

def test_trace_records_every_way_out_taken(desk: Library, clock: ManualClock) -> None:
    s: Session = desk.start("net", clock=clock, trace=True)
    for answer in ("no", "all_green", "all", "12345678", "holder", "ghz24"):
        s.answer(answer)
    assert s.trail == [
        ("net", "outage", "branch:no"), ("net", "lights", "branch:all_green"),
        ("net", "to-wifi", "handoff"), ("wifi", "check-lights", "branch:all_green"),
        ("wifi", "scope", "branch:all"), ("wifi", "verify", "call"),
        ("verify", "account", "next"), ("verify", "role", "branch:holder"),
        ("verify", "ok", "outcome"), ("wifi", "verify", "branch:resolved"),
        ("wifi", "band", "branch:ghz24"), ("wifi", "fixed", "outcome")]
    restored = Session.from_dict(desk, json.loads(json.dumps(s.to_dict())), clock=clock)
    assert restored.trail == s.trail


def test_trace_labels_catch_alls_and_routes(desk: Library, clock: ManualClock) -> None:
    s: Session = desk.start("wifi", clock=clock, trace=True)
    s.answer("all_off")
    assert s.trail == [("wifi", "check-lights", "branch:*"), ("wifi", "tier2", "outcome")]
    n: Session = desk.start("net", facts={"lights": "internet_red", "cycle": "not_fixed"},
                            clock=clock, trace=True)
    n.answer("no")
    n.answer(3)
    assert n.trail[-2:] == [("net", "age", "route:1"), ("net", "tier2", "outcome")]
    s.back()  # undone steps stay in the trail: the path was walked
    assert len(s.trail) == 2


def test_no_trail_unless_asked(desk: Library, clock: ManualClock) -> None:
    s: Session = desk.start("net", clock=clock)
    s.answer("yes")
    assert s.trail == [] and "trail" not in s.to_dict()
