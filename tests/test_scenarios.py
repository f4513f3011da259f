"""`scriptflow test`: scenario files, failures with the path taken, and coverage."""

from __future__ import annotations

import json

from .conftest import WriteFiles, run_cli
from .small_library import LIBRARY, RETRY

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
    missed = cover["branches"]["missed"]
    assert {"node": "lights", "edge": "branch 'off'", "label": "branch:off"} in missed
    assert {"node": "check", "edge": "otherwise", "label": "route:1"} in missed


def test_min_coverage_fails_the_run(write_files: WriteFiles) -> None:
    lib = write_files({"router.yaml": SCRIPT, "router.scenarios.yaml": PASSING})
    result = run_cli("test", str(lib), "--min-coverage", "90")
    assert result.returncode == 1
    assert "below --min-coverage 90%" in result.stdout
    result = run_cli("test", str(lib), "--min-coverage", "50", "--format", "json")
    assert result.returncode == 1  # branches: 3 of 7
    summary = json.loads(result.stdout)["summary"]
    assert summary["below_min_coverage"] is True and summary["min_coverage"] == 50
    assert run_cli("test", str(lib), "--min-coverage", "40").returncode == 0


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


# -- coverage through calls and handoffs, hand-counted on tests/small_library.py --------

THROUGH = """\
    scriptflow-scenarios: 1
    script: main
    scenarios:
      - name: helped by the helper
        answers: {pick: help, ok: "yes"}
        expect: {outcome: resolved, code: helped, calls: [helper], script: main}
"""


def test_coverage_counts_calls_and_handoffs(write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "retry.yaml": RETRY, "main.scenarios.yaml": THROUGH})
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    cover = data["coverage"]["scripts"]
    # measured over every script of the library, retry (which nothing reaches) too
    assert sorted(cover) == ["helper", "main", "other", "retry"]
    # main: ask, check, done reached of 5 nodes; ask:help and check:resolved of 6 ways out
    # (3 branches, 2 call results, 1 handoff).
    assert (cover["main"]["nodes"]["covered"], cover["main"]["nodes"]["total"]) == (3, 5)
    assert (cover["main"]["branches"]["covered"], cover["main"]["branches"]["total"]) == (2, 6)
    # helper, reached only through the call: h and fine of 3; yes of 2.
    assert (cover["helper"]["nodes"]["covered"], cover["helper"]["nodes"]["total"]) == (2, 3)
    assert cover["helper"]["branches"]["missed"] == [
        {"node": "h", "edge": "branch 'no'", "label": "branch:no"}]
    assert cover["other"]["nodes"]["covered"] == 0
    assert (cover["retry"]["nodes"]["covered"], cover["retry"]["nodes"]["total"]) == (0, 4)
    # 5 of 17 nodes, 3 of 17 ways out (other has 2 branches and 2 routes, retry 5 branches)
    assert data["coverage"]["total"] == {"nodes": round(100 * 5 / 17, 1),
                                         "branches": round(100 * 3 / 17, 1)}

    handoff = THROUGH + """\
      - name: handed to other, a big one
        answers: {pick: other, colour: red, size: 12}
        expect: {outcome: escalated, code: big, handoffs: [other], script: other}
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": handoff}, folder="lib2")
    data = json.loads(run_cli("test", str(lib), "--format", "json").stdout)
    assert (data["summary"]["passed"], data["summary"]["failed"]) == (2, 0)
    cover = data["coverage"]["scripts"]
    assert cover["main"]["nodes"]["missed"] == ["bye"]
    assert cover["main"]["branches"]["covered"] == 4  # + ask:other, away:handoff
    assert cover["other"]["nodes"]["missed"] == ["small-end", "blue-end"]
    assert cover["other"]["branches"]["missed"] == [
        {"node": "o", "edge": "branch 'blue'", "label": "branch:blue"},
        {"node": "measure", "edge": "otherwise", "label": "route:1"}]
    # main 4 (ask, check, away, done), helper 2, other 3 (o, measure, big-end): 9 of 13
    assert data["coverage"]["total"]["nodes"] == round(100 * 9 / 13, 1)


def test_an_unfinished_scenario_still_reaches_the_node_it_stops_at(
        write_files: WriteFiles) -> None:
    stops = """\
        scriptflow-scenarios: 1
        script: main
        scenarios:
          - name: no colour given
            answers: {pick: other}
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": stops})
    result = run_cli("test", str(lib), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["scenarios"][0]["failures"] == [
        "other:o asks 'colour' but the scenario gives no answer for it"]
    assert data["coverage"]["scripts"]["other"]["nodes"]["covered"] == 1


def test_scenario_mistakes_are_reported_at_their_line(write_files: WriteFiles) -> None:
    scenarios = """\
        scriptflow-scenarios: 1
        script: main
        scenarios:
          - name: too many answers
            answers: {pick: [other, help], colour: blue}
          - name: confirm never asked
            answers: {pick: stop}
            confirm: {pick: "no"}
          - name: typo in a fact
            answers: {pick: stop, colur: red}
          - name: answers for a script that does not exist
            answers: {pick: stop}
            answers_by_script:
              helpr: {ok: "yes"}
          - name: bad intake fact
            facts:
              pick: maybe
            expect: {outcome: resolved}
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": scenarios})
    result = run_cli("test", str(lib))
    assert result.returncode == 1
    out = result.stdout
    path = lib / "main.scenarios.yaml"
    assert (f"error: {path}:5:29: scenario 'too many answers': the 2nd answer for 'pick' is "
            "never asked for: it was asked 1 time(s), 2 answers are given") in out
    assert (f"error: {path}:8:15: scenario 'confirm never asked': no confirmation of 'pick' "
            "is ever asked for") in out
    assert (f"error: {path}:10:27: scenario 'typo in a fact': the answer for 'colur' is never "
            "asked for (no fact 'colur' in the library; did you mean 'colour'?)") in out
    assert (f"error: {path}:14:7: scenario 'answers for a script that does not exist': "
            "answers_by_script names 'helpr', which is not in the library; did you mean "
            "'helper'?") in out
    assert f"error: {path}:17:13: scenario 'bad intake fact': facts:" in out
    # A bad value stops the scenario; its expectations are not compared as well.
    assert "expected 'resolved'" not in out
    assert out.rstrip().endswith("0 passed, 5 failed")


def test_a_bad_answer_stops_without_repeating_the_error_as_differences(
        write_files: WriteFiles) -> None:
    scenarios = """\
        scriptflow-scenarios: 1
        script: main
        scenarios:
          - name: not an option
            answers: {pick: help, ok: perhaps}
            expect: {outcome: resolved, asked: [pick, ok]}
    """
    lib = write_files({**LIBRARY, "main.scenarios.yaml": scenarios})
    out = run_cli("test", str(lib)).stdout
    assert f"error: {lib / 'main.scenarios.yaml'}:5:31: scenario 'not an option':" in out
    assert "perhaps" in out
    assert "first difference" not in out
    assert "2. main:ask  answered 'help'" in out
    assert "3. main:check  calls helper:h" in out
