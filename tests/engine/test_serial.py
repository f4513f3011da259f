"""to_dict / from_dict: JSON-safe, masked transcripts, and never resuming on a changed node."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scriptflow import Library, ResumeError, load_library
from scriptflow.engine import ManualClock, Session

from .conftest import T0, MakeLib, Spec, helpdesk, write_library


def roundtrip(s: Session, lib: Library | None = None, clock: ManualClock | None = None
              ) -> Session:
    data = json.loads(json.dumps(s.to_dict()))
    return Session.from_dict(lib or s.library, data, clock=clock or s.clock)


def walked(desk: Library, clock: ManualClock) -> Session:
    """net -> wifi -> inside the verify call, at 'role'."""
    s: Session = desk.start("net", facts={"account_id": "12345678"}, clock=clock)
    s.answer("no")
    clock.advance(60)
    s.answer("all_green")
    s.answer("all")
    assert s.stack == (("wifi", "verify"), ("verify", "role"))
    return s


def test_shape_of_to_dict(desk: Library, clock: ManualClock) -> None:
    s = walked(desk, clock)
    data = s.to_dict()
    json.dumps(data)  # JSON-safe
    assert data["format"] == 1 and data["id"] == s.id and len(s.id) == 32
    assert set(data) == {"format", "id", "actor", "started_at", "scripts", "stack", "mode",
                         "outcome", "tracker", "undo", "events"}
    assert {sid: info["hash"] for sid, info in data["scripts"].items()} == {
        sid: desk[sid].content_hash for sid in ("net", "wifi", "verify")}
    assert data["scripts"]["verify"]["nodes"]["role"] == {
        "type": "question", "fact": "caller", "fact_type": "choice",
        "options": ["holder", "other"]}
    assert data["stack"] == [["wifi", "verify"], ["verify", "role"]]
    assert data["mode"] == "question" and data["outcome"] is None
    assert data["tracker"]["format"] == 1
    assert data["tracker"]["facts"]["lights"] == {
        "value": "all_green", "source": "customer", "script": "net", "node": "lights",
        "learned_at": T0 + 60, "stale_at": T0 + 60 + 1800}
    assert len(data["undo"]) == 3 and data["undo"][-1]["facts"] == {"scope": None}
    assert [e["type"] for e in data["events"]][:3] == ["asked", "answered", "asked"]


def test_sensitive_values_masked_in_events_prompt_and_summary(desk: Library,
                                                              clock: ManualClock) -> None:
    s = desk.start("verify", clock=clock)
    s.answer("87654321")
    data = s.to_dict()
    text = json.dumps(data["events"], ensure_ascii=False)
    assert "87654321" not in text and "••••4321" in text
    assert "87654321" not in s.summary() and "••••4321" in s.summary()
    assert "87654321" not in json.dumps(s.summary_dict(), ensure_ascii=False)
    # the tracker keeps the real value, so routing and restoring work
    assert data["tracker"]["facts"]["account_id"]["value"] == "87654321"
    assert s.facts["account_id"] == "87654321"
    s.answer("holder")
    assert s.outcome is not None and s.outcome.message == "Verified ••••4321."
    assert roundtrip(s).tracker.get("account_id").value == "87654321"  # type: ignore[union-attr]


def test_roundtrip_continues_exactly_as_the_original(desk: Library, clock: ManualClock) -> None:
    s = walked(desk, clock)
    twin = roundtrip(s)
    assert twin.to_dict() == s.to_dict()
    assert twin.prompt == s.prompt and twin.facts == s.facts and twin.events == s.events
    for answer in ("holder", "ghz24"):
        clock.advance(5)
        assert twin.answer(answer) == s.answer(answer)
    assert twin.to_dict() == s.to_dict() and twin.finished


def test_head_plus_appended_events_restores_the_session(desk: Library,
                                                       clock: ManualClock) -> None:
    """A store keeps the small head and appends events; together they are to_dict()."""
    s = desk.start("net", facts={"account_id": "12345678"}, clock=clock)
    saved: list[dict[str, Any]] = s.events_since(0)
    for answer in ("no", "all_green"):
        clock.advance(30)
        s.answer(answer)
        saved += s.events_since(len(saved))
    head = s.to_dict(events=False)
    assert "events" not in head and head["event_count"] == len(saved) == len(s.events)
    twin = Session.from_dict(desk, {**json.loads(json.dumps(head)), "events": saved},
                             clock=clock)
    assert twin.to_dict() == s.to_dict()
    with pytest.raises(ResumeError, match=r"counts \d+ events but"):
        Session.from_dict(desk, {**head, "events": saved[:-1]}, clock=clock)


def test_back_after_from_dict_across_call_and_handoff(desk: Library,
                                                      clock: ManualClock) -> None:
    s = roundtrip(walked(desk, clock))
    assert s.back().node == "scope"
    s = roundtrip(s)
    p = s.back()
    assert (p.script, p.node) == ("net", "lights") and "lights" not in s.facts
    s = roundtrip(s)
    assert s.back().node == "outage"
    assert not s.can_go_back


def test_finished_session_roundtrips(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("yes")
    twin = roundtrip(s)
    assert twin.finished and twin.outcome == s.outcome and twin.prompt is None
    assert twin.back().node == "outage"


# -- resuming against a changed library --------------------------------------------------

@pytest.fixture
def change(tmp_path: Path, clock: ManualClock) -> Callable[..., Any]:
    """``change(edit)``: save a session at wifi:scope, apply ``edit`` to the three
    script specs, reload, and resume against the result."""

    def run(edit: Callable[[Spec, Spec, Spec], None], at: str = "scope") -> Session:
        specs = helpdesk()
        lib = load_library(write_library(tmp_path / "lib", *specs))
        s = lib.start("net", clock=clock)
        s.answer("no")
        s.answer("all_green")
        if at == "role":
            s.answer("all")
        data = json.loads(json.dumps(s.to_dict()))
        changed = copy.deepcopy(specs)
        edit(*changed)
        new = load_library(write_library(tmp_path / "lib", *[c for c in changed if c]))
        return Session.from_dict(new, data, clock=clock)

    return run


def test_resume_unchanged_adds_no_event(change: Callable[..., Session]) -> None:
    s = change(lambda net, wifi, verify: None)
    assert s.events[-1].type == "asked"


def test_resume_after_a_compatible_change(change: Callable[..., Session]) -> None:
    def edit(net: Spec, wifi: Spec, verify: Spec) -> None:
        wifi["nodes"]["scope"]["prompt"] = "Is it one device, or every device?"
        wifi["version"] = 2

    s = change(edit)
    event = s.events[-1]
    assert event.type == "resumed" and event.actor == "system"
    assert "'wifi'" in event.detail
    assert event.data is not None and [c["script"] for c in event.data["changed"]] == ["wifi"]
    assert s.prompt is not None and s.prompt.text == "Is it one device, or every device?"
    assert s.to_dict()["scripts"]["wifi"]["hash"] == s.library["wifi"].content_hash
    s.answer("one")
    assert s.prompt is not None and s.prompt.node == "band"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda n, w, v: w["nodes"].pop("scope") and w["nodes"]["check-lights"]["branches"]
     .update({"all_green": "band"}),
     "script 'wifi' changed .*: node 'scope' of 'wifi' was removed"),
    (lambda n, w, v: w["nodes"]["scope"].update(
        {"type": "action", "instruction": w["nodes"]["scope"].pop("prompt")}),
     "node 'scope' of 'wifi' changed from question to action"),
    (lambda n, w, v: w["nodes"]["scope"].update({"fact": "band", "branches": {
        "ghz24": "band", "ghz5": "verify"}}),
     "node 'scope' of 'wifi' now asks 'band' instead of 'scope'"),
    (lambda n, w, v: w["facts"]["scope"].update({"options": ["one", "all", "some"]})
     or w["nodes"]["scope"]["branches"].update({"some": "band"}),
     "fact 'scope' asked at node 'scope' of 'wifi' changed its declaration"),
])
def test_resume_refuses_an_incompatible_change(change: Callable[..., Session],
                                               edit: Callable[..., Any], message: str) -> None:
    with pytest.raises(ResumeError, match=message):
        change(edit)


def test_resume_refuses_a_changed_call_node_under_the_session(
        change: Callable[..., Session]) -> None:
    def edit(net: Spec, wifi: Spec, verify: Spec) -> None:
        wifi["nodes"]["verify"] = {"type": "handoff", "script": "verify"}

    with pytest.raises(ResumeError, match="node 'verify' of 'wifi' changed from call to handoff"):
        change(edit, at="role")


def test_resume_refuses_a_missing_script(change: Callable[..., Session]) -> None:
    def edit(net: Spec, wifi: Spec, verify: Spec) -> None:
        net["nodes"]["to-wifi"] = {"type": "outcome", "result": "escalated"}
        wifi.clear()
        verify.clear()

    with pytest.raises(ResumeError, match="script 'wifi' is no longer in the library"):
        change(edit)


def test_changed_history_limits_back_but_not_the_resume(change: Callable[..., Session]) -> None:
    def edit(net: Spec, wifi: Spec, verify: Spec) -> None:
        net["nodes"]["outage"]["type"] = "question"
        net["nodes"]["lights"]["type"] = "action"
        net["nodes"]["lights"]["instruction"] = net["nodes"]["lights"].pop("prompt")

    s = change(edit)
    event = s.events[-1]
    assert event.type == "resumed" and "back() can undo only the last 0" in event.detail
    assert not s.can_go_back
    s.answer("one")
    assert s.back().node == "scope"


def test_changed_options_forget_values_no_longer_allowed(change: Callable[..., Session]
                                                         ) -> None:
    def edit(net: Spec, wifi: Spec, verify: Spec) -> None:
        for spec in (net, wifi):
            spec["facts"]["lights"]["options"] = ["all_green", "internet_red", "all_off",
                                                  "blinking"]
        net["nodes"]["lights"]["branches"]["blinking"] = "dead"
        net["nodes"]["lights-again"]["branches"]["blinking"] = "dead"
        net["facts"]["outage"]["type"] = "choice"
        net["facts"]["outage"]["options"] = ["none", "local"]
        net["nodes"]["outage"]["branches"] = {"local": "area", "none": "lights"}

    s = change(edit)
    assert "outage" not in s.facts and s.facts["lights"] == "all_green"
    assert "forgot 'outage'" in s.events[-1].detail


# -- corrupt data --------------------------------------------------------------------------

def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return apply


@pytest.mark.parametrize(("corrupt", "message"), [
    (_set(["format"], 2), "unsupported session format 2"),
    (_set(["format"], KeyError), "unsupported session format None"),
    (_set(["id"], KeyError), "has no 'id'"),
    (_set(["stack"], KeyError), "stack is not a non-empty list"),
    (_set(["stack"], []), "stack is not a non-empty list"),
    (_set(["stack"], [["net"]]), "not \\[script, node\\]"),
    (_set(["stack"], [["net", "nowhere"]]), "'net' has no node 'nowhere'"),
    (_set(["stack"], [["elsewhere", "x"]]), "'elsewhere' is on the stack"),
    (_set(["mode"], "dancing"), "unknown mode 'dancing'"),
    (_set(["mode"], "action"), "a 'action' prompt at net:lights"),
    (_set(["mode"], "outcome"), "a finished session has no outcome"),
    (_set(["actor"], "robot"), "unknown actor"),
    (_set(["started_at"], "noon"), "started_at is a str"),
    (_set(["tracker"], 5), "tracker is a int"),
    (_set(["tracker", "format"], 9), "unsupported tracker format 9"),
    (_set(["tracker", "facts", "outage", "source"], "rumour"), "unknown source 'rumour'"),
    (_set(["tracker", "facts", "outage", "value"], [1]), "not a scalar"),
    (_set(["tracker", "facts", "outage", "learned_at"], KeyError), "malformed"),
    (_set(["undo"], {}), "undo is a dict"),
    (_set(["undo", 0], "x"), "undo\\[0\\] is not a mapping"),
    (_set(["undo", 0, "events"], "7"), "undo\\[0\\].events is a str"),
    (_set(["undo", 0, "mode"], "outcome"), "undo\\[0\\].mode"),
    (_set(["events", 0], {"type": "weird", "at": 1}), "unknown event type 'weird'"),
    (_set(["events", 0, "at"], KeyError), "no valid time"),
    (_set(["events", 0, "value"], {"x": 1}), "not a scalar"),
    (_set(["scripts", "net"], "sha"), "scripts.net is malformed"),
])
def test_corrupt_data_raises_resume_error(desk: Library, clock: ManualClock,
                                          corrupt: Callable[[dict[str, Any]], None],
                                          message: str) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    data = s.to_dict()
    corrupt(data)
    with pytest.raises(ResumeError, match=message):
        Session.from_dict(desk, data, clock=clock)


@pytest.mark.parametrize("data", [None, [], "session", 42])
def test_data_that_is_not_a_mapping(desk: Library, data: Any) -> None:
    with pytest.raises(ResumeError, match="not a mapping"):
        Session.from_dict(desk, data)


def test_unknown_fact_check_and_sensitive_masking_in_events(make_lib: MakeLib) -> None:
    # the transcript of a sensitive choice is masked too, but routing uses the value
    from .conftest import script

    lib = make_lib(script("s", facts={"pin_ok": {"type": "choice", "options": ["match", "no"],
                                                 "sensitive": True}}, nodes={
        "q": {"type": "question", "prompt": "PIN?", "fact": "pin_ok",
              "branches": {"match": "good", "no": "bad"}},
        "good": {"type": "outcome", "result": "resolved", "code": "good"},
        "bad": {"type": "outcome", "result": "escalated", "code": "bad"}}))
    s = lib.start("s")
    s.answer("match")
    assert s.outcome is not None and s.outcome.code == "good"
    assert [e.value for e in s.events if e.type == "answered"] == ["••••"]
