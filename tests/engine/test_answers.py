"""Answers are checked against the fact's type; a bad one changes nothing at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scriptflow import AnswerError, Library
from scriptflow.engine import ManualClock, Session
from scriptflow.engine.answers import allowed, check, mask
from scriptflow.format.model import Fact

from .conftest import MakeLib, script

FACTS: dict[str, Any] = {
    "colour": {"type": "choice", "options": ["Red", "green", "on", "off"]},
    "flag": {"type": "boolean"},
    "count": {"type": "number", "min": 1, "max": 10, "integer": True},
    "ratio": {"type": "number", "max": 1.5},
    "code": {"type": "text", "pattern": "^[0-9]{4}$", "max_length": 4},
    "word": {"type": "text", "pattern": "[a-z]", "max_length": 5},
    "secret": {"type": "text", "pattern": "^[0-9]{8}$", "sensitive": True},
}


@pytest.fixture
def typed(make_lib: MakeLib) -> Library:
    nodes: dict[str, Any] = {}
    keys = list(FACTS)
    for i, key in enumerate(keys):
        nodes[f"ask-{key}"] = {"type": "question", "prompt": f"{key}?", "fact": key,
                               "next": f"ask-{keys[i + 1]}" if i + 1 < len(keys) else "end"}
    nodes["end"] = {"type": "outcome", "result": "resolved"}
    return make_lib(script("typed", facts=FACTS, nodes=nodes))


def at(lib: Library, clock: ManualClock, key: str) -> Session:
    """A session standing at the question for ``key`` (earlier facts given at intake)."""
    start = "ask-" + next(iter(FACTS))
    s: Session = lib.start("typed", clock=clock)
    assert s.prompt is not None and s.prompt.node == start
    answers = {"colour": "green", "flag": "yes", "count": 3, "ratio": 1, "code": "1234",
               "word": "abc", "secret": "12345678"}
    for k in FACTS:
        if k == key:
            break
        s.answer(answers[k])
    assert s.prompt is not None and s.prompt.fact == key
    return s


def fact(key: str) -> Fact:
    raw = FACTS[key]
    return Fact(key=key, type=raw["type"], script="typed", mark=(1, 1),
                options=tuple(raw.get("options", ())), pattern=raw.get("pattern"),
                max_length=raw.get("max_length"), minimum=raw.get("min"),
                maximum=raw.get("max"), integer=raw.get("integer", False),
                sensitive=raw.get("sensitive", False))


@pytest.mark.parametrize(("key", "answer", "expected"), [
    ("colour", "green", "green"),
    ("colour", " on ", "on"),
    ("colour", "Red", "Red"),
    ("flag", True, True),
    ("flag", False, False),
    ("flag", "yes", True),
    ("flag", "No", False),
    ("flag", "TRUE", True),
    ("count", 3, 3),
    ("count", "7", 7),
    ("count", 4.0, 4),
    ("count", " 10 ", 10),
    ("ratio", "0.25", 0.25),
    ("ratio", -3, -3),
    ("ratio", "1e-1", 0.1),
    ("code", "0042", "0042"),
    ("word", "Hello", "Hello"),    # re.search: an unanchored pattern may match anywhere
    ("secret", "12345678", "12345678"),
])
def test_valid_answers_are_coerced(key: str, answer: object, expected: object) -> None:
    value = check(fact(key), answer)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("key", "answer", "says"), [
    ("colour", "blue", "not one of the options"),
    ("colour", "red", "did you mean 'Red'?"),
    ("colour", "ON", "did you mean 'on'?"),
    ("colour", True, "not bool"),
    ("flag", "maybe", "not a yes/no answer"),
    ("flag", 1, "not a yes/no answer"),
    ("count", "three", "not a number"),
    ("count", 0, "less than 1"),
    ("count", 11, "more than 10"),
    ("count", 2.5, "not a whole number"),
    ("count", True, "not a number"),
    ("count", "nan", "not a finite number"),
    ("count", None, "not a number"),
    ("ratio", "2", "more than 1.5"),
    ("code", "12345", "longer than 4"),
    ("code", "12a4", "does not match"),
    ("code", 1234, "quote it"),
    ("word", "123", "does not match"),
    ("word", "", "empty"),
    ("secret", "1234", "does not match"),
])
def test_bad_answers_name_fact_answer_and_what_is_allowed(
        typed: Library, clock: ManualClock, key: str, answer: object, says: str) -> None:
    s = at(typed, clock, key)
    before = json.dumps(s.to_dict(), sort_keys=True)
    prompt, events = s.prompt, list(s.events)
    with pytest.raises(AnswerError) as info:
        s.answer(answer)
    error = info.value
    assert says in str(error)
    assert error.fact == key and error.answer == answer
    assert error.allowed == allowed(fact(key)) and error.allowed in str(error)
    assert repr(key) in str(error)
    if not FACTS[key].get("sensitive"):
        assert repr(answer) in str(error)
    # nothing changed: not the prompt, not the facts, not a single event
    assert s.prompt is prompt and s.events == events
    assert json.dumps(s.to_dict(), sort_keys=True) == before
    assert not s.can_go_back or key != next(iter(FACTS))


def test_sensitive_answer_is_masked_in_the_error(typed: Library, clock: ManualClock) -> None:
    s = at(typed, clock, "secret")
    with pytest.raises(AnswerError) as info:
        s.answer("987654321")
    assert "987654321" not in str(info.value)
    assert mask("987654321") in str(info.value)


def test_allowed_in_words() -> None:
    assert allowed(fact("colour")) == "one of 'Red', 'green', 'on', 'off'"
    assert allowed(fact("flag")) == "yes or no"
    assert allowed(fact("count")) == "a whole number from 1 to 10"
    assert allowed(fact("ratio")) == "a number of at most 1.5"
    assert allowed(fact("code")) == "text matching ^[0-9]{4}$ of at most 4 characters"


def test_prompt_describes_open_answers(typed: Library, clock: ManualClock) -> None:
    s = at(typed, clock, "count")
    p = s.prompt
    assert p is not None and p.options == () and p.type == "number"
    assert p.allowed == "a whole number from 1 to 10"


def test_yes_no_branch_keys_from_a_yaml12_library(make_lib: MakeLib,
                                                  clock: ManualClock) -> None:
    lib = make_lib(script("b", facts={"f": {"type": "boolean"}}, nodes={
        "q": {"type": "question", "prompt": "f?", "fact": "f",
              "branches": {"yes": "y", "no": "n"}},
        "y": {"type": "outcome", "result": "resolved", "code": "y"},
        "n": {"type": "outcome", "result": "unresolved", "code": "n"},
    }))
    for answer, code in ((True, "y"), ("no", "n"), ("Yes", "y"), (False, "n")):
        s = lib.start("b", clock=clock)
        s.answer(answer)
        assert s.outcome is not None and s.outcome.code == code
