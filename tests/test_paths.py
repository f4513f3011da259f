"""`scriptflow paths`: path enumeration (counts hand-counted), customer effort, --fact, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from scriptflow import Library, load_library
from scriptflow.analysis.effort import effort_by_outcome, skipped_questions
from scriptflow.analysis.paths import Path as FlowPath
from scriptflow.analysis.paths import enumerate_paths
from scriptflow.engine import ManualClock
from scriptflow.engine.answers import check
from scriptflow.engine.flow import fact_decl
from scriptflow.testing.runner import find_scenario_files
from scriptflow.testing.scenario_file import read_scenario_file

from .conftest import SCRIPTS, WriteFiles, dedent, run_cli
from .engine.test_stateful import good_value, libraries
from .small_library import LIBRARY, RETRY


@pytest.fixture
def small(write_files: WriteFiles) -> Path:
    return write_files({**LIBRARY, "retry.yaml": RETRY})


@pytest.fixture(scope="module")
def bundled() -> Library:
    return load_library(SCRIPTS)


def nodes_of(path: FlowPath) -> list[tuple[str, str]]:
    return [(s.script, s.node) for s in path.steps]


def test_path_counts_with_calls_handoffs_and_a_loop(small: Path) -> None:
    lib = load_library(small)
    # main: help -> helper yes (done) / no (escalated -> "*" -> bye); other -> other's
    # 3 paths (red: big / small by the size route, blue); stop -> bye.
    assert len(enumerate_paths(lib, "main").paths) == 2 + 3 + 1
    assert len(enumerate_paths(lib, "helper").paths) == 2
    # retry: ok, give_up, again -> wait -> no; again -> wait -> yes comes back: cut.
    retry = enumerate_paths(lib, "retry")
    assert len(retry.paths) == 3 and retry.loops_cut == 1
    assert sorted(p.questions for p in retry.paths) == [1, 1, 2]
    main = enumerate_paths(lib, "main")
    kinds = [s.kind for s in main.paths[0].steps]
    assert kinds == ["question", "call", "question", "return", "outcome"]
    assert main.paths[0].steps[1].detail == "helper:h"


def test_bundled_path_counts_hand_counted(bundled: Library) -> None:
    # verify-caller: holder/authorised share every way on: passed; failed + matched;
    # failed + wrong code/no mobile; refused; someone else: 5.
    verify = enumerate_paths(bundled, "verify-caller")
    assert len(verify.paths) == 5
    # billing-dispute: verify resolves on 2 of those paths, each then: price rise
    # (notified, or not -> note), equipment (returned -> 2 refund methods, or not), small
    # fee (2 refund methods), anything else (note): 2 + 3 + 2 + 1 = 8; the other 3 verify
    # paths end at cannot-discuss. 2 * 8 + 3 = 19.
    billing = enumerate_paths(bundled, "billing-dispute")
    assert len(billing.paths) == 19
    # The amount's routes read the charge type asked before with `next`: the path splits
    # by it, so no price-rise path reaches the refund that small fees get.
    for path in billing.paths:
        charge = next((s.detail for s in path.steps if s.fact == "charge_type"), None)
        if charge == "price_rise":
            assert path.node in ("price-rise-explained", "billing-review")
        if path.node in ("refund-credit", "refund-card"):
            assert charge in ("equipment_charge", "one_off_fee|call_charges")


def test_effort_per_outcome_hand_counted(bundled: Library) -> None:
    rows = {r.node: r.effort for r in effort_by_outcome(enumerate_paths(bundled,
                                                                          "verify-caller").paths)}
    # verified: account, role, security (3) or + sms code (4)
    assert (rows["verified"].paths, rows["verified"].least, rows["verified"].median,
            rows["verified"].most) == (2, 3, 3.5, 4)
    assert (rows["failed"].least, rows["failed"].most) == (4, 4)
    assert (rows["not-authorised"].least, rows["not-authorised"].most) == (2, 2)
    assert (rows["declined"].least, rows["declined"].most) == (3, 3)


def test_known_facts_skip_questions_and_prune_paths(small: Path) -> None:
    lib = load_library(small)
    found = enumerate_paths(lib, "main", {"pick": "other"})
    assert len(found.paths) == 3
    assert all(p.steps[0].kind == "skipped" for p in found.paths)
    assert sorted(p.questions for p in found.paths) == [1, 2, 2]  # blue; red + size
    small_only = enumerate_paths(lib, "main", {"pick": "other", "size": 3})
    assert [p.node for p in small_only.paths] == ["small-end", "blue-end"]
    assert [p.questions for p in small_only.paths] == [1, 1]
    skips = skipped_questions(small_only.paths)
    assert [(s.fact, s.node, s.paths) for s in skips] == [("pick", "ask", 2),
                                                         ("size", "measure", 1)]


def test_confirm_forks_into_kept_and_asked_again(write_files: WriteFiles) -> None:
    folder = write_files({"c.yaml": """\
        scriptflow: 1
        id: c
        start: where
        facts:
          place:
            type: choice
            options: [home, away]
            reask: confirm
        nodes:
          where:
            type: question
            prompt: Where are you?
            fact: place
            branches:
              home: at-home
              away: not-home
          at-home:
            type: outcome
            result: resolved
          not-home:
            type: outcome
            result: referred
    """})
    found = enumerate_paths(load_library(folder), "c", {"place": "home"})
    # yes keeps home (1 answer); no asks afresh: home or away (2 answers each)
    assert [(p.node, p.questions, p.steps[0].detail) for p in found.paths] == [
        ("at-home", 1, "home"), ("at-home", 2, "no, asked again: home"),
        ("not-home", 2, "no, asked again: away")]


def test_max_paths_truncates(bundled: Library) -> None:
    found = enumerate_paths(bundled, "slow-speed", max_paths=10)
    assert len(found.paths) == 10 and found.truncated
    assert not enumerate_paths(bundled, "verify-caller", max_paths=5).truncated
    bounded = enumerate_paths(bundled, "slow-speed", max_visits=40)
    assert bounded.truncated
    assert len(bounded.paths) < len(enumerate_paths(bundled, "slow-speed").paths)


# -- the enumeration agrees with the engine ---------------------------------------------

def trail_nodes(lib: Library, trail: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The nodes a session passed, as a path lists them: a call node once (on the way in;
    the trail records it again for the way back)."""
    return [(sid, nid) for sid, nid, label in trail
            if not (lib.scripts[sid].nodes[nid].type == "call" and label != "call")]


def test_every_bundled_scenario_walks_an_enumerated_path(bundled: Library) -> None:
    from scriptflow.testing.runner import run_scenario

    checked = 0
    for name in find_scenario_files([SCRIPTS]):
        for scenario in read_scenario_file(name).scenarios:
            result = run_scenario(bundled, scenario)
            assert result.passed, scenario.name
            known = {k: check(fact_decl(bundled, scenario.script, k), v)  # type: ignore[arg-type]
                     for k, v in scenario.facts.items()}
            found = enumerate_paths(bundled, scenario.script, known, max_paths=5000)
            assert not found.truncated
            walked = trail_nodes(bundled, result.trail)
            assert walked in [nodes_of(p) for p in found.paths], scenario.name
            checked += 1
    assert checked >= 80


def _play(lib: Library, sid: str, data: st.DataObject, specs: list[dict[str, Any]]
          ) -> list[tuple[str, str]] | None:
    facts = {k: v for s in specs for k, v in s["facts"].items()}
    try:
        session = lib.start(sid, clock=ManualClock(0.0), trace=True)
        for _ in range(60):
            prompt = session.prompt
            if prompt is None:
                break
            if prompt.kind == "confirm":
                session.answer(data.draw(st.sampled_from(["yes", "no"])))
            else:
                session.answer(good_value(data.draw, facts[prompt.fact]))
    except Exception as exc:  # the engine's loop guard and call depth: not paths
        event(f"session stopped: {type(exc).__name__}")
        return None
    if not session.finished:
        return None
    return trail_nodes(lib, session.trail)


@settings(max_examples=60)
@given(specs=libraries(), data=st.data())
def test_random_sessions_walk_enumerated_paths(tmp_path_factory: pytest.TempPathFactory,
                                               specs: list[dict[str, Any]],
                                               data: st.DataObject) -> None:
    import yaml

    folder = tmp_path_factory.mktemp("lib")
    for spec in specs:
        (folder / f"{spec['id']}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    lib = load_library(folder)
    walked = _play(lib, specs[0]["id"], data, specs)
    if walked is None or len(set(walked)) < len(walked):
        event("session passed a node twice (a loop, which paths cut) or did not end")
        return
    found = enumerate_paths(lib, specs[0]["id"], max_paths=20000)
    if found.truncated:
        event("too many paths")
        return
    event("checked")
    assert walked in [nodes_of(p) for p in found.paths]


# -- the command ------------------------------------------------------------------------

def test_cli_text_and_json(small: Path) -> None:
    result = run_cli("paths", "main", "--library", str(small))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("main: 6 path(s) to 5 outcome(s)\n")
    assert "  main:done" in out and "resolved" in out
    assert "pick=help → call helper:h → ok=yes" in out
    assert "pick=other → ⇒ other:o → colour=red → size=any (size >= 10)" in out
    data = json.loads(run_cli("paths", str(small / "main.yaml"), "--format", "json").stdout)
    assert data["script"] == "main" and data["total"]["paths"] == 6
    by_node = {o["node"]: o for o in data["outcomes"]}
    assert by_node["bye"]["answers"] == {"paths": 2, "min": 1, "median": 1.5, "max": 2}
    assert by_node["big-end"]["answers"]["max"] == 3
    assert data["paths"][0]["steps"][0] == {"script": "main", "node": "ask",
                                            "kind": "question", "fact": "pick",
                                            "detail": "help", }
    assert data["loops_cut"] == 0 and data["truncated"] is False


def test_cli_facts_show_skipped_questions_and_the_saving(small: Path) -> None:
    result = run_cli("paths", "main", "--library", str(small), "--fact", "pick=other",
                     "--fact", "colour=red")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "given: pick=other, colour=red" in out
    assert "colour at other:o: on 2 of 2 path(s)  (given)" in out
    assert "without the facts" in out
    data = json.loads(run_cli("paths", "main", "--library", str(small), "--fact",
                              "pick=other", "--fact", "colour=red", "--format",
                              "json").stdout)
    big = next(o for o in data["outcomes"] if o["node"] == "big-end")
    assert big["answers"]["max"] == 1 and big["without_facts"]["max"] == 3
    assert {s["fact"] for s in data["skipped"] if s["given"]} == {"pick", "colour"}


def test_cli_masks_sensitive_given_facts() -> None:
    result = run_cli("paths", "verify-caller", "--library", "scripts/", "--fact",
                     "account_id=40217733")
    assert result.returncode == 0, result.stderr
    assert "given: account_id=••••7733" in result.stdout
    assert "40217733" not in result.stdout


def test_cli_usage_errors(small: Path) -> None:
    cases = {
        ("paths", "nope", "--library", str(small)): "no script 'nope'",
        ("paths", "main", "--library", str(small), "--fact", "colur=red"):
            "did you mean 'colour'?",
        ("paths", "main", "--library", str(small), "--fact", "colour=green"):
            "'green' is not a valid answer for 'colour'",
        ("paths", "main", "--library", str(small), "--fact", "colour"): "expected KEY=VALUE",
        ("paths", "main", "--library", str(small / "missing")): "no such file or folder",
        ("paths", "main", "--library", str(small), "--max-paths", "0"): "at least 1",
    }
    for args, message in cases.items():
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert message in result.stderr, (args, result.stderr)


def test_cli_max_paths_warns(small: Path) -> None:
    result = run_cli("paths", "main", "--library", str(small), "--max-paths", "2")
    assert result.returncode == 0
    assert result.stdout.startswith("main: 2 path(s)")
    assert "stopped after 2 paths; there are more" in result.stderr


def test_cli_broken_library_exits_1(write_files: WriteFiles) -> None:
    folder = write_files({"bad.yaml": dedent("""\
        scriptflow: 1
        id: bad
        start: nowhere
        nodes: {}
    """)})
    result = run_cli("paths", "bad", "--library", str(folder))
    assert result.returncode == 1
    assert "scriptflow:" in result.stderr


def test_a_script_may_call_itself_but_recursion_is_cut(write_files: WriteFiles) -> None:
    folder = write_files({"self.yaml": """\
        scriptflow: 1
        id: self
        start: again
        facts:
          fine:
            type: boolean
        nodes:
          again:
            type: call
            script: self
            node: ask
            next: done
          ask:
            type: question
            prompt: Fine?
            fact: fine
            branches:
              yes: done
              no: deeper
          deeper:
            type: call
            script: self
            next: done
          done:
            type: outcome
            result: resolved
    """})
    found = enumerate_paths(load_library(folder), "self")
    # again calls ask: yes returns, then done; no -> deeper calls self from the start,
    # where `again` is a call already running below: cut.
    assert [[s.kind for s in p.steps] for p in found.paths] == [
        ["call", "question", "return", "outcome"]]
    assert found.loops_cut == 1
