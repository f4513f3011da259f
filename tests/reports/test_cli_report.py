"""``scriptflow report`` as a user runs it: a new process over a real store file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scriptflow.reports import ReportOptions, make_report
from tests.conftest import run_cli

from .conftest import StoreFile


def strip_clock(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "generated_at"}


def test_json_equals_the_api(desk_store: StoreFile, tmp_path: Path) -> None:
    library = tmp_path / "lib"  # where make_lib wrote the scripts
    out = run_cli("report", "--store", desk_store.url, "--library", str(library),
                  "--as-of", str(desk_store.as_of), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    api = make_report(desk_store.url, ReportOptions(as_of=desk_store.as_of),
                      desk_store.library)
    assert strip_clock(data) == strip_clock(api)


def test_json_shape(desk_store: StoreFile) -> None:
    out = run_cli("report", "--store", str(desk_store.path), "--format", "json",
                  "--as-of", str(desk_store.as_of))
    data = json.loads(out.stdout)
    assert set(data) == {"format", "generated_at", "as_of", "period", "script",
                         "abandoned_after", "library", "summary", "outcomes", "codes",
                         "scripts", "handoffs", "paths", "spared", "asked_twice", "notes"}
    assert data["format"] == 1 and data["library"] is False
    assert set(data["summary"]) == {
        "sessions", "events", "finished", "resolved", "abandoned", "in_progress",
        "resolved_share", "abandoned_share", "questions_asked", "questions_spared",
        "spared_share", "asked_twice"}
    assert all(isinstance(v, int | float) for v in data["summary"].values())
    assert set(data["outcomes"]) == {"resolved", "escalated", "unresolved", "referred",
                                     "abandoned", "in_progress", "total"}
    for entry in data["scripts"].values():
        assert set(entry) == {"title", "outcomes", "codes", "funnel", "answers", "traffic",
                              "graph", "spared"}
        for row in entry["funnel"]:
            assert set(row) == {"node", "fact", "reached", "asked", "answered", "skipped",
                                "abandoned", "time_median", "time_p90", "timed"}
        for question in entry["answers"]:
            assert set(question) == {"node", "fact", "total", "confirmed", "values",
                                     "weekly"}
            assert sum(v["count"] for v in question["values"]) == question["total"]
            assert sum(w["total"] for w in question["weekly"]) == question["total"]
    for rows in data["paths"].values():
        assert all(set(p) == {"steps", "code", "count"} for p in rows)
    assert set(data["spared"]) == {"total", "asked", "by_script", "by_fact", "by_source"}
    assert set(data["notes"]) == {"query", "total", "matches"}


def test_text_to_a_file_with_filters(desk_store: StoreFile, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    out = run_cli("report", "--store", desk_store.url, "--since", "2023-11-13",
                  "--script", "net", "--notes", "basement", "--as-of",
                  str(desk_store.as_of), "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "8 sessions (" in text
    assert "resolved 2 (25.0 %)" in text and "abandoned 1 (12.5 %)" in text
    assert "Router is in the Basement" in text
    assert "Questions spared: 3 skipped, 25 asked" in text


def test_usage_errors(desk_store: StoreFile, tmp_path: Path) -> None:
    out = run_cli("report", "--store", desk_store.url, "--since", "last tuesday")
    assert out.returncode == 2
    assert "--since 'last tuesday' is not a date" in out.stderr
    out = run_cli("report", "--store", desk_store.url, "--since", "2023-11-20",
                  "--until", "2023-11-13")
    assert out.returncode == 2 and "is not before --until" in out.stderr
    out = run_cli("report", "--store", desk_store.url, "--abandoned-after", "soon")
    assert out.returncode == 2 and "not a duration" in out.stderr
    out = run_cli("report", "--store", str(tmp_path / "missing.db"))
    assert out.returncode == 2 and "no session store at" in out.stderr
    out = run_cli("report", "--store", desk_store.url, "--library", str(tmp_path / "lib"),
                  "--script", "wfi")
    assert out.returncode == 2 and "no script 'wfi'" in out.stderr and "wifi" in out.stderr
    out = run_cli("report", "--store", "foo://bar")
    assert out.returncode == 2 and "unknown store scheme 'foo'" in out.stderr
