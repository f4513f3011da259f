"""`scriptflow test`: coverage of every script, scenario-file mistakes as clear failures,
and a scenario file given as PATH."""

from __future__ import annotations

import json
import os

from .conftest import ROOT, WriteFiles, run_cli
from .small_library import LIBRARY, RETRY

# main's "stop" answer ends at once: covers ask and bye, one of main's six ways out.
STOP = """\
    scriptflow-scenarios: 1
    script: main
    scenarios:
      - name: stops at once
        answers: {pick: stop}
        expect: {outcome: unresolved}
"""


def test_a_script_without_scenarios_gets_a_zero_row_and_fails_min_coverage(
        write_files: WriteFiles) -> None:
    lib = write_files({"retry.yaml": RETRY, "main.yaml": LIBRARY["main.yaml"],
                       "helper.yaml": LIBRARY["helper.yaml"],
                       "other.yaml": LIBRARY["other.yaml"], "main.scenarios.yaml": STOP})
    result = run_cli("test", str(lib), "--min-coverage", "100")
    assert result.returncode == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    # retry: no scenario starts in it and nothing hands off to it, yet it has its row.
    assert rows["retry"].split()[1:5] == ["0/4", "0%", "0/5", "0%"]
    assert "no scenario reaches this script" in rows["retry"]
    assert "below --min-coverage 100%" in result.stdout
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    retry = data["coverage"]["scripts"]["retry"]
    assert (retry["nodes"]["covered"], retry["nodes"]["total"]) == (0, 4)
    assert retry["nodes"]["percent"] == 0.0
    # main 2 of 5, helper 0 of 3, other 0 of 5, retry 0 of 4
    assert data["coverage"]["total"]["nodes"] == round(100 * 2 / 17, 1)


def test_nothing_to_cover_is_never_100_percent(write_files: WriteFiles) -> None:
    # A folder of scenario files only: the library is empty.
    lib = write_files({"main.scenarios.yaml": STOP})
    result = run_cli("test", str(lib), "--min-coverage", "50")
    assert result.returncode == 1
    total = next(line for line in result.stdout.splitlines() if line.startswith("total"))
    assert total.split() == ["total", "n/a", "n/a"]
    assert "100" not in result.stdout
    assert "coverage n/a (the library has no nodes to cover) does not reach " \
        "--min-coverage 50%" in result.stdout
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    assert data["coverage"]["total"] == {"nodes": None, "branches": None}


def test_every_file_broken_shows_zero_coverage_not_100(write_files: WriteFiles) -> None:
    broken = STOP.replace("script: main", "script: mian")
    lib = write_files({**LIBRARY, "main.scenarios.yaml": broken})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    out = result.stdout
    # The error points at the `script:` value and suggests the closest script.
    assert (f"ERROR {lib / 'main.scenarios.yaml'}:2:9: script 'mian' is not in the library; "
            "did you mean 'main'?") in out
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert total.split() == ["total", "0.0%", "0.0%"]
    assert out.rstrip().endswith("0 passed, 0 failed, 1 file error(s)")
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    assert data["summary"]["file_errors"] == 1


def test_unknown_script_without_a_close_match_says_how_to_fix(
        write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": STOP.replace("script: main",
                                                                      "script: zzzzzz")})
    out = run_cli("test", str(lib)).stdout
    assert (f"{lib / 'main.scenarios.yaml'}:2:9: script 'zzzzzz' is not in the library; name "
            "one of the library's script ids, or point --library at its folder") in out


def test_a_bad_actor_is_a_clear_error_and_the_rest_still_runs(
        write_files: WriteFiles) -> None:
    scenarios = STOP + """\
      - name: robot actor
        actor: robot
        answers: {pick: stop}
      - name: an agent answers
        actor: agent
        answers: {pick: stop}
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": scenarios})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    assert "PASS  main: stops at once" in out
    assert "PASS  main: an agent answers" in out
    assert "FAIL  main: robot actor" in out
    assert (f"error: {lib / 'main.scenarios.yaml'}:8:12: unknown actor 'robot' in scenario "
            "'robot actor' (use customer, agent or system)") in out
    assert "not run: fix the errors above first" in out
    assert out.rstrip().endswith("2 passed, 1 failed")


def test_run_scenario_turns_an_engine_refusal_into_an_error(write_files: WriteFiles) -> None:
    """The reader rejects a bad actor; run_scenario must not raise if one gets through."""
    from scriptflow.library import load_library
    from scriptflow.testing.runner import run_scenario
    from scriptflow.testing.scenario_file import read_scenario_file

    lib = write_files({**LIBRARY, "main.scenarios.yaml": STOP})
    scenario = read_scenario_file(str(lib / "main.scenarios.yaml")).scenarios[0]
    scenario.actor = "robot"
    result = run_scenario(load_library(lib, cache=False), scenario)
    assert not result.passed
    assert [e.line for e in result.errors] == [scenario.mark[0]]
    assert "actor must be one of customer, agent, system, not 'robot'" in \
        result.errors[0].message


def test_a_scenario_with_its_own_mistakes_fails_instead_of_passing(
        write_files: WriteFiles) -> None:
    scenarios = """\
        scriptflow-scenarios: 1
        script: main
        scenarios:
          - name: misspelled expect key
            answers: {pick: stop}
            expect: {outcom: escalated}
          - name: duplicate answer
            answers:
              pick: stop
              pick: help
          - name: fine
            answers: {pick: stop}
        description: one
        description: two
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": scenarios})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    out = result.stdout
    path = lib / "main.scenarios.yaml"
    assert "PASS  main: misspelled expect key" not in out
    assert f"FAIL  main: misspelled expect key  ({path}:4)" in out
    assert f"error: {path}:6:14: unknown expectation 'outcom'" in out
    assert f"FAIL  main: duplicate answer  ({path}:7)" in out
    assert f"error: {path}:10:7: duplicate key 'pick' (first at line 9)" in out
    assert "PASS  main: fine" in out
    # A duplicate key outside every scenario stays an error of the file.
    assert f"ERROR {path}:14:1: duplicate key 'description'" in out
    assert out.rstrip().endswith("1 passed, 2 failed, 1 file error(s)")
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    assert [(s["name"], s["passed"], s["played"]) for s in data["scenarios"]] == [
        ("misspelled expect key", False, False), ("duplicate answer", False, False),
        ("fine", True, True)]
    assert data["summary"] == {"passed": 1, "failed": 2, "file_errors": 1,
                               "min_coverage": None, "below_min_coverage": False}


def test_a_scenario_file_as_path_uses_the_scripts_beside_it(write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": STOP})
    result = run_cli("test", str(lib / "main.scenarios.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  main: stops at once" in result.stdout
    assert "SF103" not in result.stdout + result.stderr
    # A bare file name: the current folder is the library.
    result = run_cli("test", "main.scenarios.yaml", "-q", cwd=lib)
    assert result.returncode == 0, result.stdout + result.stderr
    # --library still wins over the default.
    result = run_cli("test", str(lib / "main.scenarios.yaml"), "--library",
                     str(lib / "nowhere"))
    assert result.returncode == 2
    assert "nowhere" in result.stderr


def test_the_bundled_scripts_are_fully_covered() -> None:
    """What CI runs: every bundled script, each with scenarios, all nodes and branches."""
    scripts = ROOT / "scripts"
    result = run_cli("test", str(scripts), "--min-coverage", "100", "--format", "json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    data = json.loads(result.stdout)
    ids = {name.removesuffix(".yaml") for name in os.listdir(scripts)
           if name.endswith(".yaml") and not name.endswith(".scenarios.yaml")}
    assert set(data["coverage"]["scripts"]) == ids
