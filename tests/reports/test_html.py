"""The HTML report opened in a real headless Chromium: the rendered DOM shows the charts
and the same numbers as the JSON, with nothing fetched and no console errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scriptflow import load_library
from tests.conftest import run_cli
from tests.engine.conftest import helpdesk, write_library

from .browser import Elements, dump_dom
from .conftest import STORY, StoreFile, play

MEASURE = """<!DOCTYPE html><html><body><pre id="result">pending</pre>
<iframe id="page" src="report.html" width="1200" height="900"></iframe>
<script>
document.getElementById('page').onload = function () {
  var doc = this.contentDocument, out = {};
  doc.querySelectorAll('svg.chart').forEach(function (svg) {
    var box = svg.getBoundingClientRect(), kind = svg.getAttribute('class');
    out[kind] = out[kind] || [];
    out[kind].push([Math.round(box.width), Math.round(box.height)]);
  });
  out.bars = Array.from(doc.querySelectorAll('svg.shares g.share rect')).map(
    function (r) { return Math.round(r.getBoundingClientRect().width); });
  document.getElementById('result').textContent = JSON.stringify(out);
};
</script></body></html>"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The story's report as JSON and as HTML, the HTML loaded in Chromium (once)."""
    base = tmp_path_factory.mktemp("html")
    library = write_library(base / "lib", *helpdesk())
    last = play(load_library(library), base / "sessions.db", STORY)
    store = StoreFile(base / "sessions.db", load_library(library), last + 60)
    common = ["report", "--store", store.url, "--library", str(library), "--as-of",
              str(store.as_of), "--notes", "basement"]
    as_json = run_cli(*common, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    page = base / "report.html"
    out = run_cli(*common, "--format", "html", "-o", str(page))
    assert out.returncode == 0, out.stderr
    dom, console = dump_dom(page, base / "profile")
    (base / "measure.html").write_text(MEASURE, encoding="utf-8")
    measured, _ = dump_dom(base / "measure.html", base / "profile2")
    result = next(text for _tag, _attrs, text in Elements(measured).having("id", "result"))
    return {"json": json.loads(as_json.stdout), "html": page.read_text("utf-8"),
        "dom": Elements(dom), "console": console, "measured": json.loads(result)}


def test_no_console_messages_and_nothing_fetched(rendered: dict[str, Any]) -> None:
    assert rendered["console"] == []
    html = rendered["html"]
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html
    assert "default-src 'none'" in html  # the page may not fetch anything, even by mistake


def test_the_console_check_would_see_an_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<script>console.error('seen'); missing();</script>", encoding="utf-8")
    _dom, console = dump_dom(page, tmp_path / "profile")
    assert len(console) == 2 and "seen" in console[0] and "missing" in console[1]


def test_charts_are_drawn_with_a_size(rendered: dict[str, Any]) -> None:
    measured = rendered["measured"]
    scripts = len(rendered["json"]["scripts"])
    assert len(measured["chart funnel"]) == scripts
    assert len(measured["chart graph"]) == scripts
    assert len(measured["chart outcomes"]) == 2  # overall, and net (where all started)
    shares = sum(len(s["answers"]) for s in rendered["json"]["scripts"].values())
    assert len(measured["chart shares"]) == shares
    for boxes in measured.values():
        if boxes and isinstance(boxes[0], list):
            assert all(w > 100 and h > 10 for w, h in boxes)
    # Bars are as long as their share: the 85.7 % "no" bar is six times the 14.3 % one.
    no, yes = measured["bars"][0], measured["bars"][1]
    assert no == pytest.approx(6 * yes, rel=0.05)


def test_summary_numbers_match_the_json(rendered: dict[str, Any]) -> None:
    summary = rendered["json"]["summary"]
    shown = {attrs["data-figure"]: (attrs["data-value"], text)
             for _tag, attrs, text in rendered["dom"].having("data-figure")
             if "data-value" in attrs}
    assert shown["sessions"] == (str(summary["sessions"]), "8")
    assert shown["resolved_share"] == (str(summary["resolved_share"]), "25.0 %")
    assert shown["abandoned_share"] == (str(summary["abandoned_share"]), "12.5 %")
    assert shown["questions_spared"] == ("3", "3")
    assert shown["asked_twice"] == ("0", "0")
    legend = {attrs["data-outcome"]: int(attrs["data-count"])
              for _t, attrs, _x in rendered["dom"].having("data-outcome")}
    outcomes = rendered["json"]["outcomes"]
    assert legend == {k: v for k, v in outcomes.items() if k != "total"}


def test_funnel_shares_and_traffic_match_the_json(rendered: dict[str, Any]) -> None:
    dom: Elements = rendered["dom"]
    for sid, data in rendered["json"]["scripts"].items():
        section = _section(dom, sid)
        rows = {a["data-node"]: a for t, a, _x in section if a.get("class") == "funnel-row"}
        asking = [r for r in data["funnel"] if r["fact"] is not None]
        assert set(rows) == {r["node"] for r in asking}
        for row in asking:
            got = rows[row["node"]]
            assert (int(got["data-reached"]), int(got["data-answered"]),
                    int(got["data-skipped"])) == (row["reached"], row["answered"],
                                                  row["skipped"])
        bars = [(a["data-value"], int(a["data-count"])) for t, a, _x in section
                if a.get("class") == "share"]
        assert bars == [(str(v["value"]), v["count"]) for q in data["answers"]
                        for v in q["values"]]
        edges = {(a["data-from"], a["data-to"]): int(a["data-count"])
                 for t, a, _x in section if a.get("class") == "edge"}
        for move in data["traffic"]:
            assert edges[move["from"], move["to"]] == move["count"]
        assert {n for t, a, _x in section if a.get("class") == "node"
                for n in [a["data-node"]]} >= {r["node"] for r in data["funnel"]}


def test_text_a_manager_reads(rendered: dict[str, Any]) -> None:
    text = " ".join(t for _tag, _a, t in rendered["dom"].having("id", "summary"))
    assert "8 sessions (68 events): 25.0 % resolved, 12.5 % abandoned." in text
    assert "Most common reason: dead-router" in text
    notes = " ".join(t for _tag, _a, t in rendered["dom"].having("id", "notes"))
    assert "Router is in the Basement" in notes
    codes = " ".join(t for tag, a, t in rendered["dom"].having("class", "codes"))
    assert "dead-router" in codes and "25.0 %" in codes


def _section(dom: Elements, sid: str) -> list[tuple[str, dict[str, str], list[str]]]:
    """The elements inside the section of script ``sid``."""
    start = next(i for i, (tag, attrs, _t) in enumerate(dom.found)
                 if tag == "section" and attrs.get("data-script") == sid)
    end = next((i for i, (tag, _a, _t) in enumerate(dom.found) if i > start
                and tag == "section"), len(dom.found))
    return dom.found[start:end]


def test_weekly_answer_charts_match_the_json(rendered: dict[str, Any]) -> None:
    dom: Elements = rendered["dom"]
    drawn = 0
    for sid, data in rendered["json"]["scripts"].items():
        section = _section(dom, sid)
        charts = {a["data-node"]: a for t, a, _x in section if a.get("class") == "chart weekly"}
        for question in data["answers"]:
            if len(question["weekly"]) < 2:  # one week moves nowhere: no chart
                assert question["node"] not in charts
                continue
            drawn += 1
            chart = charts[question["node"]]
            assert int(chart["data-weeks"]) == len(question["weekly"])
            assert int(chart["data-series"]) == len(question["values"])
            inside = _inside(section, "data-node", question["node"], "chart weekly")
            legend = [a["data-value"] for t, a, _x in inside if a.get("class") == "legend"]
            assert legend == [str(v["value"]) for v in question["values"]]
            weeks = [(a["data-week"], int(a["data-total"])) for t, a, _x in inside
                     if a.get("class") == "week"]
            assert weeks == [(w["week"], w["total"]) for w in question["weekly"]]
            parts = [(a["data-value"], int(a["data-count"])) for t, a, _x in inside
                     if a.get("class") == "week-share"]
            assert parts == [(label, w["counts"][label]) for w in question["weekly"]
                             for label in legend if w["counts"].get(label)]
    assert drawn >= 2  # outage and lights were answered in both weeks of the story
    # The shares are written on the bars: 5 of 6 said "no" to the outage question in the
    # first week, 1 of 1 in the second.
    net = _section(dom, "net")
    outage = _inside(net, "data-node", "outage", "chart weekly")
    shown = ["".join(x) for t, a, x in outage if a.get("class") == "pct"]
    assert shown == ["83 %", "17 %", "100 %"]
    assert len(rendered["measured"]["chart weekly"]) == drawn


def _inside(elements: list[tuple[str, dict[str, str], list[str]]], attribute: str,
            value: str, cls: str) -> list[tuple[str, dict[str, str], list[str]]]:
    """The elements inside the first ``svg`` of class ``cls`` whose ``attribute`` is
    ``value``, up to the next ``svg``."""
    start = next(i for i, (tag, attrs, _t) in enumerate(elements) if tag == "svg"
                 and attrs.get("class") == cls and attrs.get(attribute) == value)
    end = next((i for i, (tag, _a, _t) in enumerate(elements) if i > start and tag == "svg"),
               len(elements))
    return elements[start + 1:end]
