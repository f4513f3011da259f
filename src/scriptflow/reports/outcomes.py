"""How sessions ended: per script they started in and overall, and the reason codes."""

from __future__ import annotations

import sqlite3
from typing import Any

RESULTS = ("resolved", "escalated", "unresolved", "referred")
# Every way a session in scope can stand: the format's results, then the two in-flight ones.
OUTCOMES = (*RESULTS, "abandoned", "in_progress")


def _empty() -> dict[str, int]:
    return {kind: 0 for kind in (*OUTCOMES, "total")}


def outcomes(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """``(overall, by start script)``: counts of each outcome plus ``total``."""
    overall = _empty()
    by_script: dict[str, dict[str, int]] = {}
    for script, outcome, count in conn.execute(
            "SELECT script, outcome, count(*) FROM scope GROUP BY script, outcome"):
        row = by_script.setdefault(script, _empty())
        # A result outside format 1 (a newer writer) is still counted, under its own name.
        row[outcome] = row.get(outcome, 0) + count
        row["total"] += count
        overall[outcome] = overall.get(outcome, 0) + count
        overall["total"] += count
    return overall, by_script


def codes(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Reason codes of finished sessions, most frequent first: ``script`` (where the
    session started), ``result``, ``code`` (None when the outcome has none), ``ended_in``
    (the script whose outcome it was), ``count`` and ``share`` of that script's sessions."""
    rows = conn.execute(
        f"""SELECT script, outcome, code, current_script, count(*) AS n,
                   sum(count(*)) OVER (PARTITION BY script) AS total
            FROM scope WHERE outcome IN ({','.join('?' * len(RESULTS))})
            GROUP BY script, outcome, code, current_script
            ORDER BY n DESC, script, outcome, code""", RESULTS).fetchall()
    started = dict(conn.execute("SELECT script, count(*) FROM scope GROUP BY script"))
    return [{"script": script, "result": result, "code": code, "ended_in": ended,
             "count": n, "share": share(n, started[script])}
            for script, result, code, ended, n, _total in rows]


def share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places (0 when there is nothing to share)."""
    return round(part / whole, 4) if whole else 0.0
