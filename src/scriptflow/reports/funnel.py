"""The funnel of each node: how many sessions reached it, answered, were spared it or
stopped there, and how long its question kept them (median and 90th percentile)."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from typing import Any

# Events that mean a session stood at the node.
_REACH = "('asked','skipped','handoff','called','outcome','returned')"


def funnel(conn: sqlite3.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """``{script: {node: row}}``; a row counts sessions (each at most once per node):
    ``reached``, ``asked``, ``answered`` (an answer or confirmation not undone),
    ``skipped``, ``abandoned`` (abandoned sessions standing there now), plus ``fact``,
    ``time_median`` and ``time_p90`` (seconds from ``asked`` to the session's next event;
    None when never timed) and ``timed`` (how many asks were timed)."""
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for script, node, fact, reached, asked, answered, skipped in conn.execute(
            f"""SELECT e.script, e.node, max(e.fact),
                  count(DISTINCT CASE WHEN e.type IN {_REACH} THEN e.session_id END),
                  count(DISTINCT CASE WHEN e.type = 'asked' THEN e.session_id END),
                  count(DISTINCT CASE WHEN e.type IN ('answered', 'confirmed') AND e.kept
                                      THEN e.session_id END),
                  count(DISTINCT CASE WHEN e.type = 'skipped' THEN e.session_id END)
                FROM ev e
                WHERE e.node IS NOT NULL AND e.type IN
                      ('asked','skipped','handoff','called','outcome','returned',
                       'answered','confirmed')
                GROUP BY e.script, e.node"""):
        table[script][node] = {"fact": fact, "reached": reached, "asked": asked,
                               "answered": answered, "skipped": skipped, "abandoned": 0,
                               "time_median": None, "time_p90": None, "timed": 0}
    for script, node, count in conn.execute(
            "SELECT current_script, node, count(*) FROM scope WHERE outcome = 'abandoned' "
            "GROUP BY current_script, node"):
        row = table[script].setdefault(node, {
            "fact": None, "reached": 0, "asked": 0, "answered": 0, "skipped": 0,
            "abandoned": 0, "time_median": None, "time_p90": None, "timed": 0})
        row["abandoned"] = count
    for (script, node), (timed, median, p90) in time_spent(conn).items():
        row = table[script][node]
        row["timed"], row["time_median"], row["time_p90"] = timed, median, p90
    return dict(table)


def time_spent(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, float, float]]:
    """``{(script, node): (n, median, p90)}`` of the time from each ``asked`` to the next
    event of its session, percentiles interpolated linearly between ranks (as
    ``statistics.quantiles(method='inclusive')``). SQL ranks the times and returns only
    the rows around the two ranks needed, so Python sees a few rows per node."""
    rows = conn.execute(
        """WITH t AS (
             SELECT script, node, dt FROM (
               SELECT e.script, e.node, e.type,
                      lead(e.at) OVER (PARTITION BY e.session_id ORDER BY e.seq) - e.at AS dt
               FROM ev e)
             WHERE type = 'asked' AND dt IS NOT NULL),
           r AS (
             SELECT script, node, dt,
                    row_number() OVER (PARTITION BY script, node ORDER BY dt) - 1 AS k,
                    count(*) OVER (PARTITION BY script, node) AS n
             FROM t)
           SELECT script, node, n, k, dt FROM r
           WHERE k BETWEEN CAST((n - 1) * 0.5 AS INTEGER) AND CAST((n - 1) * 0.5 AS INTEGER) + 1
              OR k BETWEEN CAST((n - 1) * 0.9 AS INTEGER) AND CAST((n - 1) * 0.9 AS INTEGER) + 1
        """)
    ranked: dict[tuple[str, str], tuple[int, dict[int, float]]] = {}
    for script, node, n, k, dt in rows:
        ranked.setdefault((script, node), (n, {}))[1][k] = dt
    return {key: (n, _quantile(values, n, 0.5), _quantile(values, n, 0.9))
            for key, (n, values) in ranked.items()}


def _quantile(values: dict[int, float], n: int, p: float) -> float:
    h = (n - 1) * p
    lo = math.floor(h)
    low = values[lo]
    high = values.get(lo + 1, low)
    return round(low + (high - low) * (h - lo), 3)
