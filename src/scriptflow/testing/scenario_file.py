"""Read ``*.scenarios.yaml`` files with positions, checking their shape as we go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine.session import ACTORS
from ..format.yamlload import Document, Mark, Path, load_bytes

SCENARIO_FORMATS = (1,)
EXPECT_KEYS = ("outcome", "code", "asked", "skipped", "script", "calls", "handoffs", "node")
SCENARIO_KEYS = ("name", "facts", "answers", "answers_by_script", "confirm", "notes",
                 "expect", "actor", "description")


@dataclass(slots=True)
class Answer:
    """One answer given by a scenario, with where it was written."""

    fact: str
    values: list[Any]  # one per time the fact is asked; a scalar repeats
    repeat: bool
    mark: Mark  # the fact key
    value_marks: list[Mark] = field(default_factory=list)  # each value given
    script: str | None = None
    script_mark: Mark | None = None  # the script's key under answers_by_script
    used: int = 0


@dataclass(slots=True)
class Scenario:
    name: str
    path: str
    mark: Mark
    script: str
    facts: dict[str, Any] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    confirm: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    expect_marks: dict[str, Mark] = field(default_factory=dict)
    actor: str = "customer"
    fact_marks: dict[str, Mark] = field(default_factory=dict)  # each given fact's value
    confirm_marks: dict[str, Mark] = field(default_factory=dict)  # each confirm's fact key
    # Mistakes written in this scenario: it fails with them and is not played.
    errors: list[ScenarioFileError] = field(default_factory=list)


@dataclass(slots=True)
class ScenarioFileError:
    path: str
    line: int
    column: int
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(slots=True)
class ScenarioFile:
    path: str
    script: str
    scenarios: list[Scenario]
    errors: list[ScenarioFileError]  # mistakes outside any one scenario
    script_mark: Mark = (1, 1)  # the `script:` value


def _error(doc: Document, path: Path, message: str, *, key: bool = False) -> ScenarioFileError:
    line, column = doc.key_mark(path) if key else doc.mark(path)
    return ScenarioFileError(doc.path, line, column, message)


def read_scenario_file(path: str) -> ScenarioFile:
    with open(path, "rb") as handle:
        doc = load_bytes(handle.read(), path)
    result = ScenarioFile(path, "", [], [])
    problems = [ScenarioFileError(p.path, p.line, p.column,
                                  f"{p.message} ({p.hint})" if p.hint else p.message)
                for p in doc.problems if p.severity == "error"]
    if doc.data is None:
        result.errors += problems
        return result
    spans = _read_file(doc, result)
    _attribute(doc, result, problems, spans)
    return result


def _read_file(doc: Document, result: ScenarioFile) -> list[tuple[Mark, Scenario | None]]:
    """Fill ``result``; returns where each scenario starts, with the scenario read there
    (None when it was too malformed to read)."""
    spans: list[tuple[Mark, Scenario | None]] = []
    data = doc.data
    if not isinstance(data, dict):
        result.errors.append(_error(doc, (), "a scenario file is a mapping with "
                                    "`scriptflow-scenarios: 1`, `script:` and `scenarios:`"))
        return spans
    if data.get("scriptflow-scenarios") not in SCENARIO_FORMATS:
        result.errors.append(_error(doc, ("scriptflow-scenarios",),
                                    "missing or unsupported `scriptflow-scenarios:` (use 1)"))
        return spans
    unknown = set(data) - {"scriptflow-scenarios", "script", "scenarios", "description"}
    for key in sorted(unknown):
        result.errors.append(_error(doc, (key,), f"unknown key {key!r}", key=True))
    script = data.get("script")
    if not isinstance(script, str):
        result.errors.append(_error(doc, ("script",), "`script:` must name the script under "
                                    "test"))
        return spans
    result.script = script
    result.script_mark = doc.mark(("script",))
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        result.errors.append(_error(doc, ("scenarios",), "`scenarios:` must be a list of "
                                    "scenarios"))
        return spans
    for index, raw in enumerate(scenarios):
        scenario = _read_scenario(doc, ("scenarios", index), raw, script, result.errors)
        spans.append((doc.mark(("scenarios", index)), scenario))
        if scenario is not None:
            result.scenarios.append(scenario)
    return spans


def _attribute(doc: Document, result: ScenarioFile, problems: list[ScenarioFileError],
               spans: list[tuple[Mark, Scenario | None]]) -> None:
    """Give each YAML problem (a duplicate key, a rejected tag) to the scenario written
    around it, so that scenario fails instead of passing on what YAML kept; problems
    outside every scenario stay errors of the file."""
    # A top-level key written after `scenarios:` ends the last scenario.
    scenarios_at = doc.key_mark(("scenarios",))
    after = [m for k, m in doc.key_marks.items() if len(k) == 1 and m > scenarios_at]
    ends = [start for start, _ in spans[1:]] + [min(after, default=(1 << 30, 0))]
    for problem in problems:
        at = (problem.line, problem.column)
        owner = next((scenario for (start, scenario), end in zip(spans, ends, strict=True)
                      # a block mapping's keys sit at or right of where it starts
                      if start <= at < end and (at[0] == start[0] or at[1] >= start[1])),
                     None)
        (owner.errors if owner is not None else result.errors).append(problem)


def _read_scenario(doc: Document, base: Path, raw: Any, script: str,
                   errors: list[ScenarioFileError]) -> Scenario | None:
    """One scenario; None (with a file error) when it has no name to report it by."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        errors.append(_error(doc, base, "each scenario is a mapping with a `name:`"))
        return None
    scenario = Scenario(name=raw["name"], path=doc.path, mark=doc.mark((*base, "name")),
                        script=script)
    own = scenario.errors
    named = f"in scenario {raw['name']!r}"
    for key in sorted(set(raw) - set(SCENARIO_KEYS)):
        own.append(_error(doc, (*base, key), f"unknown key {key!r} {named} (known: "
                          f"{', '.join(SCENARIO_KEYS)})", key=True))
    actor = raw.get("actor", "customer")
    if actor not in ACTORS:
        own.append(_error(doc, (*base, "actor"), f"unknown actor {actor!r} {named} (use "
                          f"{', '.join(ACTORS[:-1])} or {ACTORS[-1]})"))
    else:
        scenario.actor = actor
    for key in ("facts", "answers", "answers_by_script", "confirm", "expect"):
        if key in raw and not isinstance(raw[key], dict):
            own.append(_error(doc, (*base, key), f"`{key}:` must be a mapping"))
            return scenario
    scenario.facts = dict(raw.get("facts") or {})
    scenario.fact_marks = {k: doc.mark((*base, "facts", k)) for k in scenario.facts}
    scenario.confirm = dict(raw.get("confirm") or {})
    scenario.confirm_marks = {k: doc.key_mark((*base, "confirm", k)) for k in scenario.confirm}
    notes = raw.get("notes") or []
    if not isinstance(notes, list):
        own.append(_error(doc, (*base, "notes"), "`notes:` must be a list of texts"))
        return scenario
    scenario.notes = [str(n) for n in notes]
    for fact, value in (raw.get("answers") or {}).items():
        scenario.answers.append(_answer(doc, (*base, "answers", fact), fact, value, None))
    for sid, table in (raw.get("answers_by_script") or {}).items():
        if not isinstance(table, dict):
            own.append(_error(doc, (*base, "answers_by_script", sid),
                              "answers for a script are a mapping of fact: answer"))
            continue
        for fact, value in table.items():
            answer = _answer(doc, (*base, "answers_by_script", sid, fact), fact, value, sid)
            answer.script_mark = doc.key_mark((*base, "answers_by_script", sid))
            scenario.answers.append(answer)
    expect = raw.get("expect") or {}
    for key in sorted(set(expect) - set(EXPECT_KEYS)):
        own.append(_error(doc, (*base, "expect", key), f"unknown expectation {key!r} "
                          f"(known: {', '.join(EXPECT_KEYS)})", key=True))
    for key in ("asked", "skipped", "calls", "handoffs"):
        if key in expect and not isinstance(expect[key], list):
            own.append(_error(doc, (*base, "expect", key), f"`{key}:` must be a list"))
    scenario.expect = {k: v for k, v in expect.items() if k in EXPECT_KEYS}
    scenario.expect_marks = {k: doc.mark((*base, "expect", k)) for k in scenario.expect}
    return scenario


def _answer(doc: Document, path: Path, fact: str, value: Any, script: str | None) -> Answer:
    repeat = not isinstance(value, list)
    marks = [doc.mark(path)] if repeat else [doc.mark((*path, i)) for i in range(len(value))]
    return Answer(fact=fact, values=[value] if repeat else list(value), repeat=repeat,
                  mark=doc.key_mark(path), value_marks=marks, script=script)
