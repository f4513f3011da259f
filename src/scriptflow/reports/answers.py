"""The share of each answer per question (the "23 % of callers" figure), week by week.

Only answers that stood count: an answer undone with ``back()`` is left out. The most
frequent ``top`` values of each question are named; the rest are summed as ``other``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from .outcomes import share

OTHER = "(other)"


def answer_shares(conn: sqlite3.Connection, top: int) -> dict[str, dict[str, dict[str, Any]]]:
    """``{script: {node: {fact, total, values: [{value, count, share}], weekly: [...]}}}``;
    weeks start on Monday (UTC) and are named by that date: ``{week, total, counts}``."""
    conn.execute("DROP TABLE IF EXISTS temp.kept_answers")
    conn.execute(
        """CREATE TEMP TABLE kept_answers AS
            SELECT e.script, e.node, e.fact, e.value,
                   date(e.at, 'unixepoch', '-6 days', 'weekday 1') AS week
            FROM ev e
            WHERE e.type = 'answered' AND e.kept""")
    ranked = conn.execute(
        """SELECT script, node, fact, value, n, total, rank FROM (
             SELECT script, node, max(fact) AS fact, value, count(*) AS n,
                    sum(count(*)) OVER (PARTITION BY script, node) AS total,
                    row_number() OVER (PARTITION BY script, node
                                       ORDER BY count(*) DESC, value) AS rank
             FROM kept_answers GROUP BY script, node, value)
           WHERE rank <= ? + 1 ORDER BY script, node, rank""", (top,)).fetchall()
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    named: set[tuple[str, str, str]] = set()
    for script, node, fact, value, n, total, rank in ranked:
        entry = table[script].setdefault(node, {"fact": fact, "total": total, "values": [],
                                                "weekly": []})
        values: list[dict[str, Any]] = entry["values"]
        if rank <= top:
            named.add((script, node, value))
            values.append({"value": _decode(value), "count": n, "share": share(n, total)})
    for per_node in table.values():
        for entry in per_node.values():
            rest = entry["total"] - sum(v["count"] for v in entry["values"])
            if rest:
                entry["values"].append({"value": OTHER, "count": rest,
                                        "share": share(rest, entry["total"])})
    weekly: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for script, node, week, value, n in conn.execute(
            """SELECT script, node, week, value, count(*) FROM kept_answers
               GROUP BY script, node, week, value ORDER BY script, node, week"""):
        label = _decode(value) if (script, node, value) in named else OTHER
        counts = weekly[(script, node, week)]
        counts[str(label)] = counts.get(str(label), 0) + n
    for (script, node, week), counts in weekly.items():
        table[script][node]["weekly"].append(
            {"week": week, "total": sum(counts.values()), "counts": counts})
    conn.execute("DROP TABLE temp.kept_answers")
    return dict(table)


def _decode(value: str | None) -> Any:
    """An event value as stored (JSON text) back to the scalar it was; booleans as
    yes/no, the way branches name them."""
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, bool):  # as the branches name them
        return "yes" if decoded else "no"
    return decoded
