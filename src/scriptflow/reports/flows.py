"""Movement: handoffs and calls between scripts, traffic on each edge of a script, and
the most common paths to each outcome."""

from __future__ import annotations

import sqlite3
from typing import Any

from .source import REACH, node_names

_SEP = "\x1f"  # between path steps; no answer or node id contains it


def handoffs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """``[{from, to, kind: handoff|call, count, sessions}]``, busiest first."""
    rows = conn.execute(
        """SELECT n.script, e.to_script, e.type, count(*), count(DISTINCT e.rowid - e.seq)
            FROM ev e LEFT JOIN nodes n ON n.k = e.k
            WHERE e.type IN ('handoff', 'called') AND e.kept
            GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2""")
    return [{"from": src, "to": dst, "kind": "call" if kind == "called" else "handoff",
             "count": n, "sessions": sessions} for src, dst, kind, n, sessions in rows]


def edge_traffic(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """``{script: [{from, to, count}]}``: how often sessions moved from one node to the
    next inside a script (decisions leave no event, so a move through one shows as a
    move past it). A return from a call is a move from the called script's outcome and
    then on from the call node."""
    names = node_names(conn)
    conn.execute("DROP TABLE IF EXISTS temp.pos")
    # Where each session stood, in order (``s`` tells sessions apart); a return from a
    # call stands first at the called script's outcome and then leaves from the call
    # node (out_k).
    conn.execute(
        f"""CREATE TEMP TABLE pos AS
           SELECT rowid - seq AS s, k,
                  CASE WHEN type = 'returned' THEN to_k ELSE k END AS out_k
           FROM ev WHERE type IN {REACH} AND kept ORDER BY rowid""")
    rows = conn.execute(
        """SELECT p.out_k, q.k, count(*)
           FROM pos p JOIN pos q ON q.rowid = p.rowid + 1 AND q.s = p.s
           WHERE p.out_k != q.k GROUP BY 1, 2""").fetchall()
    conn.execute("DROP TABLE temp.pos")
    moves: list[tuple[str, str, str, int]] = []
    for src, dst, n in rows:
        (script, node), (to_script, to_node) = names[src], names[dst]
        if script is not None and script == to_script and None not in (node, to_node):
            moves.append((script, node, to_node, n))
    traffic: dict[str, list[dict[str, Any]]] = {}
    for script, node, to_node, n in sorted(moves, key=lambda m: (m[0], -m[3], m[1], m[2])):
        traffic.setdefault(script, []).append({"from": node, "to": to_node, "count": n})
    return traffic


def common_paths(conn: sqlite3.Connection, top: int) -> dict[str, list[dict[str, Any]]]:
    """``{outcome: [{steps, code, count}]}``: the ``top`` most common paths ending in each
    outcome (including ``abandoned``). A path is the answers that stood, as
    ``node=value``, and the scripts handed off to or called, as ``→script``."""
    for table in ("steps", "session_paths"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    # Keyed by (session, seq) and written in that order: the rows are appended, and
    # group_concat reads each session's steps in the order they happened.
    conn.execute("CREATE TEMP TABLE steps (s INTEGER, seq INTEGER, step TEXT, "
                 "PRIMARY KEY (s, seq)) WITHOUT ROWID")
    conn.execute(
        """INSERT INTO steps
           SELECT e.rowid - e.seq, e.seq, CASE e.type
                    WHEN 'answered' THEN n.node || '=' || CASE e.value
                      WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no'
                      ELSE trim(e.value, '"') END
                    ELSE '→' || e.to_script END
           FROM ev e LEFT JOIN nodes n ON n.k = e.k
           WHERE e.type IN ('answered', 'handoff', 'called') AND e.kept
           ORDER BY e.rowid""")
    # Sessions come in session_id order, so this too is written by appending.
    conn.execute("CREATE TEMP TABLE session_paths (id TEXT PRIMARY KEY, path TEXT) "
                 "WITHOUT ROWID")
    conn.execute(
        f"""INSERT INTO session_paths
            SELECT f.session_id, p.path FROM (
              SELECT s, group_concat(step, '{_SEP}') AS path FROM steps GROUP BY s) p
            JOIN ev f ON f.rowid = p.s""")
    rows = conn.execute(
        """WITH paths AS (
              SELECT s.outcome, s.code, coalesce(p.path, '') AS path, count(*) AS n
              FROM scope s LEFT JOIN session_paths p ON p.id = s.id
              WHERE s.outcome != 'in_progress'
              GROUP BY s.outcome, s.code, path)
            SELECT outcome, code, path, n FROM (
              SELECT *, row_number() OVER (PARTITION BY outcome ORDER BY n DESC, path, code)
                        AS rank FROM paths)
            WHERE rank <= ? ORDER BY outcome, rank""", (top,)).fetchall()
    for table in ("steps", "session_paths"):
        conn.execute(f"DROP TABLE temp.{table}")
    paths: dict[str, list[dict[str, Any]]] = {}
    for outcome, code, path, n in rows:
        paths.setdefault(outcome, []).append(
            {"steps": path.split(_SEP) if path else [], "code": code, "count": n})
    return paths
