""""Still true?" confirmations in the report: a caller who confirms a known value gave
that value, so the answer shares count them (by the value confirmed) as the funnel's
``answered`` does, and every format says so.

Five real sessions of one question whose fact is ``reask: confirm``, saved in a real
SQLite store and reported on by ``scriptflow report`` in a new process:

  c1  nothing known: asked, answers wired                         answered wired
  c2  wireless known at intake: confirms it                        confirmed wireless
  c3  wired known at intake: confirms it                           confirmed wired
  c4  wired known at intake: "no longer", asked again: wireless    answered wireless
  c5  nothing known: answers wired, goes back, answers wireless    answered wireless
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scriptflow import load_library
from scriptflow.engine import ManualClock
from scriptflow.stores import open_store
from tests.conftest import run_cli
from tests.engine.conftest import T0, script, write_library

DAY = 86_400.0


@pytest.fixture
def store(tmp_path: Path) -> str:
    library = load_library(write_library(tmp_path / "lib", script("conn", facts={
        "link": {"type": "choice", "label": "How the device connects",
                 "options": ["wired", "wireless"], "reask": "confirm"},
    }, nodes={
        "link": {"type": "question", "prompt": "Wired or wireless?", "fact": "link",
                 "branches": {"wired": "cable", "wireless": "radio"}},
        "cable": {"type": "outcome", "result": "resolved", "code": "cable"},
        "radio": {"type": "outcome", "result": "escalated", "code": "radio"},
    })))
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    clock = ManualClock(T0)
    plays: list[tuple[str, dict[str, object], list[object]]] = [
        ("c1", {}, ["wired"]),
        ("c2", {"link": "wireless"}, ["yes"]),
        ("c3", {"link": "wired"}, ["yes"]),
        ("c4", {"link": "wired"}, ["no", "wireless"]),
        ("c5", {}, ["wired", "back", "wireless"]),
    ]
    with open_store(url, clock=clock) as opened:
        for day, (sid, facts, answers) in enumerate(plays):
            clock._now = T0 + day * DAY
            session = library.start("conn", facts=facts, clock=clock, session_id=sid)
            for answer in answers:
                clock.advance(5)
                if answer == "back":
                    session.back()
                else:
                    session.answer(answer)
            assert session.finished, sid
            opened.save(session)
    return url


def test_shares_count_confirmations_like_the_funnel(store: str) -> None:
    out = run_cli("report", "--store", store, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)["scripts"]["conn"]
    (row,) = [r for r in data["funnel"] if r["node"] == "link"]
    (question,) = data["answers"]
    # Every session answered or confirmed once (c5's undone answer is not counted):
    assert row["answered"] == 5 == question["total"]
    assert question["confirmed"] == 2
    assert {v["value"]: v["count"] for v in question["values"]} == {"wireless": 3, "wired": 2}
    assert [v["share"] for v in question["values"]] == [0.6, 0.4]
    assert sum(w["total"] for w in question["weekly"]) == 5


def test_text_and_html_say_what_is_counted(store: str) -> None:
    text = run_cli("report", "--store", store)
    assert text.returncode == 0, text.stderr
    assert re.search(r"link\s+link\s+5\s+5\s+0\s+0", text.stdout), text.stdout
    assert "answered: sessions that answered the question or confirmed a known value" \
        in text.stdout
    assert ('Answers to link (link): 5 answers, 2 of them confirming a known value '
            '("still true?")') in text.stdout
    assert re.search(r"wireless\s+3\s+60\.0 %", text.stdout)
    html = run_cli("report", "--store", store, "--format", "html")
    assert html.returncode == 0, html.stderr
    assert "5 answers, 2 of them confirming a known value (&quot;still true?&quot;)" \
        in html.stdout
    assert "or confirmed a known value" in html.stdout
