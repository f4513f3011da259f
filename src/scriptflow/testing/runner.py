"""Run scenario tests against a library and compare what happened with what was expected."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AnswerError, ScriptflowError
from ..format.reader import SCENARIO_SUFFIXES, MissingPathError
from .coverage import Coverage, Step
from .scenario_file import Answer, Scenario, ScenarioFile, ScenarioFileError, read_scenario_file

MAX_STEPS = 500  # a scenario that is still asking after this many answers is stuck
SCENARIO_START = 1_767_225_600.0  # 2026-01-01: scenario sessions run on a fixed clock


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)  # expectation mismatches
    errors: list[ScenarioFileError] = field(default_factory=list)  # mistakes in the scenario
    steps: list[str] = field(default_factory=list)  # the path taken, for people
    trail: list[Step] = field(default_factory=list)
    reached: list[tuple[str, str]] = field(default_factory=list)  # nodes not in the trail
    actual: dict[str, Any] = field(default_factory=dict)
    played: bool = True  # False when the scenario's own mistakes kept it from being run

    @property
    def passed(self) -> bool:
        return not self.failures and not self.errors


def find_scenario_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    found: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isfile(path):
            found.append(path)
        elif os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(folder, f) for f in sorted(files)
                          if f.endswith(SCENARIO_SUFFIXES)]
        else:
            raise MissingPathError(f"no such file or folder: {path}")
    return sorted(dict.fromkeys(os.path.normpath(p) for p in found))


def _take_answer(scenario: Scenario, script: str, fact: str) -> Answer | None:
    specific = [a for a in scenario.answers if a.fact == fact and a.script == script]
    general = [a for a in scenario.answers if a.fact == fact and a.script is None]
    for answer in (*specific, *general):
        if answer.repeat or answer.used < len(answer.values):
            return answer
    return None


def _describe_event(event: Any) -> str | None:
    where = f"{event.script}:{event.node}"
    data = event.data or {}
    if event.type == "asked":
        kind = data.get("kind", "question")
        return f"{where}  asks {event.fact}" + (" (confirm)" if kind == "confirm" else "")
    if event.type == "answered":
        return f"{where}  answered {event.value!r}"
    if event.type == "confirmed":
        return f"{where}  confirmed {event.value!r}"
    if event.type == "skipped":
        return f"{where}  skips {event.fact} ({event.detail})"
    if event.type == "invalidated":
        return f"{where}  forgets {event.fact}"
    if event.type in ("handoff", "called"):
        verb = "hands off to" if event.type == "handoff" else "calls"
        return f"{where}  {verb} {data.get('to_script')}:{data.get('to_node')}"
    if event.type == "returned":
        return f"{where}  returns {data.get('result')} to {data.get('to_script')}"
    if event.type == "outcome":
        code = f" ({data.get('code')})" if data.get("code") else ""
        return f"{where}  ends: {data.get('result')}{code}"
    return None


def run_scenario(library: Any, scenario: Scenario) -> ScenarioResult:
    """Play one scenario; never raises for a mistake in the scenario or the script."""
    from ..engine.clock import ManualClock

    result = ScenarioResult(scenario)
    for given in scenario.answers:
        given.used = 0
    try:
        session = library.start(scenario.script, facts=scenario.facts,
                                clock=ManualClock(SCENARIO_START), trace=True,
                                actor=scenario.actor)
    except AnswerError as exc:
        line, column = scenario.fact_marks.get(exc.fact or "", scenario.mark)
        result.errors.append(ScenarioFileError(scenario.path, line, column,
                                               f"scenario {scenario.name!r}: facts: {exc}"))
        return result
    except ScriptflowError as exc:
        result.failures.append(f"the session could not start: {exc}")
        return result
    except ValueError as exc:  # a start option the engine refuses, e.g. an unknown actor
        line, column = scenario.mark
        result.errors.append(ScenarioFileError(scenario.path, line, column,
                                               f"scenario {scenario.name!r}: {exc}"))
        return result
    for note in scenario.notes:
        session.note(note)
    confirmed: set[str] = set()
    stopped_by_mistake = _play(session, scenario, result, confirmed)
    result.steps = [step for e in session.events if (step := _describe_event(e))]
    result.trail = list(session.trail)
    if session.prompt is not None:  # where an unfinished scenario stopped was reached too
        result.reached.append((session.prompt.script, session.prompt.node))
    if not stopped_by_mistake:
        result.errors += _unused(library, scenario, confirmed)
    result.actual = _actual(session)
    if not stopped_by_mistake:  # after a bad answer the rest would only repeat the error
        _compare(scenario, result)
    return result


def _play(session: Any, scenario: Scenario, result: ScenarioResult,
          confirmed: set[str]) -> bool:
    """Answer prompts until the session ends or cannot go on; True when it stopped on a
    mistake in the scenario (a value the fact does not allow)."""
    for _ in range(MAX_STEPS):
        prompt = session.prompt
        if prompt is None:
            return False
        answer: Answer | None = None
        if prompt.kind == "confirm":
            value: Any = scenario.confirm.get(prompt.fact, "yes")
            confirmed.add(prompt.fact)
        else:
            answer = _take_answer(scenario, prompt.script, prompt.fact)
            if answer is None:
                result.failures.append(
                    f"{prompt.script}:{prompt.node} asks {prompt.fact!r} but the scenario "
                    "gives no answer for it")
                return False
            value = answer.values[0] if answer.repeat else answer.values[answer.used]
        try:
            session.answer(value)
        except AnswerError as exc:
            if answer is not None:
                line, column = answer.value_marks[0 if answer.repeat else answer.used]
            else:
                line, column = scenario.confirm_marks.get(prompt.fact, scenario.mark)
            result.errors.append(ScenarioFileError(scenario.path, line, column,
                                                   f"scenario {scenario.name!r}: {exc}"))
            return True
        except ScriptflowError as exc:
            result.failures.append(f"the session stopped: {exc}")
            return False
        if answer is not None:
            answer.used += 1
    result.failures.append(f"still asking after {MAX_STEPS} answers")
    return False


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _unused(library: Any, scenario: Scenario, confirmed: set[str]) -> list[ScenarioFileError]:
    """Answers and confirmations the session never asked for: mistakes in the scenario."""
    from ..format.schema import did_you_mean

    errors: list[ScenarioFileError] = []
    named = f"scenario {scenario.name!r}"
    for answer in scenario.answers:
        where = f" in {answer.script}" if answer.script else ""
        if answer.script is not None and answer.script not in library.scripts:
            hint = did_you_mean(answer.script, library.scripts)
            errors.append(ScenarioFileError(
                scenario.path, *(answer.script_mark or answer.mark),
                f"{named}: answers_by_script names "
                f"{answer.script!r}, which is not in the library" + (f"; {hint}" if hint
                                                                     else "")))
        elif answer.used == 0:
            why = ""
            if answer.fact not in library.facts:
                hint = did_you_mean(answer.fact, library.facts)
                why = f" (no fact {answer.fact!r} in the library" + (f"; {hint})" if hint
                                                                     else ")")
            errors.append(ScenarioFileError(
                scenario.path, *answer.mark, f"{named}: the answer for {answer.fact!r}"
                f"{where} is never asked for{why}"))
        elif not answer.repeat and answer.used < len(answer.values):
            errors.append(ScenarioFileError(
                scenario.path, *answer.value_marks[answer.used],
                f"{named}: the {_ordinal(answer.used + 1)} answer for {answer.fact!r}{where} "
                f"is never asked for: it was asked {answer.used} time(s), "
                f"{len(answer.values)} answers are given"))
    for fact in scenario.confirm:
        if fact not in confirmed:
            errors.append(ScenarioFileError(
                scenario.path, *scenario.confirm_marks[fact],
                f"{named}: no confirmation of {fact!r} is ever asked for (only a node with "
                "reask: confirm reached while the fact is known asks one)"))
    return errors


def _actual(session: Any) -> dict[str, Any]:
    events = session.events
    outcome = session.outcome
    prompt = session.prompt
    where = outcome.script if outcome is not None else (prompt.script if prompt else None)
    return {
        "outcome": outcome.result if outcome is not None else "unfinished",
        "code": outcome.code if outcome is not None else None,
        "node": outcome.node if outcome is not None else (prompt.node if prompt else None),
        "script": where,
        "asked": [e.fact for e in events if e.type == "asked"],
        "skipped": [e.fact for e in events if e.type == "skipped"],
        "calls": [(e.data or {}).get("to_script") for e in events if e.type == "called"],
        "handoffs": [(e.data or {}).get("to_script") for e in events if e.type == "handoff"],
    }


def _compare(scenario: Scenario, result: ScenarioResult) -> None:
    for key, expected in scenario.expect.items():
        actual = result.actual.get(key)
        line = scenario.expect_marks[key][0]
        if isinstance(expected, list):
            if list(expected) == actual:
                continue
            assert isinstance(actual, list)
            index = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False))
                          if a != b), min(len(expected), len(actual)))
            want = repr(expected[index]) if index < len(expected) else "nothing more"
            got = repr(actual[index]) if index < len(actual) else "nothing more"
            result.failures.append(
                f"line {line}: {key}: first difference at position {index + 1}: expected "
                f"{want}, got {got}\n      expected {expected}\n      actual   {actual}")
        elif expected != actual:
            result.failures.append(f"line {line}: {key}: expected {expected!r}, got "
                                   f"{actual!r}")


@dataclass
class TestRun:
    files: list[ScenarioFile]
    results: list[ScenarioResult]
    coverage: Coverage
    file_errors: list[ScenarioFileError]

    @property
    def passed(self) -> bool:
        return not self.file_errors and all(r.passed for r in self.results)


def run_files(library: Any, files: list[str]) -> TestRun:
    """Run every scenario of ``files``. Coverage is over every script of the library, so
    a script no scenario reaches shows as 0 % rather than not at all."""
    from ..format.schema import did_you_mean

    parsed = [read_scenario_file(path) for path in files]
    coverage = Coverage(library.scripts.values())
    results: list[ScenarioResult] = []
    file_errors: list[ScenarioFileError] = []
    for scenario_file in parsed:
        file_errors += scenario_file.errors
        if scenario_file.script and scenario_file.script not in library.scripts:
            line, column = scenario_file.script_mark
            hint = did_you_mean(scenario_file.script, library.scripts) or \
                "name one of the library's script ids, or point --library at its folder"
            file_errors.append(ScenarioFileError(
                scenario_file.path, line, column,
                f"script {scenario_file.script!r} is not in the library; {hint}"))
            continue
        for scenario in scenario_file.scenarios:
            if scenario.errors:  # playing a misread scenario could only pass by accident
                results.append(ScenarioResult(scenario, errors=list(scenario.errors),
                                              played=False))
                continue
            result = run_scenario(library, scenario)
            coverage.add(result.trail, result.reached)
            results.append(result)
    return TestRun(parsed, results, coverage, file_errors)
