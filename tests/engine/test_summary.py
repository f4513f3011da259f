"""summary(): the brief the next agent reads."""

from __future__ import annotations

import json

from scriptflow import Library
from scriptflow.engine import ManualClock
from scriptflow.engine.events import Event
from scriptflow.engine.summary import ago, describe

from .conftest import MakeLib, script


def test_summary_of_a_session_in_progress(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", facts={"account_id": "12345678"}, clock=clock)
    s.answer("no")
    s.answer("internet_red")
    clock.advance(60)
    s.answer("not_fixed")
    s.note("Router is in the basement")
    clock.advance(240)
    text = s.summary()
    lines = text.splitlines()
    assert lines[0].startswith(f"Session {s.id[:8]} (customer), started 5 min ago")
    assert lines[1] == "Now: net:lights-again (question) — And now, which lights?"
    assert "Scripts: net" in lines
    assert "  - Account number: ••••5678 — intake, 5 min ago" in lines
    assert "  - Outage in area: no — customer, net:outage, 5 min ago" in lines
    assert "  - Router restart: not_fixed — customer, net:cycle, 4 min ago" in lines
    assert not any(line.startswith("  - Router lights") for line in lines)  # invalidated
    assert "Actions tried (1):" in lines
    assert "  - Router restart [net:cycle]: not_fixed — 4 min ago" in lines
    assert "  - 4 min ago, agent: Router is in the basement" in lines
    assert "12345678" not in text


def test_summary_after_handoff_call_and_outcome(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("all_green")
    s.answer("all")
    s.answer("12345678")
    s.answer("holder")
    s.answer("ghz5")
    text = s.summary()
    assert "Finished: escalated (wifi-tier2) at wifi:tier2" in text
    assert ("Scripts: net → handed over to wifi → called verify → back in wifi (resolved)"
            in text)
    assert "Questions spared: 1 (skipped: already known)" in text
    assert "Actions tried: none" in text


def test_summary_leaves_out_undone_actions_and_marks_stale_facts(desk: Library,
                                                                 clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("internet_red")
    s.answer("not_fixed")
    s.back()
    brief = s.summary_dict()
    assert brief["actions"] == []
    clock.advance(31 * 60)  # lights (ttl 30m) goes stale
    facts = {f["fact"]: f for f in s.summary_dict()["facts"]}
    assert facts["lights"]["stale"] and not facts["outage"]["stale"]
    assert "(stale: will be asked again)" in s.summary()


def test_summary_dict_is_json_safe(desk: Library, clock: ManualClock) -> None:
    s = desk.start("wifi", facts={"lights": "all_green"}, clock=clock)
    s.answer("all")
    brief = s.summary_dict()
    json.dumps(brief)
    assert brief["where"]["status"] == "waiting"
    assert brief["where"]["calls"] == ["wifi:verify"]
    assert brief["scripts"] == ["wifi", "called verify"]


def test_ago() -> None:
    assert [ago(s) for s in (0, 59, 60, 240, 3599, 3600, 86399, 86400 * 3)] == [
        "just now", "just now", "1 min ago", "4 min ago", "59 min ago", "1 h ago", "23 h ago",
        "3 d ago"]


def test_describe_a_skip_says_why(desk: Library) -> None:
    event = Event("skipped", 1240.0, "system", "wifi", "check-lights", "lights", "all_green",
                  data={"source": "customer", "script": "net", "node": "lights",
                        "learned_at": 1000.0})
    assert describe(event, desk, 1240.0) == (
        "skipped: Router lights — told us 'all_green' in net 4 min ago")
    intake = Event("skipped", 1000.0, "system", "net", "lights", "lights", "all_off",
                   data={"source": "intake", "script": None, "learned_at": 1000.0})
    assert describe(intake, desk, 1000.0) == (
        "skipped: Router lights — given at intake: 'all_off' just now")
    assert describe(Event("asked", 0.0), desk, 0.0) is None


def test_questions_spared_leave_out_skips_that_back_undid(make_lib: MakeLib,
                                                          clock: ManualClock) -> None:
    """"Questions spared" counts the skips that still stand: a skip back() undid was
    not spared (found by an audit: the brief counted every skipped event)."""
    colour = {"type": "choice", "label": "Colour", "options": ["red", "blue"]}
    lib = make_lib(script("twice", facts={"a": colour, "b": colour, "c": colour}, nodes={
        "q0": {"type": "question", "prompt": "A?", "fact": "a", "next": "q1"},
        "q1": {"type": "question", "prompt": "B?", "fact": "b", "next": "q2"},
        "q2": {"type": "question", "prompt": "A again?", "fact": "a", "next": "q3"},
        "q3": {"type": "question", "prompt": "C?", "fact": "c", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    s = lib.start("twice", clock=clock)
    s.answer("red")
    s.answer("blue")
    assert s.summary_dict()["skipped"] == 1
    assert "Questions spared: 1 (skipped: already known)" in s.summary().splitlines()
    s.back()
    assert [e.type for e in s.events].count("skipped") == 1  # the transcript keeps it
    assert s.summary_dict()["skipped"] == 0
    assert not any(line.startswith("Questions spared") for line in s.summary().splitlines())


def test_a_fact_sensitive_in_one_script_is_masked_in_every_script(
        make_lib: MakeLib, clock: ManualClock) -> None:
    """The tracker carries a value from the script that asked for it (declared
    sensitive) into one that declares the same fact plainly; that script's messages,
    events and the brief must not show it in clear (found by an audit)."""
    account = {"type": "text", "label": "Account", "pattern": "^[0-9]{8}$"}
    lib = make_lib(
        script("ask", facts={"acct": {**account, "sensitive": True}}, nodes={
            "q": {"type": "question", "prompt": "Account number?", "fact": "acct",
                  "next": "on"},
            "on": {"type": "handoff", "script": "tell"}}),
        script("tell", facts={"acct": account}, nodes={
            "end": {"type": "outcome", "result": "resolved",
                    "message": "Done for account {acct}."}}))
    assert lib["tell"].facts["acct"].sensitive
    s = lib.start("ask", clock=clock)
    s.answer("12345678")
    assert s.finished
    assert s.outcome is not None and s.outcome.message == "Done for account ••••5678."
    text = json.dumps([e.to_dict() for e in s.events]) + s.summary() + json.dumps(s.to_dict())
    assert "12345678" not in text.replace('"value": "12345678"', "")  # (the tracker keeps it)
    assert s.facts["acct"] == "12345678"
