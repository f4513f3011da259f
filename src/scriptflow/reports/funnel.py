"""The funnel of each node: how many sessions reached it, answered, were spared it or
stopped there, and how long its question kept them (median and 90th percentile)."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from typing import Any

from .source import REACH


def node_counts(conn: sqlite3.Connection) -> list[tuple[int, str | None, int, int, int, int]]:
    """``(k, fact, reached, asked, answered, skipped)`` per node number that events name."""
    # A session is told apart by the rowid of its first event (rowid - seq): distinct
    # integers are cheaper to count than distinct session ids.
    return conn.execute(
        f"""SELECT e.k, max(e.fact),
              count(DISTINCT CASE WHEN e.type IN {REACH} THEN e.rowid - e.seq END),
              count(DISTINCT CASE WHEN e.type = 'asked' THEN e.rowid - e.seq END),
              count(DISTINCT CASE WHEN e.type IN ('answered', 'confirmed') AND e.kept
                                  THEN e.rowid - e.seq END),
              count(DISTINCT CASE WHEN e.type = 'skipped' THEN e.rowid - e.seq END)
            FROM ev e
            WHERE e.k IS NOT NULL AND e.type IN
                  ('asked','skipped','handoff','called','outcome','returned',
                   'answered','confirmed')
            GROUP BY e.k""").fetchall()


def abandoned_at(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """``(script, node, sessions)``: where abandoned sessions stand now."""
    return conn.execute(
        "SELECT current_script, node, count(*) FROM scope WHERE outcome = 'abandoned' "
        "GROUP BY current_script, node").fetchall()


def funnel_rows(names: dict[int, tuple[str, str]],
                counts: list[tuple[int, str | None, int, int, int, int]],
                abandoned: list[tuple[str, str, int]],
                times: dict[int, tuple[int, float, float]],
                ) -> dict[str, dict[str, dict[str, Any]]]:
    """``{script: {node: row}}`` from the parts computed apart (so that a report can
    share them between two connections): a row counts sessions (each at most once per
    node): ``reached``, ``asked``, ``answered`` (an answer or confirmation not undone),
    ``skipped``, ``abandoned`` (abandoned sessions standing there now), plus ``fact``,
    ``time_median`` and ``time_p90`` (seconds from ``asked`` to the session's next event;
    None when never timed) and ``timed`` (how many asks were timed)."""
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for k, fact, reached, asked, answered, skipped in counts:
        script, node = names[k]
        table[script][node] = {"fact": fact, "reached": reached, "asked": asked,
                               "answered": answered, "skipped": skipped, "abandoned": 0,
                               "time_median": None, "time_p90": None, "timed": 0}
    for script, node, count in abandoned:
        row = table[script].setdefault(node, {
            "fact": None, "reached": 0, "asked": 0, "answered": 0, "skipped": 0,
            "abandoned": 0, "time_median": None, "time_p90": None, "timed": 0})
        row["abandoned"] = count
    for k, (timed, median, p90) in times.items():
        script, node = names[k]
        row = table[script][node]
        row["timed"], row["time_median"], row["time_p90"] = timed, median, p90
    return dict(table)


def time_spent(conn: sqlite3.Connection) -> dict[int, tuple[int, float, float]]:
    """``{k: (n, median, p90)}`` of the time from each ``asked`` at node ``k`` to the next
    event of its session, percentiles interpolated linearly between ranks (as
    ``statistics.quantiles(method='inclusive')``). The times are written out sorted by
    node and duration, so a node's k-th smallest sits at its first rowid + k: Python
    fetches the few rows around each rank, never the whole list."""
    conn.execute("DROP TABLE IF EXISTS temp.times")
    conn.execute(
        """CREATE TEMP TABLE times AS
           SELECT e.k, nx.at - e.at AS dt
           FROM ev e JOIN ev nx ON nx.rowid = e.rowid + 1 AND nx.seq = e.seq + 1
           WHERE e.type = 'asked' AND e.k IS NOT NULL ORDER BY 1, 2""")
    out: dict[int, tuple[int, float, float]] = {}
    groups = conn.execute("SELECT k, count(*), min(rowid) FROM times GROUP BY k").fetchall()
    for k, n, first in groups:
        ranks = {r for p in (0.5, 0.9) for r in (math.floor((n - 1) * p),
                                                  math.floor((n - 1) * p) + 1) if r < n}
        values = dict(conn.execute(
            f"SELECT rowid - ?, dt FROM times WHERE rowid IN "
            f"({','.join('?' * len(ranks))})", [first, *(first + r for r in ranks)]))
        out[k] = (n, _quantile(values, n, 0.5), _quantile(values, n, 0.9))
    conn.execute("DROP TABLE temp.times")
    return out


def _quantile(values: dict[int, float], n: int, p: float) -> float:
    h = (n - 1) * p
    lo = math.floor(h)
    low = values[lo]
    high = values.get(lo + 1, low)
    return round(low + (high - low) * (h - lo), 3)
