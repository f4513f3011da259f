"""Report figures over the eight-customer story (conftest.py), counted by hand."""

from __future__ import annotations

import sqlite3
import statistics
from pathlib import Path
from typing import Any

import pytest

from scriptflow import StoreError
from scriptflow.reports import ReportOptions, make_report, parse_time
from tests.engine.conftest import T0, MakeLib, script

from .conftest import DAY, StoreFile, play


def report(store: StoreFile, with_library: bool = True, **options: Any) -> dict[str, Any]:
    opts = ReportOptions(as_of=store.as_of, **options)
    return make_report(store.url, opts, store.library if with_library else None)


def funnel_row(data: dict[str, Any], sid: str, node: str) -> dict[str, Any]:
    rows = [r for r in data["scripts"][sid]["funnel"] if r["node"] == node]
    assert len(rows) == 1, f"{sid}:{node} appears {len(rows)} times in the funnel"
    return rows[0]


def answers_to(data: dict[str, Any], sid: str, node: str) -> dict[str, Any]:
    return next(a for a in data["scripts"][sid]["answers"] if a["node"] == node)


def test_outcomes_overall_and_by_start_script(desk_store: StoreFile) -> None:
    data = report(desk_store)
    expected = {"resolved": 2, "escalated": 3, "unresolved": 1, "referred": 0,
                "abandoned": 1, "in_progress": 1, "total": 8}
    assert data["outcomes"] == expected
    assert data["scripts"]["net"]["outcomes"] == expected
    assert data["scripts"]["wifi"]["outcomes"]["total"] == 0  # nobody started there
    summary = data["summary"]
    assert (summary["sessions"], summary["finished"], summary["resolved_share"],
            summary["abandoned_share"]) == (8, 6, 0.25, 0.125)


def test_abandoned_depends_on_the_threshold_and_the_as_of_time(desk_store: StoreFile) -> None:
    # s6 went quiet two days before s8; with a three-day threshold it is still in flight.
    assert report(desk_store, abandoned_after=3 * DAY)["outcomes"]["abandoned"] == 0
    assert report(desk_store, abandoned_after=3 * DAY)["outcomes"]["in_progress"] == 2
    later = ReportOptions(as_of=desk_store.as_of + 3600)
    assert make_report(desk_store.url, later)["outcomes"]["abandoned"] == 2


def test_reason_codes_ranked_with_where_they_ended(desk_store: StoreFile) -> None:
    codes = [(c["result"], c["code"], c["ended_in"], c["count"])
             for c in report(desk_store)["codes"]]
    assert codes[0] == ("escalated", "dead-router", "net", 2)
    assert sorted(codes[1:]) == [("escalated", "wifi-tier2", "wifi", 1),
                                 ("resolved", "fixed-by-restart", "net", 1),
                                 ("resolved", "wifi-fixed", "wifi", 1),
                                 ("unresolved", "area-outage", "net", 1)]


def test_funnel_counts_sessions_per_node(desk_store: StoreFile) -> None:
    data = report(desk_store)
    outage = funnel_row(data, "net", "outage")
    assert (outage["reached"], outage["asked"], outage["answered"], outage["skipped"],
            outage["abandoned"]) == (8, 8, 7, 0, 0)
    lights = funnel_row(data, "net", "lights")
    # s7 answered, went back and answered again: one session, counted once.
    assert (lights["reached"], lights["answered"], lights["abandoned"]) == (6, 5, 1)
    check = funnel_row(data, "wifi", "check-lights")  # known from net: never asked
    assert (check["reached"], check["asked"], check["skipped"]) == (2, 0, 2)
    account = funnel_row(data, "verify", "account")  # s5 gave it at intake
    assert (account["reached"], account["asked"], account["skipped"]) == (2, 1, 1)
    age = funnel_row(data, "net", "age")  # in the library, reached by nobody
    assert (age["reached"], age["time_median"]) == (0, None)


def test_time_spent_median_and_p90(desk_store: StoreFile) -> None:
    outage = funnel_row(report(desk_store), "net", "outage")
    waits = [10, 20, 30, 40, 50, 60, 70]  # s8 has not answered: not timed
    assert outage["timed"] == 7
    assert outage["time_median"] == statistics.median(waits) == 40
    assert outage["time_p90"] == pytest.approx(
        statistics.quantiles(waits, n=10, method="inclusive")[8])
    lights = funnel_row(report(desk_store), "net", "lights")
    waits = [5, 5, 5, 5, 5, 6]  # s7's second answer came 6s after the prompt came back
    assert (lights["time_median"], lights["time_p90"]) == (
        statistics.median(waits), pytest.approx(
            statistics.quantiles(waits, n=10, method="inclusive")[8]))


def test_answer_shares_leave_out_undone_answers(desk_store: StoreFile) -> None:
    data = report(desk_store)
    lights = answers_to(data, "net", "lights")
    assert lights["total"] == 5  # s7's internet_red was undone
    assert {v["value"]: (v["count"], v["share"]) for v in lights["values"]} == {
        "internet_red": (2, 0.4), "all_green": (2, 0.4), "all_off": (1, 0.2)}
    outage = answers_to(data, "net", "outage")
    assert [(v["value"], v["count"]) for v in outage["values"]] == [("no", 6), ("yes", 1)]


def test_answer_shares_week_by_week(desk_store: StoreFile) -> None:
    # T0 is Tuesday 2023-11-14: days 0-5 fall in the week of Monday the 13th, s7 (day 6)
    # in the week of the 20th.
    weekly = answers_to(report(desk_store), "net", "outage")["weekly"]
    assert weekly == [{"week": "2023-11-13", "total": 6, "counts": {"no": 5, "yes": 1}},
                      {"week": "2023-11-20", "total": 1, "counts": {"no": 1}}]


def test_top_values_then_other(desk_store: StoreFile) -> None:
    lights = answers_to(report(desk_store, top=1), "net", "lights")
    assert [(v["value"], v["count"]) for v in lights["values"]] == [
        ("all_green", 2), ("(other)", 3)]  # ties ranked by value
    assert sum(w["total"] for w in lights["weekly"]) == 5
    assert lights["weekly"][1]["counts"] == {"(other)": 1}


def test_handoffs_and_calls(desk_store: StoreFile) -> None:
    assert report(desk_store)["handoffs"] == [
        {"from": "net", "to": "wifi", "kind": "handoff", "count": 2, "sessions": 2},
        {"from": "wifi", "to": "verify", "kind": "call", "count": 2, "sessions": 2}]


def test_traffic_on_edges(desk_store: StoreFile) -> None:
    data = report(desk_store)
    net = {(t["from"], t["to"]): t["count"] for t in data["scripts"]["net"]["traffic"]}
    # s7's move to cycle was undone: it went from lights straight to dead.
    assert net == {("outage", "lights"): 6, ("outage", "area"): 1, ("lights", "cycle"): 2,
                   ("lights", "to-wifi"): 2, ("lights", "dead"): 1, ("cycle", "done"): 1,
                   ("cycle", "lights-again"): 1, ("lights-again", "dead"): 1}
    wifi = {(t["from"], t["to"]): t["count"] for t in data["scripts"]["wifi"]["traffic"]}
    assert wifi == {("check-lights", "scope"): 2, ("scope", "verify"): 2,
                    ("verify", "band"): 2, ("band", "fixed"): 1, ("band", "tier2"): 1}


def test_most_common_paths_per_outcome(desk_store: StoreFile) -> None:
    paths = report(desk_store)["paths"]
    assert set(paths) == {"resolved", "escalated", "unresolved", "abandoned"}
    assert paths["unresolved"] == [{"steps": ["outage=yes"], "code": "area-outage",
                                    "count": 1}]
    assert paths["abandoned"] == [{"steps": ["outage=no"], "code": None, "count": 1}]
    escalated = {tuple(p["steps"]) for p in paths["escalated"]}
    assert ("outage=no", "lights=all_off") in escalated  # s7, without the undone answer
    assert ("outage=no", "lights=all_green", "→wifi", "scope=all", "→verify",
            "role=holder", "band=ghz5") in escalated


def test_paths_group_sessions_that_answered_alike(make_lib: MakeLib, tmp_path: Path) -> None:
    from tests.engine.conftest import helpdesk

    library = make_lib(*helpdesk())
    same = [(1, "no"), (1, "internet_red"), (1, "fixed")]
    story = [(f"a{i}", {}, same, None) for i in range(3)]
    story += [("b", {}, [(1, "yes")], None)]
    play(library, tmp_path / "s.db", story)
    data = make_report(tmp_path / "s.db", ReportOptions(top=1))
    assert data["paths"]["resolved"] == [
        {"steps": ["outage=no", "lights=internet_red", "cycle=fixed"],
         "code": "fixed-by-restart", "count": 3}]


def test_questions_spared(desk_store: StoreFile) -> None:
    data = report(desk_store)
    spared = data["spared"]
    assert (spared["total"], spared["by_script"], spared["by_fact"], spared["by_source"]) == (
        3, {"wifi": 2, "verify": 1}, {"lights": 2, "account_id": 1},
        {"customer": 2, "intake": 1})
    assert data["scripts"]["wifi"]["spared"] == 2
    # Questions put, session by session; s7's ask at cycle was undone, its lights asked
    # twice (before and after back()).
    asked = {"s1": 3, "s2": 4, "s3": 1, "s4": 6, "s5": 5, "s6": 2, "s7": 3, "s8": 1}
    assert spared["asked"] == sum(asked.values()) == 25
    assert data["summary"]["spared_share"] == round(3 / 28, 4)
    assert data["asked_twice"] == {"count": 0, "checked": True, "cases": []}


def test_notes_search_by_word_in_any_case(desk_store: StoreFile) -> None:
    found = report(desk_store, notes="basement")["notes"]
    assert (found["query"], found["total"]) == ("basement", 1)
    assert found["matches"][0]["session_id"] == "s2-cycle"
    assert found["matches"][0]["text"].startswith("Router is in the Basement")
    assert report(desk_store, notes="garage")["notes"]["total"] == 0
    assert report(desk_store, notes="100%")["notes"]["total"] == 0  # % is not a wildcard
    assert report(desk_store)["notes"]["total"] == 1


def test_period_filter_on_start_time(desk_store: StoreFile) -> None:
    data = report(desk_store, since=parse_time("2023-11-20"))
    assert data["summary"]["sessions"] == 2  # s7 and s8
    assert data["period"]["since"] == "2023-11-20T00:00:00+00:00"
    data = report(desk_store, until=T0 + 2 * DAY)
    assert data["outcomes"]["total"] == 2  # s1 and s2
    assert data["outcomes"]["escalated"] == 1


def test_script_filter_keeps_sessions_that_passed_through(desk_store: StoreFile) -> None:
    data = report(desk_store, script="wifi")
    assert data["summary"]["sessions"] == 2  # s4 and s5 were handed to wifi
    assert list(data["scripts"]) == ["wifi"]
    assert data["outcomes"]["resolved"] == 1 and data["outcomes"]["escalated"] == 1


def test_without_library_the_figures_still_come_from_events(desk_store: StoreFile) -> None:
    bare = report(desk_store, with_library=False)
    full = report(desk_store)
    assert bare["outcomes"] == full["outcomes"]
    assert not bare["asked_twice"]["checked"]
    assert "age" not in {r["node"] for r in bare["scripts"]["net"]["funnel"]}
    assert funnel_row(bare, "net", "lights") == funnel_row(full, "net", "lights")


# -- asked twice -----------------------------------------------------------------------

TWICE = script("twice", facts={
    "plug": {"type": "boolean", "reask": "always"},
    "light": {"type": "boolean", "ttl": "1m"},
    "step": {"type": "choice", "options": ["a", "b"]},
}, nodes={
    "plug1": {"type": "question", "prompt": "Plugged in?", "fact": "plug", "next": "light1"},
    "light1": {"type": "question", "prompt": "Light on?", "fact": "light", "next": "wait"},
    "wait": {"type": "question", "prompt": "Which step?", "fact": "step", "next": "plug2"},
    "plug2": {"type": "question", "prompt": "Still plugged in?", "fact": "plug",
              "next": "light2"},
    "light2": {"type": "question", "prompt": "Light now?", "fact": "light", "next": "end"},
    "end": {"type": "outcome", "result": "resolved"},
})


def test_asked_twice_allows_reask_always_and_stale_facts(make_lib: MakeLib,
                                                         tmp_path: Path) -> None:
    library = make_lib(TWICE)
    # plug is asked twice (reask: always); light goes stale during the 120 s at "wait".
    play(library, tmp_path / "s.db",
         [("t1", {}, [(1, "yes"), (1, "yes"), (120, "a"), (1, "yes"), (1, "no")], None)],
         script="twice")
    checked = make_report(tmp_path / "s.db", ReportOptions(), library)["asked_twice"]
    assert checked == {"count": 0, "checked": True, "cases": []}
    unchecked = make_report(tmp_path / "s.db", ReportOptions())["asked_twice"]
    assert unchecked["count"] == 2 and not unchecked["checked"]
    assert {c["fact"] for c in unchecked["cases"]} == {"plug", "light"}


def test_asked_twice_catches_a_repeated_question(make_lib: MakeLib, tmp_path: Path) -> None:
    library = make_lib(TWICE)
    path = tmp_path / "s.db"
    play(library, path, [("t2", {}, [(1, "yes"), (1, "yes")], None)], script="twice")
    # A faulty writer asks "step" again right after it was answered: the check must see it.
    with sqlite3.connect(path) as db:
        last, at = db.execute("SELECT max(seq), max(at) FROM events").fetchone()
        db.execute("INSERT INTO events VALUES ('t2', ?, 'answered', ?, 'customer', 'twice', "
                   "'wait', 'step', '\"a\"', NULL, '{\"kind\":\"question\"}')",
                   (last + 1, at + 1))
        db.execute("INSERT INTO events VALUES ('t2', ?, 'asked', ?, 'system', 'twice', "
                   "'wait', 'step', NULL, NULL, '{\"kind\":\"question\"}')",
                   (last + 2, at + 2))
    twice = make_report(path, ReportOptions(), library)["asked_twice"]
    assert twice["count"] == 1
    assert twice["cases"][0] | {"at": 0} == {"session_id": "t2", "script": "twice",
                                             "node": "wait", "fact": "step", "at": 0}


# -- bad input -------------------------------------------------------------------------

def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no session store at .*nope\.db"):
        make_report(tmp_path / "nope.db")


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE sessions (id TEXT)")
    with pytest.raises(StoreError, match=r"not a scriptflow session store.*events\.seq"):
        make_report(other)
    text = tmp_path / "text.db"
    text.write_text("hello, not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable SQLite session store"):
        make_report(text)


def test_events_numbered_with_a_gap_are_refused(desk_store: StoreFile) -> None:
    # The figures find a session's first event at rowid - seq: a store whose numbering
    # has a gap (a hand-edited file) must not yield figures mixing sessions up.
    with sqlite3.connect(desk_store.path) as db:
        db.execute("DELETE FROM events WHERE session_id = 's3-outage' AND seq = 0")
    with pytest.raises(StoreError, match=r"s3-outage.*not numbered"):
        report(desk_store)


def test_empty_store(tmp_path: Path) -> None:
    from scriptflow.stores import open_store

    open_store(f"sqlite:///{tmp_path / 'empty.db'}").close()
    data = make_report(tmp_path / "empty.db")
    assert data["summary"]["sessions"] == 0 and data["scripts"] == {}
    assert data["outcomes"]["total"] == 0 and data["paths"] == {}


def test_a_memory_store_is_refused() -> None:
    from scriptflow.reports import StoreUsageError

    # A memory:// store lives in its process, so the one a report opens is always empty:
    # a report of 0 sessions would look like a quiet week.
    with pytest.raises(StoreUsageError, match=r"only inside the process.*export_sqlite"):
        make_report("memory://")


def test_a_redis_store_reports_like_sqlite(desk_store: StoreFile, tmp_path: Path) -> None:
    from tests.stores.conftest import RedisServer

    from .conftest import STORY

    server = RedisServer(tmp_path / "redis").start()
    try:
        play(desk_store.library, server.url, STORY)
        options = ReportOptions(as_of=desk_store.as_of, notes="basement")
        from_redis = make_report(server.url, options, desk_store.library)
    finally:
        server.kill()
    from_sqlite = make_report(desk_store.url, options, desk_store.library)
    del from_redis["generated_at"], from_sqlite["generated_at"]
    assert from_redis == from_sqlite
    assert from_redis["summary"]["sessions"] == 8


def test_no_answer_shares_of_masked_or_free_text_facts(desk_store: StoreFile) -> None:
    with_library = {a["node"] for a in report(desk_store)["scripts"]["verify"]["answers"]}
    assert with_library == {"role"}  # account_id is sensitive: its values are masked
    bare = report(desk_store, with_library=False)["scripts"]["verify"]["answers"]
    assert {a["node"] for a in bare} == {"account", "role"}  # unknown without the library


DECIDE = script("decide", facts={
    "power": {"type": "boolean"}, "age": {"type": "number", "min": 0, "max": 50},
}, nodes={
    "power": {"type": "question", "prompt": "Power on?", "fact": "power",
              "branches": {"yes": "age", "no": "off"}},
    "age": {"type": "question", "prompt": "How old?", "fact": "age", "next": "route"},
    "route": {"type": "decision", "routes": [{"when": "age >= 5", "goto": "old"},
                                             {"goto": "young"}]},
    "old": {"type": "outcome", "result": "referred", "code": "old"},
    "young": {"type": "outcome", "result": "resolved", "code": "young"},
    "off": {"type": "outcome", "result": "unresolved"},
})


def test_moves_past_a_decision_count_on_its_edges(make_lib: MakeLib, tmp_path: Path) -> None:
    library = make_lib(DECIDE)
    story = [("old1", {}, [(1, "yes"), (1, 9)], None), ("old2", {}, [(1, "yes"), (1, 7)], None),
             ("young", {}, [(1, "yes"), (1, 2)], None), ("off", {}, [(1, "no")], None)]
    play(library, tmp_path / "s.db", story, script="decide")
    data = make_report(tmp_path / "s.db", ReportOptions(), library)["scripts"]["decide"]
    # The events show age -> old and age -> young; the graph puts them on the decision.
    assert {(t["from"], t["to"]): t["count"] for t in data["traffic"]} == {
        ("power", "age"): 3, ("power", "off"): 1, ("age", "old"): 2, ("age", "young"): 1}
    edges = {(e["from"], e["to"]): (e["count"], e["planned"]) for e in data["graph"]["edges"]}
    assert edges == {("power", "age"): (3, True), ("power", "off"): (1, True),
                     ("age", "route"): (3, True), ("route", "old"): (2, True),
                     ("route", "young"): (1, True)}
    layers = {n["id"]: n["layer"] for n in data["graph"]["nodes"]}
    assert layers == {"power": 0, "age": 1, "off": 1, "route": 2, "old": 3, "young": 3}


def test_notes_total_counts_past_the_matches_shown(tmp_path: Path) -> None:
    from scriptflow.reports.notes import notes
    from scriptflow.reports.source import connect
    from scriptflow.stores import open_store

    path = tmp_path / "notes.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO events (session_id, seq, type, at, actor, detail) "
                       "VALUES (?, ?, ?, ?, 'agent', ?)",
                       [("s1", i, "note" if i % 2 else "undone", 100.0 + i, f"note {i}")
                        for i in range(11)])
    conn = connect(path)
    try:
        shown = notes(conn, None, limit=3)
        assert shown["total"] == 5
        assert [m["text"] for m in shown["matches"]] == ["note 9", "note 7", "note 5"]
        assert notes(conn, "note 1", limit=3)["total"] == 1
        assert notes(conn, "nowhere", limit=3) == {"query": "nowhere", "total": 0,
                                                   "matches": []}
    finally:
        conn.close()
