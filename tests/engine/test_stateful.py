"""A stateful property test: random valid libraries, random answers, back, notes, time, saves.

The machine keeps its own model of what the customer has told the session (fact ->
when it goes stale), built only from the answers it gives and the scripts it wrote, and
checks the engine against it after every step:

- nothing but AnswerError (for answers the model knows are bad) and SessionError (the
  loop guard, answering a finished session, back() with nothing to undo) is raised, and
  neither changes the session;
- every prompt is answerable: its options (or a valid value) are accepted;
- a question or action whose fact the model holds fresh is never asked afresh unless its
  reask policy is ``always`` (a confirm prompt appears only for fresh facts);
- the facts the session knows now are exactly the model's fresh facts;
- a step ends (at a prompt or an outcome) within a bounded number of events;
- a session restored from ``to_dict()`` at any step continues exactly as the original.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from scriptflow import AnswerError, Library, SessionError, load_library
from scriptflow.engine import ManualClock, Session
from scriptflow.engine.flow import MAX_CALL_DEPTH

RESULTS = ["resolved", "escalated", "unresolved", "referred"]
OPTION_SETS = [["red", "green"], ["red", "green", "blue"], ["on", "off"]]
TTL = 300.0
GOOD_TEXT = ["abc", "hello", "zz"]


# -- generating libraries ----------------------------------------------------------------

@st.composite
def fact_pools(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Declarations shared by every script (so they agree, as SF401 demands)."""
    kinds = draw(st.lists(st.sampled_from(["choice", "boolean", "number", "text"]),
                          min_size=1, max_size=4))
    facts: dict[str, dict[str, Any]] = {}
    for i, kind in enumerate(kinds):
        decl: dict[str, Any] = {"type": kind, "label": f"Fact {i}"}
        if kind == "choice":
            decl["options"] = list(draw(st.sampled_from(OPTION_SETS)))
        elif kind == "number":
            decl.update({"min": 0, "max": 10, "integer": True})
        elif kind == "text":
            decl.update({"pattern": "^[a-z]+$", "max_length": 8})
        reask = draw(st.sampled_from([None, None, "skip", "confirm", "always"]))
        if reask:
            decl["reask"] = reask
        if draw(st.integers(0, 3)) == 0:
            decl["ttl"] = "5m"
        if draw(st.integers(0, 4)) == 0:
            decl["sensitive"] = True
        facts[f"f{i}"] = decl
    return facts


def values_of(decl: dict[str, Any]) -> list[str]:
    return list(decl["options"]) if decl["type"] == "choice" else (
        ["yes", "no"] if decl["type"] == "boolean" else [])


def condition(draw: st.DrawFn, facts: dict[str, dict[str, Any]]) -> str:
    key = draw(st.sampled_from(sorted(facts)))
    decl = facts[key]
    kind = decl["type"]
    options = {
        "choice": [f"{key} == '{o}'" for o in decl.get("options", [])]
        + [f"{key} in ['{decl['options'][0]}']" if kind == "choice" else "",
           f"{key} != '{decl['options'][-1]}'" if kind == "choice" else ""],
        "boolean": [key, f"not {key}", f"{key} == true"],
        "number": [f"{key} >= 5", f"{key} < 3"],
        "text": [f"{key} == 'abc'"],
    }[kind] + [f"known({key})", f"not known({key})"]
    text: str = draw(st.sampled_from(options))
    if draw(st.integers(0, 3)) == 0:
        text = f"{text} {draw(st.sampled_from(['and', 'or']))} {condition(draw, facts)}"
    return text


def onward(later: list[str]) -> st.SearchStrategy[str]:
    """A later node, most often the very next one, so that sessions run for a while."""
    return st.one_of(st.just(later[0]), st.just(later[0]), st.sampled_from(later))


def routing(draw: st.DrawFn, facts: dict[str, dict[str, Any]], decl: dict[str, Any] | None,
            later: list[str], back: list[str] | None = None) -> dict[str, Any]:
    """next, branches or routes, going forward (so every node has a way out); branches
    may also go ``back``, one of them always forward."""
    ways = ["next", "routes"] + (["branches", "branches"] if decl and values_of(decl) else [])
    way = draw(st.sampled_from(ways))
    pick = onward(later)
    if way == "next":
        return {"next": draw(pick)}
    if way == "branches":
        assert decl is not None
        values = values_of(decl)
        named = draw(st.lists(st.sampled_from(values), unique=True, min_size=1))
        anywhere = st.sampled_from([*back, *later]) if back else pick
        branches = {v: draw(anywhere) for v in named}
        if len(named) < len(values):
            branches["*"] = draw(pick)
        else:
            branches[named[-1]] = draw(pick)
        return {"branches": branches}
    routes = [{"when": condition(draw, facts), "goto": draw(pick)}
              for _ in range(draw(st.integers(1, 2)))]
    return {"routes": [*routes, {"goto": draw(pick)}]}


@st.composite
def libraries(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Several small scripts using every node type; valid (they load without errors)
    but free to hand off in circles, call each other and loop through decisions."""
    facts = draw(fact_pools())
    sids = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    names = {sid: [f"n{j}" for j in range(draw(st.integers(2, 8)))] for sid in sids}
    outs = {sid: [f"o{k}" for k in range(draw(st.integers(1, 2)))] for sid in sids}
    scripts = []
    for sid in sids:
        nodes: dict[str, Any] = {}
        for j, name in enumerate(names[sid]):
            later = names[sid][j + 1:] + outs[sid]
            kind = draw(st.sampled_from(["question", "question", "action", "action",
                                         "decision", "handoff", "call"]))
            if kind in ("question", "action"):
                key = draw(st.sampled_from(sorted(facts)))
                text = "prompt" if kind == "question" else "instruction"
                # Now and then branches back, so sessions also walk loops of questions
                # (test_fast_path has the one that once never ended, as a plain test).
                back = names[sid][:j] if draw(st.integers(0, 2)) == 0 else None
                node: dict[str, Any] = {"type": kind, text: f"{name} of {sid}: {{{key}}}?",
                                        "fact": key,
                                        **routing(draw, facts, facts[key], later, back)}
                if kind == "action" and draw(st.booleans()):
                    node["invalidates"] = draw(st.lists(st.sampled_from(sorted(facts)),
                                                        unique=True, min_size=1, max_size=2))
                if draw(st.integers(0, 4)) == 0:
                    node["reask"] = draw(st.sampled_from(["skip", "confirm", "always"]))
            elif kind == "decision":
                pick = onward(later)
                routes = [{"when": condition(draw, facts), "goto": draw(pick)}
                          for _ in range(draw(st.integers(0, 2)))]
                if j > 0 and draw(st.integers(0, 4)) == 0:  # a way back: loops can happen
                    routes.insert(0, {"when": condition(draw, facts),
                                      "goto": draw(st.sampled_from(names[sid][:j]))})
                node = {"type": "decision", "routes": [*routes, {"goto": draw(pick)}]}
            else:
                target = draw(st.sampled_from(sids))
                node = {"type": kind, "script": target}
                if draw(st.booleans()):
                    node["node"] = draw(st.sampled_from(names[target] + outs[target]))
                if kind == "call" and draw(st.booleans()):
                    node["next"] = draw(onward(later))
                elif kind == "call":
                    results = draw(st.lists(st.sampled_from(RESULTS), unique=True, max_size=2))
                    node["branches"] = {r: draw(onward(later)) for r in results}
                    node["branches"]["*"] = draw(onward(later))
            nodes[name] = node
        for out in outs[sid]:
            nodes[out] = {"type": "outcome", "result": draw(st.sampled_from(RESULTS)),
                          "code": f"{sid}-{out}", "message": f"{out}: {{{sorted(facts)[0]}}}"}
        scripts.append({"scriptflow": 1, "id": sid, "start": names[sid][0],
                        "facts": facts, "nodes": nodes})
    return scripts


def good_value(draw: st.DrawFn, decl: dict[str, Any]) -> Any:
    kind = decl["type"]
    if kind == "choice":
        return draw(st.sampled_from(decl["options"]))
    if kind == "boolean":
        return draw(st.sampled_from([True, False, "yes", "no"]))
    if kind == "number":
        n = draw(st.integers(0, 10))
        return draw(st.sampled_from([n, str(n)]))
    return draw(st.sampled_from(GOOD_TEXT))


def bad_value(draw: st.DrawFn, decl: dict[str, Any]) -> Any:
    return draw(st.sampled_from({
        "choice": ["purple", "RED", 5, None],
        "boolean": ["maybe", 3, None],
        "number": ["abc", -1, 11, 2.5, True],
        "text": ["ABC", "muchtoolongtext", 5, ""],
        "confirm": ["maybe", "red", 7],
    }[decl["type"]]))


# -- the machine -----------------------------------------------------------------------

def state(s: Session) -> str:
    return json.dumps(s.to_dict(), sort_keys=True)


class SessionMachine(RuleBasedStateMachine):
    """Drives one session (and, after a save, its restored twin) through random steps."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="sf-engine-"))
        self.session: Session | None = None
        self.twin: Session | None = None
        self.clock = ManualClock(1_000_000.0)
        self.model: dict[str, float | None] = {}  # fact -> stale_at (None: never)
        self.saved: list[dict[str, float | None]] = []  # model before each answer
        self.facts: dict[str, dict[str, Any]] = {}
        self.lib: Library | None = None
        self.bound = 0

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- setup ---------------------------------------------------------------------------
    @initialize(specs=libraries(), data=st.data())
    def start(self, specs: list[dict[str, Any]], data: st.DataObject) -> None:
        for spec in specs:
            text = yaml.safe_dump(spec, sort_keys=False)
            (self.folder / f"{spec['id']}.yaml").write_text(text, encoding="utf-8")
        self.lib = load_library(self.folder)  # the generator makes only valid libraries
        self.facts = specs[0]["facts"]
        self.bound = sum(len(s["nodes"]) for s in specs) * (MAX_CALL_DEPTH + 1) + 4
        intake = data.draw(st.lists(st.sampled_from(sorted(self.facts)), unique=True,
                                    max_size=3))
        given = {key: _draw_good(data, self.facts[key]) for key in intake}
        try:
            self.session = self.lib.start(specs[0]["id"], facts=given, clock=self.clock,
                                          trace=True)
        except SessionError as exc:
            assert str(exc).startswith("stopped:")
            event("start: loop")
            return
        now = self.clock.now()
        self.model = {k: self._stale(k, now) for k in given}
        assert len(self.session.events) <= self.bound
        self._check_arrival()

    def _stale(self, key: str, now: float) -> float | None:
        return now + TTL if "ttl" in self.facts[key] else None

    def _fresh(self, key: str) -> bool:
        if key not in self.model:
            return False
        stale_at = self.model[key]
        return stale_at is None or self.clock.now() < stale_at

    # -- applying a step to the session and its twin ----------------------------------
    def _both(self, step: Any) -> None:
        """Run ``step`` on the session and on the restored twin: both must behave the
        same; the session's AnswerError or SessionError is raised again."""
        assert self.session is not None
        errors: list[Exception | None] = []
        for target in (self.session, self.twin):
            if target is None:
                continue
            try:
                step(target)
                errors.append(None)
            except (AnswerError, SessionError) as exc:
                errors.append(exc)
        if self.twin is not None:
            assert repr(errors[0]) == repr(errors[1])
            assert state(self.twin) == state(self.session)
            assert self.twin.prompt == self.session.prompt
        if errors[0] is not None:
            raise errors[0]

    # -- rules -----------------------------------------------------------------------------
    # Two answering rules (hypothesis picks rules evenly): sessions should mostly move on.
    @precondition(lambda self: self.session is not None)
    @rule(data=st.data())
    def answer_with_an_option(self, data: st.DataObject) -> None:
        """Every prompt with options accepts each of them."""
        prompt = self.session.prompt if self.session is not None else None
        if prompt is None or not prompt.options:
            self._answer_finished_or(lambda: _draw_good(data, self.facts[prompt.fact])
                                     if prompt is not None else None)
            return
        self._answer(data.draw(st.sampled_from(prompt.options)))

    @precondition(lambda self: self.session is not None)
    @rule(data=st.data())
    def answer_with_a_value(self, data: st.DataObject) -> None:
        """Every prompt accepts a valid value of its type (True/False for yes/no…)."""
        prompt = self.session.prompt if self.session is not None else None
        if prompt is not None and prompt.kind == "confirm":
            self._answer(data.draw(st.sampled_from([True, False, "yes", "no"])))
        else:
            self._answer_finished_or(lambda: _draw_good(data, self.facts[prompt.fact])
                                     if prompt is not None else None)

    def _answer_finished_or(self, value: Any) -> None:
        s = self.session
        assert s is not None
        if s.prompt is None:
            before = state(s)
            with pytest.raises(SessionError, match="finished"):
                self._both(lambda t: t.answer("yes"))
            assert state(s) == before
            return
        self._answer(value())

    def _answer(self, value: Any) -> None:
        s = self.session
        assert s is not None
        prompt = s.prompt
        assert prompt is not None
        before, events = state(s), len(s.events)
        node = self.lib.scripts[prompt.script].nodes[prompt.node]  # type: ignore[union-attr]
        try:
            self._both(lambda t: t.answer(value))
        except SessionError as exc:
            assert str(exc).startswith("stopped:"), exc
            assert state(s) == before
            event("answer: loop guard")
            return
        event(f"answer: {prompt.kind}" + (" (finished)" if s.finished else ""))
        if any(e.type == "skipped" for e in s.events[events:]):
            event("answer: skipped a known fact")
        if len(s.stack) > 1:
            event("answer: inside a call")
        assert len(s.events) - events <= self.bound
        self.saved.append(dict(self.model))
        now = self.clock.now()
        if prompt.kind == "confirm":
            yes = value in (True, "yes")
            if yes:
                self.model[prompt.fact] = self._stale(prompt.fact, now)
            else:
                self.model.pop(prompt.fact, None)
        else:
            if node.type == "action":
                for other in node.invalidates:
                    if other != prompt.fact:
                        self.model.pop(other, None)
            self.model[prompt.fact] = self._stale(prompt.fact, now)
        self._check_arrival()

    @precondition(lambda self: self.session is not None and self.session.prompt is not None)
    @rule(data=st.data())
    def answer_badly(self, data: st.DataObject) -> None:
        s = self.session
        assert s is not None and s.prompt is not None
        decl = {"type": "confirm"} if s.prompt.kind == "confirm" else self.facts[s.prompt.fact]
        value = data.draw(st.composite(lambda draw: bad_value(draw, decl))())
        before = state(s)
        with pytest.raises(AnswerError):
            self._both(lambda t: t.answer(value))
        assert state(s) == before

    @precondition(lambda self: self.session is not None)
    @rule()
    def back(self) -> None:
        s = self.session
        assert s is not None
        if not self.saved:
            before = state(s)
            with pytest.raises(SessionError, match="nothing to undo"):
                self._both(lambda t: t.back())
            assert state(s) == before
            return
        self._both(lambda t: t.back())
        self.model = self.saved.pop()

    @precondition(lambda self: self.session is not None)
    @rule(text=st.sampled_from(["checked the cable", "customer is in a hurry"]))
    def note(self, text: str) -> None:
        self._both(lambda t: t.note(text))

    @rule(seconds=st.sampled_from([1.0, 60.0, 200.0, 301.0]))  # always possible
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: self.session is not None)
    @rule()
    def save_and_restore(self) -> None:
        s = self.session
        assert s is not None
        data = json.loads(json.dumps(s.to_dict()))
        self.twin = Session.from_dict(s.library, data, clock=self.clock)
        assert state(self.twin) == state(s)
        assert self.twin.prompt == s.prompt

    # -- invariants ----------------------------------------------------------------------
    def _check_arrival(self) -> None:
        """Right after a step: the prompt fits what the model knows. (The prompt is
        decided on arrival; a fact going stale while it is shown does not change it.)"""
        s = self.session
        assert s is not None and self.lib is not None
        prompt = s.prompt
        if prompt is None:
            return
        script = self.lib.scripts[prompt.script]
        policy = script.nodes[prompt.node].reask or script.facts[prompt.fact].reask
        event(f"prompt: {prompt.kind}" + (" (in a call)" if len(s.stack) > 1 else ""))
        if prompt.kind == "confirm":
            assert policy == "confirm" and self._fresh(prompt.fact)
        else:
            assert not self._fresh(prompt.fact) or policy == "always", (
                f"{prompt.fact} asked again while fresh under reask {policy}")

    @invariant()
    def prompt_is_answerable(self) -> None:
        s = self.session
        if s is None or self.lib is None:
            return
        assert (s.prompt is None) == s.finished
        prompt = s.prompt
        if prompt is None:
            return
        node = self.lib.scripts[prompt.script].nodes[prompt.node]
        if prompt.kind == "confirm":
            assert prompt.options == ("yes", "no") and prompt.fact in s.tracker
        else:
            assert prompt.kind == node.type and prompt.fact == node.fact
            assert list(prompt.options) == values_of(self.facts[prompt.fact])

    @invariant()
    def knows_what_the_model_knows(self) -> None:
        s = self.session
        if s is None:
            return
        fresh = {k for k in self.model if self._fresh(k)}
        assert set(s.facts) == fresh

    @invariant()
    def sensitive_values_never_in_the_transcript(self) -> None:
        s = self.session
        if s is None:
            return
        for step in s.events:
            if step.fact and self.facts.get(step.fact, {}).get("sensitive") \
                    and step.value is not None:
                assert str(step.value).startswith("••••")


def _draw_good(data: st.DataObject, decl: dict[str, Any]) -> Any:
    return data.draw(st.composite(lambda draw: good_value(draw, decl))())


_profile = settings.default
assert _profile is not None
SessionMachine.TestCase.settings = settings(
    _profile, max_examples=min(_profile.max_examples, 50), stateful_step_count=30,
    deadline=None)
TestSessionMachine = pytest.mark.slow(SessionMachine.TestCase)
