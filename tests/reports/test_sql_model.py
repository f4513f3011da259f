"""The report's SQL against a plain Python reading of the same events.

Random small stores (any mix of event types, undos, returns from calls, repeated visits,
sessions cut short) are written straight into the store's SQLite schema; every figure
the SQL computes with rowid arithmetic and integer node numbers is recomputed here the
obvious way, session by session, and must come out the same.
"""

from __future__ import annotations

import json
import math
import sqlite3
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptflow.reports import ReportOptions, figures, make_report, parallel
from scriptflow.reports.answers import OTHER, _decode
from scriptflow.stores.sqlite import SCHEMA

T0 = 1_700_000_000.0  # a Tuesday
DAY = 86_400.0
SCRIPTS = ("net", "wifi")
NODES = ("a", "b", "c")
FACTS = ("f1", "f2")
VALUES = ('"x"', '"y"', "true", "false", "3")
REACH = {"asked", "skipped", "handoff", "called", "outcome", "returned"}
TYPES = ("asked", "asked", "asked", "answered", "answered", "answered", "skipped",
         "confirmed", "invalidated", "handoff", "called", "returned", "note", "outcome",
         "undone")

Event = dict[str, Any]


@st.composite
def events_of_a_session(draw: st.DrawFn, start: float) -> list[Event]:
    out: list[Event] = []
    at = start
    for seq in range(draw(st.integers(0, 12))):
        at += draw(st.sampled_from((0.5, 3.0, 40.0, 2 * DAY)))
        kind = draw(st.sampled_from(TYPES))
        event: Event = {"type": kind, "at": at, "script": draw(st.sampled_from(SCRIPTS)),
                        "node": draw(st.sampled_from(NODES)), "fact": None, "value": None,
                        "detail": None, "data": None}
        if kind in ("asked", "answered", "skipped", "confirmed", "invalidated"):
            event["fact"] = draw(st.sampled_from(FACTS))
        if kind in ("answered", "confirmed"):  # a confirmation holds the value confirmed
            event["value"] = draw(st.sampled_from(VALUES))
        if kind == "asked" and draw(st.booleans()):
            event["data"] = {"kind": draw(st.sampled_from(("question", "confirm")))}
        if kind == "skipped":
            event["data"] = {"source": draw(st.sampled_from(("intake", "customer", None)))}
        if kind in ("handoff", "called", "returned"):
            event["data"] = {"to_script": draw(st.sampled_from(SCRIPTS)),
                             "to_node": draw(st.sampled_from(NODES))}
        if kind == "undone":
            event.update(script=None, node=None, data={"from": draw(st.integers(0, seq))})
        if kind == "note":
            event["detail"] = "a note"
        out.append(event)
    return out


@st.composite
def stores(draw: st.DrawFn) -> list[dict[str, Any]]:
    sessions = []
    for i in range(draw(st.integers(1, 8))):
        start = T0 + draw(st.integers(0, 20)) * DAY
        events = draw(events_of_a_session(start))
        status = draw(st.sampled_from(("finished", "active")))
        sessions.append({
            "id": f"s{i}", "script": draw(st.sampled_from(SCRIPTS)),
            "current_script": draw(st.sampled_from(SCRIPTS)),
            "node": draw(st.sampled_from(NODES)), "status": status,
            "result": draw(st.sampled_from(("resolved", "escalated", None)))
            if status == "finished" else None,
            "code": draw(st.sampled_from(("c1", "c2", None))), "started_at": start,
            "updated_at": events[-1]["at"] if events else start, "events": events})
    return sessions


def write(path: Path, sessions: list[dict[str, Any]]) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO meta VALUES ('schema', '1')")
    for s in sessions:
        db.execute("INSERT INTO sessions VALUES (?,1,?,?,?,?,?,?,NULL,?,?,'{}')",
                   (s["id"], s["script"], s["current_script"], s["node"], s["status"],
                    s["result"], s["code"], s["started_at"], s["updated_at"]))
        for seq, e in enumerate(s["events"]):
            db.execute("INSERT INTO events VALUES (?,?,?,?,'system',?,?,?,?,?,?)",
                       (s["id"], seq, e["type"], e["at"], e["script"], e["node"], e["fact"],
                        e["value"], e["detail"],
                        None if e["data"] is None else json.dumps(e["data"])))
    db.commit()
    db.close()


# -- the model ---------------------------------------------------------------------------

def kept(events: list[Event]) -> list[bool]:
    keep = [True] * len(events)
    for hi, e in enumerate(events):
        if e["type"] == "undone":
            for i in range(e["data"]["from"], hi):
                keep[i] = False
    return keep


def outcome(s: dict[str, Any], cutoff: float) -> str:
    if s["status"] == "finished":
        return str(s["result"] or "unresolved")
    return "abandoned" if s["updated_at"] < cutoff else "in_progress"


def quantile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    lo = math.floor(h)
    high = ordered[lo + 1] if lo + 1 < len(ordered) else ordered[lo]
    return round(ordered[lo] + (high - ordered[lo]) * (h - lo), 3)


def model_funnel(scope: list[dict[str, Any]], cutoff: float) -> dict[tuple[str, str], Any]:
    sets: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: {"reached": set(), "asked": set(), "answered": set(), "skipped": set()})
    facts: dict[tuple[str, str], list[str]] = defaultdict(list)
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in scope:
        events, keep = s["events"], kept(s["events"])
        for i, e in enumerate(events):
            where = (e["script"], e["node"])
            counted = REACH | {"answered", "confirmed"}
            if e["node"] is None or e["type"] not in counted:
                continue
            row = sets[where]
            if e["fact"] is not None:
                facts[where].append(e["fact"])
            if e["type"] in REACH:
                row["reached"].add(s["id"])
            if e["type"] == "asked":
                row["asked"].add(s["id"])
                if i + 1 < len(events):
                    times[where].append(events[i + 1]["at"] - e["at"])
            if e["type"] == "skipped":
                row["skipped"].add(s["id"])
            if e["type"] in ("answered", "confirmed") and keep[i]:
                row["answered"].add(s["id"])
    out: dict[tuple[str, str], Any] = {}
    for where, row in sets.items():
        waits = times.get(where, [])
        out[where] = {"fact": max(facts[where], default=None),
                      **{k: len(v) for k, v in row.items()}, "abandoned": 0,
                      "timed": len(waits),
                      "time_median": quantile(waits, 0.5) if waits else None,
                      "time_p90": quantile(waits, 0.9) if waits else None}
    for s in scope:
        if outcome(s, cutoff) == "abandoned":
            row = out.setdefault((s["current_script"], s["node"]), {
                "fact": None, "reached": 0, "asked": 0, "answered": 0, "skipped": 0,
                "abandoned": 0, "timed": 0, "time_median": None, "time_p90": None})
            row["abandoned"] += 1
    return out


def model_answers(scope: list[dict[str, Any]], top: int) -> dict[tuple[str, str], Any]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    confirmed: Counter[tuple[str, str]] = Counter()
    weekly: dict[tuple[str, str], dict[str, Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter))
    for s in scope:
        for e, keep in zip(s["events"], kept(s["events"]), strict=True):
            # A kept "still true?" confirmation counts as an answer of the value it
            # confirmed, as the funnel's "answered" counts it.
            if e["type"] in ("answered", "confirmed") and keep:
                where = (e["script"], e["node"])
                counts[where][e["value"]] += 1
                confirmed[where] += e["type"] == "confirmed"
                day = datetime.fromtimestamp(e["at"], UTC).date()
                monday = (day - timedelta(days=day.weekday())).isoformat()
                weekly[where][monday][e["value"]] += 1
    out = {}
    for where, c in counts.items():
        ranked = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
        named = {v for v, _n in ranked[:top]}
        total = sum(c.values())
        values = [(_decode(v), n) for v, n in ranked[:top]]
        if total - sum(n for _v, n in values):
            values.append((OTHER, total - sum(n for _v, n in values)))
        weeks = []
        for week in sorted(weekly[where]):
            labelled: Counter[str] = Counter()
            for v, n in weekly[where][week].items():
                labelled[str(_decode(v)) if v in named else OTHER] += n
            weeks.append((week, dict(labelled)))
        out[where] = {"total": total, "confirmed": confirmed[where], "values": values,
                      "weekly": weeks}
    return out


def model_traffic(scope: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    moves: Counter[tuple[str, str, str]] = Counter()
    for s in scope:
        stood = [e for e, keep in zip(s["events"], kept(s["events"]), strict=True)
                 if keep and e["type"] in REACH]
        for p, q in pairwise(stood):
            out = ((p["data"]["to_script"], p["data"]["to_node"]) if p["type"] == "returned"
                   else (p["script"], p["node"]))
            if out[0] == q["script"] and out[1] != q["node"]:
                moves[(q["script"], out[1], q["node"])] += 1
    return dict(moves)


def model_paths(scope: list[dict[str, Any]], cutoff: float,
                top: int) -> dict[str, list[tuple[str, str | None, int]]]:
    groups: Counter[tuple[str, str | None, str]] = Counter()
    for s in scope:
        if outcome(s, cutoff) == "in_progress":
            continue
        steps = []
        for e, keep in zip(s["events"], kept(s["events"]), strict=True):
            if keep and e["type"] == "answered":
                value = {"true": "yes", "false": "no"}.get(e["value"], e["value"].strip('"'))
                steps.append(f"{e['node']}={value}")
            elif keep and e["type"] in ("handoff", "called"):
                steps.append("→" + e["data"]["to_script"])
        groups[(outcome(s, cutoff), s["code"], "\x1f".join(steps))] += 1
    out: dict[str, list[tuple[str, str | None, int]]] = defaultdict(list)
    for (result, code, path), n in sorted(groups.items(), key=lambda kv: (
            kv[0][0], -kv[1], kv[0][2], kv[0][1] is not None, kv[0][1] or "")):
        if len(out[result]) < top:
            out[result].append((path, code, n))
    return dict(out)


def model_twice(scope: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    cases: Counter[tuple[str, str, str]] = Counter()
    for s in scope:
        events = s["events"]
        asks = [i for i, e in enumerate(events) if e["type"] == "asked" and e["fact"]
                and (e["data"] or {}).get("kind") != "confirm"]
        for here in asks:
            fact = events[here]["fact"]
            before = [i for i in asks if i < here and events[i]["fact"] == fact]
            if not before:
                continue
            between = events[before[-1] + 1:here]
            if not any(x["type"] == "undone" or (x["type"] == "invalidated"
                                                   and x["fact"] == fact) for x in between):
                cases[(s["id"], events[here]["node"], fact)] += 1
    return cases


# -- the comparison ----------------------------------------------------------------------

def in_scope(sessions: list[dict[str, Any]], options: ReportOptions) -> list[dict[str, Any]]:
    return [s for s in sessions
            if (options.since is None or s["started_at"] >= options.since)
            and (options.script is None or s["script"] == options.script
                 or any(e["script"] == options.script for e in s["events"]))]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions=stores(), since=st.sampled_from((None, T0 + 10 * DAY)),
       script=st.sampled_from((None, "wifi")), top=st.integers(1, 3),
       split=st.sampled_from((None, "fork", "thread")))
def test_sql_figures_match_a_python_reading(sessions: list[dict[str, Any]],
                                            since: float | None, script: str | None,
                                            top: int, split: str | None) -> None:
    """``split``: the figures shared with a forked process or a thread, as for large
    stores (None: one connection)."""
    options = ReportOptions(as_of=T0 + 25 * DAY, since=since, script=script, top=top,
                            abandoned_after=3 * DAY)
    cutoff = options.as_of - options.abandoned_after  # type: ignore[operator]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        write(path, sessions)
        def run_jobs(conn: sqlite3.Connection, jobs: list[parallel.Job],
                     _split: bool) -> dict[str, Any]:
            return parallel.run_jobs(conn, jobs, split is not None, way=split)

        with patch.object(figures, "run_jobs", run_jobs):
            report = make_report(path, options)
    scope = in_scope(sessions, options)
    assert report["summary"]["sessions"] == len(scope)
    assert report["summary"]["events"] == sum(len(s["events"]) for s in scope)
    assert report["outcomes"]["total"] == len(scope)
    assert dict(Counter(outcome(s, cutoff) for s in scope)) == {
        k: v for k, v in report["outcomes"].items() if v and k != "total"}

    funnel = model_funnel(scope, cutoff)
    answers = model_answers(scope, top)
    traffic = model_traffic(scope)
    for sid, data in report["scripts"].items():
        for row in data["funnel"]:
            assert {k: v for k, v in row.items() if k != "node"} == funnel.pop(
                (sid, row["node"])), (sid, row["node"])
        for question in data["answers"]:
            want = answers.pop((sid, question["node"]))
            assert question["total"] == want["total"]
            assert question["confirmed"] == want["confirmed"]
            assert [(v["value"], v["count"]) for v in question["values"]] == want["values"]
            assert [(w["week"], w["counts"]) for w in question["weekly"]] == want["weekly"]
        for move in data["traffic"]:
            assert traffic.pop((sid, move["from"], move["to"])) == move["count"]
    if script is None:  # with a script filter only that script's figures are shown
        assert funnel == {} and answers == {} and traffic == {}

    handoffs: Counter[tuple[str, str, str]] = Counter()
    handed: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    spared: Counter[tuple[str, str, str]] = Counter()
    asked = 0
    for s in scope:
        for e, keep in zip(s["events"], kept(s["events"]), strict=True):
            if keep and e["type"] in ("handoff", "called"):
                key = (e["script"], e["data"]["to_script"],
                       "call" if e["type"] == "called" else "handoff")
                handoffs[key] += 1
                handed[key].add(s["id"])
            if keep and e["type"] == "skipped":
                spared[(e["script"], e["fact"], e["data"]["source"] or "unknown")] += 1
            asked += keep and e["type"] == "asked"
    assert sorted((h["from"], h["to"], h["kind"], h["count"], h["sessions"])
                  for h in report["handoffs"]) == sorted(
        (*key, n, len(handed[key])) for key, n in handoffs.items())
    assert report["spared"]["total"] == sum(spared.values())
    assert report["spared"]["asked"] == asked
    by_source: Counter[str] = Counter()
    for (_script, _fact, source), n in spared.items():
        by_source[source] += n
    assert report["spared"]["by_source"] == dict(by_source)

    assert {outcome_: [("\x1f".join(p["steps"]), p["code"], p["count"]) for p in paths]
            for outcome_, paths in report["paths"].items()} == model_paths(scope, cutoff, top)
    twice = model_twice(scope)
    assert report["asked_twice"]["count"] == sum(twice.values())
    assert Counter((c["session_id"], c["node"], c["fact"])
                   for c in report["asked_twice"]["cases"]) == twice
    assert report["notes"]["total"] == sum(e["type"] == "note" for s in scope
                                           for e in s["events"])
