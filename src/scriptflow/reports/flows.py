"""Movement: handoffs and calls between scripts, traffic on each edge of a script, and
the most common paths to each outcome."""

from __future__ import annotations

import sqlite3
from typing import Any

_SEP = "\x1f"  # between path steps; no answer or node id contains it


def handoffs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """``[{from, to, kind: handoff|call, count, sessions}]``, busiest first."""
    rows = conn.execute(
        """SELECT e.script, e.to_script, e.type, count(*),
                   count(DISTINCT e.session_id)
            FROM ev e
            WHERE e.type IN ('handoff', 'called') AND e.kept
            GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2""")
    return [{"from": src, "to": dst, "kind": "call" if kind == "called" else "handoff",
             "count": n, "sessions": sessions} for src, dst, kind, n, sessions in rows]


def edge_traffic(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """``{script: [{from, to, count}]}``: how often sessions moved from one node to the
    next inside a script (decisions leave no event, so a move through one shows as a
    move past it). A return from a call is a move from the called script's outcome and
    then on from the call node."""
    rows = conn.execute(
        """WITH pos AS (
              SELECT e.script, e.node,
                     lag(CASE WHEN e.type = 'returned' THEN e.to_script ELSE e.script END)
                       OVER w AS prev_script,
                     lag(CASE WHEN e.type = 'returned' THEN e.to_node ELSE e.node END)
                       OVER w AS prev_node
              FROM ev e
              WHERE e.type IN ('asked','skipped','handoff','called','outcome','returned')
                AND e.kept
              WINDOW w AS (PARTITION BY e.session_id ORDER BY e.seq))
            SELECT script, prev_node, node, count(*) FROM pos
            WHERE prev_script = script AND prev_node != node
            GROUP BY script, prev_node, node ORDER BY script, 4 DESC""")
    traffic: dict[str, list[dict[str, Any]]] = {}
    for script, src, dst, n in rows:
        traffic.setdefault(script, []).append({"from": src, "to": dst, "count": n})
    return traffic


def common_paths(conn: sqlite3.Connection, top: int) -> dict[str, list[dict[str, Any]]]:
    """``{outcome: [{steps, code, count}]}``: the ``top`` most common paths ending in each
    outcome (including ``abandoned``). A path is the answers that stood, as
    ``node=value``, and the scripts handed off to or called, as ``→script``."""
    rows = conn.execute(
        f"""WITH steps AS (
              SELECT e.session_id,
                     group_concat(CASE e.type
                         WHEN 'answered' THEN e.node || '=' || CASE e.value
                             WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no'
                             ELSE trim(e.value, '"') END
                         ELSE '→' || e.to_script END, '{_SEP}')
                       OVER (PARTITION BY e.session_id ORDER BY e.seq
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
                       AS path,
                     row_number() OVER (PARTITION BY e.session_id ORDER BY e.seq) AS rn
              FROM ev e
              WHERE e.type IN ('answered', 'handoff', 'called') AND e.kept),
            paths AS (
              SELECT s.outcome, s.code, coalesce(p.path, '') AS path, count(*) AS n
              FROM scope s LEFT JOIN steps p ON p.session_id = s.id AND p.rn = 1
              WHERE s.outcome != 'in_progress'
              GROUP BY s.outcome, s.code, path)
            SELECT outcome, code, path, n FROM (
              SELECT *, row_number() OVER (PARTITION BY outcome ORDER BY n DESC, path, code)
                        AS rank FROM paths)
            WHERE rank <= ? ORDER BY outcome, rank""", (top,))
    paths: dict[str, list[dict[str, Any]]] = {}
    for outcome, code, path, n in rows:
        paths.setdefault(outcome, []).append(
            {"steps": path.split(_SEP) if path else [], "code": code, "count": n})
    return paths
