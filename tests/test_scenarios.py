"""`scriptflow test`: scenario files, failures with the path taken, and coverage."""

from __future__ import annotations

import json

from .conftest import WriteFiles, run_cli

SCRIPT = """\
    scriptflow: 1
    id: router
    start: lights
    facts:
      router_lights:
        type: choice
        options: [green, red, off]
      restart_result:
        type: choice
        options: [fixed, not_fixed]
      account_id:
        type: text
        pattern: "^[0-9]{8}$"
    nodes:
      lights:
        type: question
        prompt: Which lights?
        fact: router_lights
        branches:
          green: fine
          red: restart
          off: check
      check:
        type: decision
        routes:
          - when: "known(account_id)"
            goto: escalate
          - goto: fine
      restart:
        type: action
        instruction: Restart it.
        fact: restart_result
        invalidates: [router_lights]
        branches:
          fixed: fixed
          not_fixed: escalate
      fixed:
        type: outcome
        result: resolved
        code: fixed-by-restart
      fine:
        type: outcome
        result: resolved
      escalate:
        type: outcome
        result: escalated
"""

PASSING = """\
    scriptflow-scenarios: 1
    script: router
    scenarios:
      - name: red light fixed by a restart
        answers: {router_lights: red, restart_result: fixed}
        expect:
          outcome: resolved
          code: fixed-by-restart
          asked: [router_lights, restart_result]
          skipped: []
      - name: lights already known are not asked
        facts: {router_lights: green}
        expect:
          outcome: resolved
          asked: []
          skipped: [router_lights]
"""


def test_passing_scenarios_and_coverage(write_files: WriteFiles) -> None:
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": PASSING})
    result = run_cli("test", str(lib))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  router: red light fixed by a restart" in result.stdout
    assert result.stdout.rstrip().endswith("2 passed, 0 failed")
    # 6 nodes, 4 reached (lights, restart, fixed, fine); 7 edges, 2 taken (red, fixed)
    # plus green (the skipped question still routes): 3 of 7.
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    cover = data["coverage"]["scripts"]["router"]
    assert cover["nodes"]["total"] == 6
    assert cover["nodes"]["covered"] == 4
    assert sorted(cover["nodes"]["missed"]) == ["check", "escalate"]
    assert cover["branches"]["total"] == 7
    assert cover["branches"]["covered"] == 3
    assert {"node": "lights", "edge": "branch 'off'"} in cover["branches"]["missed"]
    assert {"node": "check", "edge": "otherwise"} in cover["branches"]["missed"]


def test_min_coverage_fails_the_run(write_files: WriteFiles) -> None:
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": PASSING})
    result = run_cli("test", str(lib), "--min-coverage", "90")
    assert result.returncode == 1
    assert "below --min-coverage 90%" in result.stdout


def test_failure_shows_the_path_and_first_difference(write_files: WriteFiles) -> None:
    failing = PASSING.replace("code: fixed-by-restart", "code: fixed-by-magic").replace(
        "asked: [router_lights, restart_result]", "asked: [router_lights, router_lights]")
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": failing})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    out = result.stdout
    assert f"FAIL  router: red light fixed by a restart  ({lib / 'router.scenarios.yaml'}:4)" \
        in out
    assert "line 8: code: expected 'fixed-by-magic', got 'fixed-by-restart'" in out
    assert "line 9: asked: first difference at position 2: expected 'router_lights', got " \
           "'restart_result'" in out
    assert "1. router:lights  asks router_lights" in out
    assert "router:restart  forgets router_lights" in out
    assert out.rstrip().endswith("1 passed, 1 failed")


def test_answer_never_asked_and_bad_option_are_scenario_errors(write_files: WriteFiles) -> None:
    scenarios = """\
        scriptflow-scenarios: 1
        script: router
        scenarios:
          - name: extra answer
            answers: {router_lights: green, restart_result: fixed}
          - name: bad value
            answers: {router_lights: purple}
    """
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": scenarios})
    out = run_cli("test", str(lib)).stdout
    path = lib / "router.scenarios.yaml"
    assert (f"error: {path}:5:37: scenario 'extra answer': the answer for 'restart_result' is "
            "never asked for") in out
    assert f"error: {path}:7:30: scenario 'bad value':" in out
    assert "purple" in out


def test_unanswered_question_fails_clearly(write_files: WriteFiles) -> None:
    scenarios = """\
        scriptflow-scenarios: 1
        script: router
        scenarios:
          - name: no answers
            expect: {outcome: resolved}
    """
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": scenarios})
    out = run_cli("test", str(lib)).stdout
    assert "router:lights asks 'router_lights' but the scenario gives no answer for it" in out
    assert "line 5: outcome: expected 'resolved', got 'unfinished'" in out


def test_bad_scenario_file_and_missing_path(write_files: WriteFiles) -> None:
    lib = write_files({"router.yaml": SCRIPT,
                       "router.scenarios.yaml": "scriptflow-scenarios: 1\nscript: nope\n"
                                                "scenarios: []\n"})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    assert "ERROR" in result.stdout
    assert run_cli("test", str(lib / "missing")).returncode == 2


def test_bundled_scripts_have_full_coverage() -> None:
    result = run_cli("test", "scripts/", "--min-coverage", "100")
    assert result.returncode == 0, result.stdout[-3000:]
