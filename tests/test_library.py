"""`load_library`, `lint` and the networkx graph, as the SPEC's Python API shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

import scriptflow

from .conftest import WriteFiles
from .test_cli_lint import BROKEN, GOOD

HANDOFF = """\
    scriptflow: 1
    id: intake
    start: kind
    facts:
      printer_on:
        type: boolean
      kind:
        type: choice
        options: [printer, other]
    nodes:
      kind:
        type: question
        prompt: What is the problem with?
        fact: kind
        branches:
          printer: to-printer
          other: call-it
      to-printer:
        type: handoff
        script: printer
      call-it:
        type: call
        script: printer
        node: power
        branches:
          resolved: done
          "*": done
      done:
        type: outcome
        result: referred
"""


def test_load_library_and_graph(write_files: WriteFiles) -> None:
    lib = scriptflow.load_library(write_files({"printer.yaml": GOOD, "intake.yaml": HANDOFF}))
    assert isinstance(lib, scriptflow.Library)
    assert sorted(lib) == ["intake", "printer"]
    graph = lib.graph
    assert graph.nodes["printer:power"]["type"] == "question"
    assert graph.edges["printer:power", "printer:switch-on"] == {"kind": "branch",
                                                                   "label": "no"}
    assert graph.edges["intake:to-printer", "printer:power"]["kind"] == "handoff"
    assert graph.edges["intake:call-it", "printer:power"]["kind"] == "call"
    assert graph.edges["intake:call-it", "intake:done"]["label"] == "resolved / *"
    assert graph.number_of_nodes() == 3 + 4


def test_load_library_raises_with_problems(write_files: WriteFiles) -> None:
    with pytest.raises(scriptflow.LibraryError) as caught:
        scriptflow.load_library(write_files({"printer.yaml": BROKEN}))
    problems = caught.value.problems
    assert [p.code for p in problems if p.severity == "error"] == ["SF201", "SF201"]
    assert "printer.yaml:15:12: error SF201" in str(caught.value)


def test_unknown_script_says_did_you_mean(write_files: WriteFiles) -> None:
    lib = scriptflow.load_library(write_files({"printer.yaml": GOOD}))
    with pytest.raises(scriptflow.ScriptNotFoundError, match="did you mean 'printer'"):
        lib["printr"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scriptflow.load_library(tmp_path / "nope")


def test_lint_api_reports_problem_fields(write_files: WriteFiles) -> None:
    report = scriptflow.lint([write_files({"printer.yaml": BROKEN})])
    assert isinstance(report, scriptflow.LintReport)
    first = report.errors[0]
    assert isinstance(first, scriptflow.Problem)
    assert (first.code, first.severity, first.line, first.column) == ("SF201", "error", 15, 12)
    assert first.path.endswith("printer.yaml")
    assert report.summary() == {"errors": 2, "warnings": 1, "files": 1}


def test_scenario_files_are_not_scripts(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": GOOD,
                       "printer.scenarios.yaml": "scriptflow-scenarios: 1\nscript: printer\n"})
    assert scriptflow.lint([lib]).problems == []


def test_bundled_scripts_are_strictly_clean() -> None:
    report = scriptflow.lint([Path(__file__).parent.parent / "scripts"])
    assert [p.format() for p in report.problems] == []
    assert report.files >= 8
