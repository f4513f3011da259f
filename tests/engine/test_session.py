"""Session basics: prompts, reask policies, ttl, invalidation, decisions, intake, actors."""

from __future__ import annotations

import pytest

import scriptflow
from scriptflow import AnswerError, Library, SessionError
from scriptflow.engine import ManualClock, Session, Tracker

from .conftest import T0, MakeLib, script


def types(session: Session, since: int = 0) -> list[str]:
    return [e.type for e in session.events[since:]]


def test_public_api_is_exported(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    assert isinstance(s, scriptflow.Session)
    assert isinstance(s.prompt, scriptflow.Prompt)
    assert "Session" in scriptflow.__all__ and "Prompt" in scriptflow.__all__


def test_first_prompt_and_answer(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    p = s.prompt
    assert p is not None
    assert (p.script, p.node, p.kind, p.fact, p.type) == ("net", "outage", "question",
                                                            "outage", "boolean")
    assert p.options == ("yes", "no")
    assert types(s) == ["asked"]
    nxt = s.answer("no")
    assert nxt is s.prompt and nxt is not None and nxt.node == "lights"
    assert nxt.options == ("all_green", "internet_red", "all_off")
    assert s.facts == {"outage": False}
    assert types(s) == ["asked", "answered", "asked"]
    answered = s.events[1]
    assert (answered.fact, answered.value, answered.actor, answered.at) == (
        "outage", False, "customer", T0)


def test_walk_to_an_outcome(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", facts={"account_id": "12345678"}, clock=clock)
    s.answer("no")
    s.answer("internet_red")
    assert s.prompt is not None and s.prompt.kind == "action"
    assert s.prompt.text == "Restart the router of account ••••5678."
    assert s.answer("fixed") is None
    assert s.finished and s.prompt is None
    assert s.outcome == scriptflow.Outcome("resolved", "fixed-by-restart", "net", "done",
                                           "Fixed for account ••••5678.")
    assert s.events[-1].type == "outcome"
    with pytest.raises(SessionError, match="finished"):
        s.answer("yes")


def test_intake_facts_skip_questions_with_a_reason(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", facts={"outage": "no", "lights": "all_off"}, clock=clock)
    # outage has reask: always, so it is asked although known
    assert s.prompt is not None and s.prompt.node == "outage"
    clock.advance(240)
    s.answer(False)
    assert s.finished and s.outcome is not None and s.outcome.code == "dead-router"
    skipped = [e for e in s.events if e.type == "skipped"]
    assert [(e.node, e.fact, e.value) for e in skipped] == [("lights", "lights", "all_off")]
    assert skipped[0].data == {"source": "intake", "script": None, "node": None,
                               "learned_at": T0}
    assert "given at intake" in skipped[0].detail
    assert s.tracker.get("lights") is not None
    assert s.tracker.get("lights").source == "intake"


def test_bad_intake_value_raises_naming_it(desk: Library) -> None:
    with pytest.raises(AnswerError) as info:
        desk.start("net", facts={"lights": "purple"})
    assert info.value.fact == "lights" and "purple" in str(info.value)
    with pytest.raises(AnswerError, match=r"no fact 'lihgts'.*did you mean 'lights'"):
        desk.start("net", facts={"lihgts": "all_off"})


def test_unknown_script(desk: Library) -> None:
    with pytest.raises(scriptflow.ScriptNotFoundError, match="did you mean 'net'"):
        desk.start("nett")


def test_actor_sets_the_source_of_facts(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock, actor="agent")
    s.answer("no")
    s.answer("all_off", actor="customer")
    assert s.tracker.get("outage").source == "agent"
    assert s.tracker.get("lights").source == "customer"
    assert [e.actor for e in s.events if e.type == "answered"] == ["agent", "customer"]
    with pytest.raises(ValueError, match="actor"):
        desk.start("net", actor="robot")


def test_default_actor_is_checked_when_set(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    with pytest.raises(ValueError, match="actor must be one of"):
        s.actor = "robot"
    assert s.actor == "customer"  # unchanged by the refused value
    s.actor = "agent"
    s.answer("no")  # the fast path takes the default set above
    with pytest.raises(ValueError, match="actor must be one of"):
        s.answer("all_off", actor="robot")
    assert s.prompt is not None and s.prompt.node == "lights"  # nothing changed
    s.answer("all_off")
    assert [e.actor for e in s.events if e.type == "answered"] == ["agent", "agent"]


def test_note_is_kept_with_actor_and_place(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    event = s.note("  Router is in the basement ")
    assert (event.type, event.actor, event.node, event.detail) == (
        "note", "agent", "outage", "Router is in the basement")
    assert s.events[-1] is event
    with pytest.raises(ValueError):
        s.note("   ")


# -- reask policies --------------------------------------------------------------------

def reask_lib(make_lib: MakeLib, fact_reask: str | None, node_reask: str | None) -> Library:
    fact = {"type": "choice", "options": ["a", "b"], "label": "Thing"}
    if fact_reask:
        fact["reask"] = fact_reask
    second = {"type": "question", "prompt": "Again: a or b?", "fact": "x",
              "branches": {"a": "end", "b": "end"}}
    if node_reask:
        second["reask"] = node_reask
    return make_lib(script("r", facts={"x": fact}, nodes={
        "first": {"type": "question", "prompt": "a or b?", "fact": "x", "next": "second"},
        "second": second,
        "end": {"type": "outcome", "result": "resolved"},
    }))


@pytest.mark.parametrize(("fact_reask", "node_reask", "expected"), [
    (None, None, "skip"),
    ("skip", None, "skip"),
    ("confirm", None, "confirm"),
    ("always", None, "always"),
    ("skip", "always", "always"),      # the node overrides its fact
    ("always", "skip", "skip"),
    ("skip", "confirm", "confirm"),
    ("confirm", "skip", "skip"),
])
def test_reask_policy_and_node_override(make_lib: MakeLib, clock: ManualClock,
                                        fact_reask: str | None, node_reask: str | None,
                                        expected: str) -> None:
    s = reask_lib(make_lib, fact_reask, node_reask).start("r", clock=clock)
    s.answer("a")
    if expected == "skip":
        assert s.finished
        assert types(s)[-2:] == ["skipped", "outcome"]
    elif expected == "always":
        assert s.prompt is not None
        assert (s.prompt.node, s.prompt.kind) == ("second", "question")
    else:
        p = s.prompt
        assert p is not None and (p.node, p.kind, p.type, p.options) == (
            "second", "confirm", "boolean", ("yes", "no"))
        assert "Earlier: a. Still true?" in p.text and p.earlier == "a"
        assert s.events[-1].data == {"kind": "confirm"}


def test_confirm_yes_keeps_the_value_and_refreshes_it(make_lib: MakeLib,
                                                      clock: ManualClock) -> None:
    s = reask_lib(make_lib, "confirm", None).start("r", clock=clock)
    s.answer("a")
    clock.advance(60)
    s.answer("yes")
    assert s.finished and s.facts == {"x": "a"}
    assert types(s)[-2:] == ["confirmed", "outcome"]
    entry = s.tracker.get("x")
    assert entry is not None and (entry.node, entry.learned_at) == ("second", T0 + 60)


def test_confirm_no_forgets_and_asks_afresh(make_lib: MakeLib, clock: ManualClock) -> None:
    s = reask_lib(make_lib, "confirm", None).start("r", clock=clock)
    s.answer("a")
    before = len(s.events)
    p = s.answer(False)
    assert p is not None and (p.node, p.kind, p.options) == ("second", "question", ("a", "b"))
    assert "x" not in s.facts
    assert types(s, before) == ["invalidated", "asked"]
    with pytest.raises(AnswerError):
        s.answer("maybe")
    s.answer("b")
    assert s.finished and s.facts == {"x": "b"}


def test_confirm_takes_only_yes_or_no(make_lib: MakeLib, clock: ManualClock) -> None:
    s = reask_lib(make_lib, "confirm", None).start("r", clock=clock)
    s.answer("a")
    n = len(s.events)
    with pytest.raises(AnswerError, match="yes or no"):
        s.answer("a")
    assert len(s.events) == n and s.prompt is not None and s.prompt.kind == "confirm"


# -- ttl -------------------------------------------------------------------------------

def ttl_lib(make_lib: MakeLib) -> Library:
    return make_lib(script("t", facts={
        "x": {"type": "boolean", "ttl": "30m"},
        "y": {"type": "boolean"},
    }, nodes={
        "ask-x": {"type": "question", "prompt": "x?", "fact": "x", "next": "ask-y"},
        "ask-y": {"type": "question", "prompt": "y?", "fact": "y", "next": "again"},
        "again": {"type": "question", "prompt": "x again?", "fact": "x", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"},
    }))


def test_fresh_fact_is_skipped(make_lib: MakeLib, clock: ManualClock) -> None:
    s = ttl_lib(make_lib).start("t", clock=clock)
    s.answer("yes")
    clock.advance(29 * 60)
    s.answer("no")
    assert s.finished


def test_stale_fact_is_asked_again(make_lib: MakeLib, clock: ManualClock) -> None:
    s = ttl_lib(make_lib).start("t", clock=clock)
    s.answer("yes")
    assert s.tracker.get("x").stale_at == T0 + 1800
    clock.advance(30 * 60)
    assert s.facts == {}  # stale facts are not known now
    s.answer("no")
    assert s.prompt is not None and s.prompt.node == "again" and s.prompt.kind == "question"


def test_earlier_contact_tracker_honours_ttl(make_lib: MakeLib, clock: ManualClock) -> None:
    lib = ttl_lib(make_lib)
    first = lib.start("t", clock=clock)
    first.answer("yes")
    first.answer("no")
    saved = first.tracker.to_dict()
    clock.advance(10 * 60)
    again = lib.start("t", tracker=saved, clock=clock)
    assert again.finished  # both known and fresh: nothing to ask
    assert again.tracker.get("x").source == "customer"
    clock.advance(25 * 60)  # x now stale, y has no ttl
    later = lib.start("t", tracker=first.tracker, clock=clock)
    assert later.prompt is not None and later.prompt.fact == "x"
    later.answer("no")
    assert later.finished
    assert first.tracker.get("x").value is True  # not shared


def test_earlier_tracker_values_no_longer_allowed_are_dropped(make_lib: MakeLib,
                                                               clock: ManualClock) -> None:
    lib = ttl_lib(make_lib)
    tracker = Tracker.from_dict({"format": 1, "facts": {
        "x": {"value": "perhaps", "source": "customer", "script": "t", "node": "ask-x",
              "learned_at": T0}}})
    s = lib.start("t", tracker=tracker, clock=clock)
    assert s.prompt is not None and s.prompt.fact == "x"


# -- invalidation ----------------------------------------------------------------------

def test_invalidates_when_the_action_is_performed(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", clock=clock)
    s.answer("no")
    s.answer("internet_red")
    before = len(s.events)
    p = s.answer("not_fixed")
    assert types(s, before) == ["answered", "invalidated", "asked"]
    inv = s.events[before + 1]
    assert (inv.fact, inv.value, inv.node) == ("lights", "internet_red", "cycle")
    assert p is not None and p.node == "lights-again"  # asked again: it was forgotten
    assert "lights" not in s.facts


def test_a_skipped_action_invalidates_nothing(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", facts={"cycle": "not_fixed", "lights": "internet_red"}, clock=clock)
    s.answer("no")
    # cycle skipped (known): lights stays known, so lights-again is skipped too
    assert "invalidated" not in types(s)
    assert [e.node for e in s.events if e.type == "skipped"] == ["lights", "cycle",
                                                                 "lights-again"]
    assert s.prompt is not None and s.prompt.node == "age"


# -- decisions -------------------------------------------------------------------------

def decision_lib(make_lib: MakeLib) -> Library:
    return make_lib(script("d", facts={
        "age": {"type": "number", "min": 0},
        "ok": {"type": "boolean"},
    }, nodes={
        "route": {"type": "decision", "routes": [
            {"when": "not known(age)", "goto": "ask-age"},
            {"when": "age >= 5 and ok", "goto": "old-ok"},
            {"when": "age >= 5", "goto": "old"},
            {"goto": "young"}]},
        "ask-age": {"type": "question", "prompt": "Age?", "fact": "age", "next": "route"},
        "old-ok": {"type": "outcome", "result": "resolved", "code": "old-ok"},
        "old": {"type": "outcome", "result": "referred", "code": "old"},
        "young": {"type": "outcome", "result": "escalated", "code": "young"},
    }))


@pytest.mark.parametrize(("facts", "answer", "code"), [
    ({}, "7", "old"),
    ({"ok": True}, 7, "old-ok"),
    ({}, "4.5", "young"),
    ({"age": 9, "ok": "yes"}, None, "old-ok"),
])
def test_decisions_route_on_known_facts(make_lib: MakeLib, clock: ManualClock,
                                        facts: dict[str, object], answer: object,
                                        code: str) -> None:
    s = decision_lib(make_lib).start("d", facts=facts, clock=clock)
    if answer is not None:
        assert s.prompt is not None and s.prompt.node == "ask-age"
        s.answer(answer)
    assert s.outcome is not None and s.outcome.code == code


def test_question_routes_see_the_new_answer(desk: Library, clock: ManualClock) -> None:
    s = desk.start("net", facts={"lights": "internet_red"}, clock=clock)
    s.answer("no")
    s.answer("not_fixed")  # lights forgotten, asked again
    s.answer("internet_red")
    s.answer("12")
    assert s.outcome is not None and s.outcome.code == "old-router"
    assert s.facts["age"] == 12 and isinstance(s.facts["age"], int)


def test_a_facts_ttl_is_the_shortest_any_script_gives_it(make_lib: MakeLib,
                                                          clock: ManualClock) -> None:
    """A value learned in a script without a ttl reaches, by a handoff, a script that
    says it goes stale after 30 minutes: two hours later that script asks again rather
    than skipping on it (found by an audit). The ttl is the library's, not the learning
    script's."""
    lights = {"type": "choice", "label": "Lights", "options": ["on", "off"]}
    lib = make_lib(
        script("a", facts={"lights": lights}, nodes={
            "qa": {"type": "question", "prompt": "Lights?", "fact": "lights", "next": "h"},
            "h": {"type": "handoff", "script": "b"}}),
        script("b", facts={"lights": {**lights, "ttl": "30m"},
                           "x": {"type": "boolean", "label": "X"}}, nodes={
            "qb0": {"type": "question", "prompt": "X?", "fact": "x", "next": "qb"},
            "qb": {"type": "question", "prompt": "Lights now?", "fact": "lights",
                   "next": "end"},
            "end": {"type": "outcome", "result": "resolved"}}))
    assert lib["a"].facts["lights"].ttl == 1800
    s = lib.start("a", clock=clock)
    s.answer("on")
    entry = s.tracker.get("lights")
    assert entry is not None and entry.stale_at == T0 + 1800
    clock.advance(2 * 3600)
    prompt = s.answer(True)
    assert prompt is not None and (prompt.script, prompt.node) == ("b", "qb")
    fresh = lib.start("a", clock=clock)
    fresh.answer("on")
    clock.advance(600)  # within the ttl: skipped, as before
    assert fresh.answer(True) is None and fresh.finished
