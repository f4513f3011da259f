"""``scriptflow simulate``: seeded, plausible sessions in a real store, that reports read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scriptflow.reports import make_report
from scriptflow.reports.simulate import Plan, clock_for, parse_weights, simulate
from scriptflow.stores import open_store
from tests.conftest import SCRIPTS, run_cli
from tests.engine.conftest import MakeLib, helpdesk


def sim(tmp_path: Path, name: str, *extra: str) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / name}"
    out = run_cli("simulate", "internet-down", "--sessions", "40", "--store", url,
                  "--library", str(SCRIPTS), *extra)
    assert out.returncode == 0, out.stderr
    found = re.search(r"(\d+) sessions .*: (\d+) finished, (\d+) left unfinished, "
                      r"(\d+) events", out.stdout)
    assert found, out.stdout
    sessions, finished, left, events = map(int, found.groups())
    return url, {"sessions": sessions, "finished": finished, "left": left, "events": events}


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """What depends on the answers alone (not on the wall clock the run started at)."""
    net = report["scripts"]["internet-down"]
    return {"codes": report["codes"], "paths": report["paths"],
            "handoffs": report["handoffs"], "spared": report["spared"],
            "funnel": [{k: v for k, v in r.items() if k != "abandoned"}
                       for r in net["funnel"]],
            "answers": [{k: v for k, v in a.items() if k != "weekly"}
                        for a in net["answers"]]}


def test_simulated_sessions_are_reported(tmp_path: Path) -> None:
    url, counts = sim(tmp_path, "a.db", "--seed", "7")
    assert counts["sessions"] == 40 == counts["finished"] + counts["left"]
    data = make_report(url)
    assert data["summary"]["sessions"] == 40
    assert data["summary"]["events"] == counts["events"]
    assert data["summary"]["finished"] == counts["finished"]
    assert data["outcomes"]["abandoned"] + data["outcomes"]["in_progress"] == counts["left"]
    assert data["scripts"]["internet-down"]["funnel"][0]["reached"] == 40


def test_the_same_seed_plays_the_same_sessions(tmp_path: Path) -> None:
    first, _ = sim(tmp_path, "a.db", "--seed", "7")
    again, _ = sim(tmp_path, "b.db", "--seed", "7")
    other, _ = sim(tmp_path, "c.db", "--seed", "8")
    assert figures(make_report(first)) == figures(make_report(again))
    assert figures(make_report(first)) != figures(make_report(other))


def test_answer_weights_shape_the_answers(tmp_path: Path) -> None:
    weights = tmp_path / "weights.yaml"
    weights.write_text("outage_in_area: {no: 1, yes: 0}\n"
                       "router_lights: [internet_red]\n", encoding="utf-8")
    url, _ = sim(tmp_path, "w.db", "--answers-weights", str(weights), "--leave", "0")
    answers = {a["node"]: a for a in make_report(url)["scripts"]["internet-down"]["answers"]}
    assert [(v["value"], v["count"]) for v in answers["outage-check"]["values"]] == [
        ("no", 40)]
    assert answers["lights"]["values"][0]["value"] == "internet_red"
    assert answers["lights"]["values"][0]["share"] == 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("outage_in_aera: {no: 1}\n", "no script of the library declares"),
    ("router_lights: {purple: 1}\n", "router_lights"),
    ("router_lights: {all_green: -1}\n", "must be a number >= 0"),
    ("- just a list\n", "must be a mapping"),
])
def test_bad_weights_are_named(tmp_path: Path, text: str, message: str) -> None:
    weights = tmp_path / "weights.yaml"
    weights.write_text(text, encoding="utf-8")
    out = run_cli("simulate", "internet-down", "--sessions", "1", "--store",
                  f"sqlite:///{tmp_path / 'x.db'}", "--library", str(SCRIPTS),
                  "--answers-weights", str(weights))
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert not (tmp_path / "x.db").exists()  # nothing written on bad input


def test_unknown_script(tmp_path: Path) -> None:
    out = run_cli("simulate", "internet-dwn", "--sessions", "1", "--store",
                  f"sqlite:///{tmp_path / 'x.db'}", "--library", str(SCRIPTS))
    assert out.returncode == 2 and "internet-down" in out.stderr


def test_customers_who_never_leave_all_finish(make_lib: MakeLib, tmp_path: Path) -> None:
    library = make_lib(*helpdesk())
    plan = Plan(sessions=25, seed=1, leave=0.0, back=0.2, note=0.0,
                weights=parse_weights({"outage": {"no": 1}}, library))
    clock = clock_for(plan)
    with open_store(f"sqlite:///{tmp_path / 's.db'}", clock=clock) as store:
        counts = simulate(library, "net", store, plan, clock)
    assert counts == {"sessions": 25, "finished": 25, "left": 0,
                      "events": counts["events"]}
    data = make_report(tmp_path / "s.db")
    assert data["outcomes"]["total"] == 25 and data["outcomes"]["unresolved"] == 0
    assert data["summary"]["asked_twice"] == 0
    # back() was used: some answers were undone, and they are not in the shares
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        undone = sum(1 for e in store.events() if e["type"] == "undone")
    assert undone > 0
    outage = data["scripts"]["net"]["answers"][0]
    assert outage["total"] == 25


def test_customers_who_always_leave(make_lib: MakeLib, tmp_path: Path) -> None:
    library = make_lib(*helpdesk())
    plan = Plan(sessions=5, seed=2, leave=1.0, days=1)
    clock = clock_for(plan)
    with open_store(f"sqlite:///{tmp_path / 's.db'}", clock=clock) as store:
        assert simulate(library, "net", store, plan, clock)["left"] == 5
    data = make_report(tmp_path / "s.db")
    assert data["outcomes"]["abandoned"] == 5
    assert json.dumps(data)  # still JSON-safe with nothing answered


def test_repeat_callers_are_spared_what_they_said(tmp_path: Path) -> None:
    url, _ = sim(tmp_path, "r.db", "--customers", "5", "--leave", "0", "--seed", "4")
    data = make_report(url)
    spared = data["spared"]
    # 40 contacts from 5 customers: later contacts skip what earlier ones answered
    # (within each fact's ttl; the contacts are spread over four weeks).
    assert spared["total"] > 0 and spared["by_source"].get("customer", 0) > 0
    assert data["summary"]["asked_twice"] == 0
    anonymous, _ = sim(tmp_path, "a.db", "--leave", "0", "--seed", "4")
    assert make_report(anonymous)["spared"]["total"] < spared["total"]
