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
    conn.execute("DROP TABLE IF EXISTS temp.pos")
    # Where each session stood, in order; a return from a call stands first at the called
    # script's outcome and then leaves from the call node (out_script, out_node).
    conn.execute(
        """CREATE TEMP TABLE pos AS
           SELECT session_id, script, node,
                  CASE WHEN type = 'returned' THEN to_script ELSE script END AS out_script,
                  CASE WHEN type = 'returned' THEN to_node ELSE node END AS out_node
           FROM ev WHERE type IN ('asked','skipped','handoff','called','outcome','returned')
             AND kept ORDER BY rowid""")
    rows = conn.execute(
        """SELECT q.script, p.out_node, q.node, count(*)
           FROM pos p JOIN pos q ON q.rowid = p.rowid + 1 AND q.session_id = p.session_id
           WHERE p.out_script = q.script AND p.out_node != q.node
           GROUP BY q.script, p.out_node, q.node ORDER BY q.script, 4 DESC""").fetchall()
    conn.execute("DROP TABLE temp.pos")
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
              -- sorted by session then event, so group_concat joins a session's steps
              -- in the order they happened
              SELECT session_id, group_concat(step, '{_SEP}') AS path FROM (
                SELECT e.session_id, CASE e.type
                         WHEN 'answered' THEN e.node || '=' || CASE e.value
                           WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no'
                           ELSE trim(e.value, '"') END
                         ELSE '→' || e.to_script END AS step
                FROM ev e
                WHERE e.type IN ('answered', 'handoff', 'called') AND e.kept
                ORDER BY e.session_id, e.rowid)
              GROUP BY session_id),
            paths AS (
              SELECT s.outcome, s.code, coalesce(p.path, '') AS path, count(*) AS n
              FROM scope s LEFT JOIN steps p ON p.session_id = s.id
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
