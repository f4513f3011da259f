"""A failing and a passing example for every rule code, asserting code, line and column."""

from __future__ import annotations

import pytest

from scriptflow.checks.context import LintConfig
from scriptflow.checks.runner import lint_documents
from scriptflow.codes import CODES
from scriptflow.format.yamlload import load_text

from .conftest import dedent

BASE = """\
scriptflow: 1
id: {id}
start: q
facts:
  colour:
    type: choice
    options: [red, green]
  ok:
    type: boolean
nodes:
  q:
    type: question
    prompt: Which colour?
    fact: colour
    branches:
      red: fixed
      green: check
  check:
    type: question
    prompt: OK?
    fact: ok
    branches:
      yes: fixed
      no: escalate
  fixed:
    type: outcome
    result: resolved
  escalate:
    type: outcome
    result: escalated
"""


def script(text: str = BASE, **names: str) -> str:
    return text.format(id=names.get("id", "s"))


def problems(*texts: str, **config: object) -> list[tuple[str, int, int]]:
    docs = [load_text(dedent(t), f"f{i}.yaml") for i, t in enumerate(texts)]
    report, _ = lint_documents(docs, LintConfig(**config))  # type: ignore[arg-type]
    return [(p.code, p.line, p.column) for p in report.problems]


def messages(*texts: str) -> list[str]:
    docs = [load_text(dedent(t), f"f{i}.yaml") for i, t in enumerate(texts)]
    report, _ = lint_documents(docs)
    return [p.message for p in report.problems]


def test_the_base_script_is_clean() -> None:
    assert problems(script()) == []


# (code, files, expected problems) — the first file is f0.yaml, the second f1.yaml.
CASES = [
    ("SF100", ["id: [unclosed\n"], [("SF100", 1, 5)]),
    ("SF101", [script().replace("    prompt: OK?\n", "    promt: OK?\n")],
     [("SF101", 20, 5)]),
    ("SF101", [script().replace("    result: escalated", "    result: escalate")],
     [("SF101", 30, 13)]),
    ("SF102", [script() + "  fixed:\n    type: outcome\n    result: resolved\n"],
     [("SF102", 31, 3)]),
    ("SF103", [script().replace("scriptflow: 1", "scriptflow: 2")], [("SF103", 1, 13)]),
    ("SF103", [script().replace("scriptflow: 1\n", "")], [("SF103", 1, 1)]),
    ("SF104", [script().replace("result: resolved", "result: !!python/name:os.system")],
     [("SF104", 27, 13)]),
    ("SF201", [script().replace("green: check", "green: chek")], [("SF201", 17, 14)]),
    ("SF201", [script().replace("start: q", "start: begin")], [("SF201", 3, 8)]),
    ("SF202", [script().replace("fact: ok", "fact: okay")], [("SF202", 21, 11)]),
    ("SF202", [script().replace("prompt: OK?", "prompt: OK, {name}?")], [("SF202", 20, 17)]),
    ("SF203", [script().replace("  escalate:\n    type: outcome\n    result: escalated",
                                "  escalate:\n    type: handoff\n    script: nowhere")],
     [("SF203", 30, 13)]),
    ("SF204", [script(), script()], [("SF204", 2, 5)]),
    ("SF205", [script().replace("""    branches:
      yes: fixed
      no: escalate""", """    routes:
      - when: "ok =="
        goto: fixed
      - goto: escalate""")], [("SF205", 23, 21)]),
    ("SF301", [script() + "  spare:\n    type: outcome\n    result: unresolved\n"],
     [("SF301", 31, 3)]),
    ("SF302", [script().replace("no: escalate", "no: loop") + """\
  loop:
    type: action
    instruction: Try again
    fact: ok
    reask: always
    next: retry
  retry:
    type: decision
    routes:
      - goto: loop
"""], [("SF301", 28, 3), ("SF302", 31, 3)]),
    ("SF303", [script(id="a").replace("result: escalated", "result: escalated\n")
               .replace("  escalate:\n    type: outcome\n    result: escalated",
                        "  escalate:\n    type: handoff\n    script: b"),
               script(id="b").replace("  escalate:\n    type: outcome\n    result: escalated",
                                      "  escalate:\n    type: handoff\n    script: a")],
     [("SF303", 30, 13)]),
    ("SF304", [script().replace("      green: check\n", "")], [("SF304", 15, 5)]),
    ("SF305", [script().replace("""    branches:
      yes: fixed
      no: escalate""", """    routes:
      - when: "ok"
        goto: fixed
      - when: "not ok"
        goto: escalate""")], [("SF305", 25, 15)]),
    ("SF306", [script().replace("green: check", "green: check\n      blue: check")],
     [("SF306", 18, 7)]),
    ("SF307", [script().replace("    type: boolean", "    type: text")],
     [("SF307", 22, 5)]),
    ("SF401", [script(id="a"), script(id="b").replace("options: [red, green]",
                                                      "options: [red, green, blue]")],
     [("SF401", 5, 3), ("SF304", 15, 5)]),
    ("SF402", [script().replace("""    branches:
      yes: fixed
      no: escalate""", """    next: again
  again:
    type: question
    prompt: Really OK?
    fact: ok
    branches:
      yes: fixed
      no: escalate""")], [("SF402", 23, 3)]),
    ("SF403", [script().replace("facts:\n", "facts:\n  spare:\n    type: text\n")],
     [("SF403", 5, 3)]),
    ("SF404", [script().replace("red: fixed", "red: route").replace("  fixed:\n", """\
  route:
    type: decision
    routes:
      - when: "ok == true"
        goto: fixed
      - goto: check
  fixed:
""")], [("SF404", 28, 15)]),
    ("SF501", [script()], [("SF501", 25, 3)]),
]


@pytest.mark.parametrize(("code", "files", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_finds_its_problem_at_the_right_place(code: str, files: list[str],
                                                   expected: list[tuple[str, int, int]]
                                                   ) -> None:
    config = {"max_questions": 1} if code == "SF501" else {}
    found = problems(*files, **config)
    assert found == expected
    assert code in {c for c, _l, _c in found}


def test_every_code_has_a_failing_case() -> None:
    assert {c[0] for c in CASES} == set(CODES)


# Passing examples: each rule stays quiet on a correct variant of its failing case.
PASSING = [
    ("SF201", script().replace("green: check", "green: escalate")
     .replace("  check:\n", "  check:  # scriptflow: ignore[SF301]\n")),
    ("SF202", script().replace("prompt: OK?", "prompt: Is colour {colour} OK?")),
    ("SF302", script().replace("no: escalate", "no: loop") + """\
  loop:
    type: action
    instruction: Try again
    fact: ok
    reask: always
    routes:
      - when: "ok"
        goto: fixed
      - goto: escalate
"""),
    ("SF304", script().replace("      green: check\n", "      \"*\": check\n")),
    ("SF305", script().replace("""    branches:
      yes: fixed
      no: escalate""", """    routes:
      - when: "ok"
        goto: fixed
      - goto: escalate""")),
    ("SF402", script().replace("""    branches:
      yes: fixed
      no: escalate""", """    next: again
  again:
    type: question
    prompt: Really OK?
    fact: ok
    reask: confirm
    branches:
      yes: fixed
      no: escalate""")),
    ("SF404", script().replace("""    branches:
      yes: fixed
      no: escalate""", """    routes:
      - when: "ok and colour == 'green'"
        goto: fixed
      - goto: escalate""")),
]


@pytest.mark.parametrize(("code", "text"), PASSING, ids=[p[0] for p in PASSING])
def test_rule_is_quiet_on_a_correct_script(code: str, text: str) -> None:
    assert problems(text) == []


def test_schema_problem_does_not_cascade_into_graph_rules() -> None:
    # The broken node would otherwise also be unreachable, unknown, trapped…
    text = script().replace("    prompt: OK?\n", "    promt: OK?\n")
    assert [c for c, _l, _c in problems(text)] == ["SF101"]


def test_messages_name_ids_and_give_cycles_deterministically() -> None:
    text = script().replace("no: escalate", "no: loop") + """\
  loop:
    type: action
    instruction: Try again
    fact: ok
    reask: always
    next: retry
  retry:
    type: decision
    routes:
      - goto: loop
"""
    assert "no outcome or handoff can be reached from 'loop': loop -> retry -> loop" in \
        messages(text)


def test_duplicate_script_says_where_it_was_first_defined() -> None:
    assert messages(script(), script()) == [
        "script id 's' is already used; first defined at f0.yaml:2"]


def test_hint_did_you_mean() -> None:
    docs = [load_text(dedent(script().replace("green: check", "green: chek")), "f.yaml")]
    report, _ = lint_documents(docs)
    assert report.problems[0].hint == "did you mean 'check'?"


@pytest.mark.parametrize("line", ["  q:", "    branches:"])
def test_missing_branch_can_be_ignored_on_the_node_or_on_its_branches(line: str) -> None:
    failing = script().replace("      green: check\n", "")
    assert problems(failing) == [("SF304", 15, 5)]
    assert problems(failing.replace(f"{line}\n", f"{line}  # scriptflow: ignore[SF304]\n",
                                    1)) == []
