"""`scriptflow graph --coverage / --traffic / --format svg`: overlays on the pictures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from scriptflow import load_library
from scriptflow.cli.overlay import traffic_from_events
from scriptflow.stores import open_store

from .conftest import ROOT, SCRIPTS, WriteFiles, run_cli
from .small_library import LIBRARY

HELPED = """\
    scriptflow-scenarios: 1
    script: main
    scenarios:
      - name: helped by the helper
        answers: {pick: help, ok: "yes"}
"""
UNREACHED_FILL = 'fillcolor="#ffebee"'


def dot_lines(text: str) -> dict[str, str]:
    """``{'"a" -> "b"': line}`` for edges and ``{'"a"': line}`` for nodes."""
    found = {}
    for line in text.splitlines():
        match = re.match(r'\s*("[^"]+"(?: -> "[^"]+")?) \[', line)
        if match:
            found[match.group(1)] = line
    return found


def test_coverage_from_the_scenarios_beside_the_scripts(write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": HELPED})
    result = run_cli("graph", str(lib), "--coverage", "--format", "dot")
    assert result.returncode == 0, result.stderr
    lines = dot_lines(result.stdout)
    # reached: main ask, check, done; helper h, fine
    for reached in ("main:ask", "main:check", "main:done", "helper:h", "helper:fine"):
        assert UNREACHED_FILL not in lines[f'"{reached}"'], reached
    for missed in ("main:away", "main:bye", "helper:bad", "other:o", "other:big-end"):
        assert UNREACHED_FILL in lines[f'"{missed}"'], missed
    assert "dashed" not in lines['"main:ask" -> "main:check"']
    assert 'color="#c62828"' in lines['"main:ask" -> "main:away"']
    assert 'color="#c62828"' in lines['"main:away" -> "other:o"']  # the handoff
    assert 'color="#c62828"' not in lines['"main:check" -> "helper:h"']  # the call, taken
    assert 'color="#c62828"' in lines['"helper:h" -> "helper:bad"']
    assert 'label="coverage: dashed red = reached by no scenario"' in result.stdout


def test_coverage_in_mermaid_styles_the_right_links(write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": HELPED})
    out = run_cli("graph", str(lib), "--coverage").stdout
    links = [line.strip() for line in out.splitlines() if "-->" in line or "-.->" in line]
    styled = {int(n) for n in re.findall(r"linkStyle (\d+) stroke:#c62828", out)}
    missed = {i for i, line in enumerate(links)
              if line.startswith(("n_main__ask -->|\"other\"|", "n_main__ask -->|\"stop\"|",
                                  "n_main__away", "n_helper__h -->|\"no\"|",
                                  "n_main__check -->|\"*\"|", "n_other__"))}
    assert styled == missed
    assert "style n_main__bye fill:#ffebee" in out
    assert "style n_main__ask " not in out


def test_coverage_from_a_test_run_file(write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": HELPED})
    report = tmp_path / "coverage.json"
    report.write_text(run_cli("test", str(lib), "--format", "json").stdout)
    from_file = run_cli("graph", str(lib), "--coverage", str(report), "--format", "dot")
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == run_cli("graph", str(lib), "--coverage", "--format",
                                       "dot").stdout


def test_coverage_errors(write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files(LIBRARY)
    result = run_cli("graph", str(lib), "--coverage")
    assert result.returncode == 2
    assert "no *.scenarios.yaml under" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"summary": {}}')
    result = run_cli("graph", str(lib), "--coverage", str(bad))
    assert result.returncode == 2
    assert "is not the JSON of `scriptflow test --format json`" in result.stderr
    assert run_cli("graph", str(lib), "--coverage", str(tmp_path / "none.json")).returncode \
        == 2


def test_bundled_library_is_fully_covered_in_the_picture() -> None:
    out = run_cli("graph", "scripts/", "--coverage", "--format", "dot").stdout
    assert "digraph scriptflow" in out
    assert UNREACHED_FILL not in out and "#c62828" not in out


def _save_sessions(url: str) -> None:
    lib = load_library(SCRIPTS)
    with open_store(url) as store:
        for answers in (["alarm_panel", 1, "E214", "no", "passed"],
                        ["alarm_panel", 2, "E214", "40217733", "account_holder", "passed",
                         "AP55120Q03"]):
            session = lib.start("device-maintenance")
            for value in answers:
                session.answer(value)
            store.save(session)
        session = lib.start("device-maintenance")  # 1 attempt, then corrected to none
        for value in ["alarm_panel", 1]:
            session.answer(value)
        session.back()
        session.answer(0)
        store.save(session)


def test_traffic_from_a_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    _save_sessions(url)
    result = run_cli("graph", "scripts/", "--script", "device-maintenance", "--traffic", url,
                     "--format", "dot")
    assert result.returncode == 0, result.stderr
    lines = dot_lines(result.stdout)
    edge = '"device-maintenance:{}" -> "device-maintenance:{}"'.format
    assert 'label="3", penwidth=6.0' in lines[edge("device", "attempts")]
    assert 'label="otherwise (2)"' in lines[edge("attempts", "error-code")]
    # the corrected answer counts once, on the way it finally went
    assert 'label="maintenance_attempts == 0 (1)"' in lines[edge("attempts", "guided-run")]
    # through the decision, which leaves no event of its own
    assert 'label="2"' in lines[edge("error-code", "decide")]
    assert 'label="otherwise (1)"' in lines[edge("decide", "technician")]
    assert 'label="maintenance_attempts >= 2 (1)"' in lines[edge("decide", "verify")]
    assert '(0)", color="#9e9e9e"' in lines[edge("guided-run", "technician-visit")]
    assert "decide\\n2 visit(s)" in lines['"device-maintenance:decide"']
    assert "technician-visit\\nreferred · technician-visit\\nnot reached" in \
        lines['"device-maintenance:technician-visit"']
    assert 'label="traffic: 3 recorded session(s)"' in result.stdout
    mermaid = run_cli("graph", "scripts/", "--script", "device-maintenance", "--traffic",
                      url).stdout
    assert '-->|"otherwise (2)"|' in mermaid and "stroke-width:" in mermaid


def test_traffic_through_calls_and_handoffs() -> None:
    lib = load_library(SCRIPTS)
    session = lib.start("account-locked")
    for value in ["40217733", "account_holder", "passed", "unpaid_balance", "yes",
                  "one_off_fee", 12, "bill_credit"]:
        session.answer(value)
    events: list[dict[str, Any]] = [{**e.to_dict(), "session_id": "one", "seq": i}
                                    for i, e in enumerate(session.events)]
    traffic = traffic_from_events(lib.scripts, reversed(events))  # any order
    assert traffic.sessions == 1
    assert traffic.edges[("account-locked", "verify", "verify-caller", "account")] == 1
    # twice: billing-dispute calls verify-caller again, which walks it skipping everything
    assert traffic.edges[("verify-caller", "security", "verify-caller", "verified")] == 2
    assert traffic.edges[("account-locked", "verify", "account-locked", "lock-reason")] == 1
    assert traffic.edges[("account-locked", "to-billing", "billing-dispute", "verify")] == 1
    assert traffic.edges[("billing-dispute", "verify", "verify-caller", "account")] == 1
    assert traffic.nodes[("verify-caller", "account")] == 2
    assert traffic.edges[("billing-dispute", "amount", "billing-dispute",
                          "refund-method")] == 1


def test_traffic_errors(tmp_path: Path) -> None:
    missing = run_cli("graph", "scripts/", "--traffic", f"sqlite:///{tmp_path / 'no.db'}")
    assert missing.returncode == 2 and "no session store at" in missing.stderr
    bad = run_cli("graph", "scripts/", "--traffic", "bogus://x")
    assert bad.returncode == 2 and "unknown store scheme" in bad.stderr
    both = run_cli("graph", "scripts/", "--traffic", "memory://", "--coverage")
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_svg_with_dot(write_files: WriteFiles) -> None:
    lib = write_files({**LIBRARY, "main.scenarios.yaml": HELPED})
    result = run_cli("graph", str(lib), "--coverage", "--format", "svg")
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout and "</svg>" in result.stdout
    assert "#c62828" in result.stdout  # the overlay survives into the picture


def test_svg_without_dot_names_the_package(tmp_path: Path) -> None:
    out = tmp_path / "picture.svg"
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "scriptflow", "graph", "scripts/",
                             "--format", "svg", "-o", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "needs Graphviz's `dot` program, which is not on PATH" in result.stderr
    assert "apt-get install graphviz" in result.stderr
    assert not out.exists()
    assert "Traceback" not in result.stderr


def _look_alike_script(script_id: str, target: str) -> str:
    # Node ids b-c, b_c and b.c read alike once Mermaid's id characters are applied,
    # and so do b_c_1 (a real id) and the suffix the first look-alike could get.
    return f"""\
        scriptflow: 1
        id: {script_id}
        title: Look-alikes
        start: b-c
        facts:
          ok:
            type: boolean
        nodes:
          b-c:
            type: question
            prompt: OK?
            fact: ok
            branches:
              yes: b_c
              no: b.c
          b_c:
            type: outcome
            result: resolved
          b.c:
            type: handoff
            script: {target}
          b_c_1:  # scriptflow: ignore[SF301]
            type: outcome
            result: escalated
    """


def test_mermaid_ids_are_unique_when_node_and_script_ids_look_alike(
        write_files: WriteFiles) -> None:
    lib = write_files({"a.yaml": _look_alike_script("a-b", "a_b"),
                       "b.yaml": _look_alike_script("a_b", "a-b")})
    result = run_cli("graph", str(lib))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out == run_cli("graph", str(lib)).stdout  # the same ids every time
    # Every node and subgraph declared once under its own id: id -> "script:node".
    names: dict[str, str] = {}
    script = ""
    for line in out.splitlines():
        if match := re.match(r'\s*subgraph (\w+)\["([^"]+)"\]', line):
            script = match.group(2)
            assert match.group(1) not in names, line
            names[match.group(1)] = script
        elif match := re.match(r'\s+(\w+)\W+"([^"<]+)<br/>', line):
            assert match.group(1) not in names, line
            names[match.group(1)] = f"{script}:{match.group(2)}"
    assert len(names) == 2 + 2 * 4
    edges = {(names[a], names[b]) for a, b in re.findall(r"^\s+(\w+) -\.?->\S* (\w+)$", out,
                                                          re.M)}
    # The DOT picture quotes ids, so it is the reference for which edges exist.
    dot = run_cli("graph", str(lib), "--format", "dot").stdout
    assert edges == set(re.findall(r'"([^"]+)" -> "([^"]+)"', dot))
    assert ("a-b:b-c", "a-b:b.c") in edges and ("a-b:b.c", "a_b:b-c") in edges


def test_mermaid_ids_stay_readable_without_look_alikes(write_files: WriteFiles) -> None:
    text = _look_alike_script("a-b", "a-b").replace("b_c_1:", "e:").replace("b_c", "fine")
    lib = write_files({"a.yaml": text.replace("b.c", "b.d")})
    out = run_cli("graph", str(lib)).stdout
    for readable in ("n_a_b__b_c{{", "n_a_b__fine([", "n_a_b__b_d>", "n_a_b__e(["):
        assert readable in out
