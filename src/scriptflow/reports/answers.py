"""The share of each answer per question (the "23 % of callers" figure), week by week.

Only answers that stood count: an answer undone with ``back()`` is left out. A "still
true?" confirmation counts as an answer with the value it confirmed, as in the funnel's
``answered``: a caller who confirms "still wired" is a wired caller, and leaving them out
would show the split of a minority. ``confirmed`` says how many of ``total`` were
confirmations. The most frequent ``top`` values of each question are named; the rest are
summed as ``other``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from .outcomes import share
from .source import node_names

OTHER = "(other)"


# Weeks as whole numbers: weeks since Monday 1970-01-05 (epoch day 4), shifted so that
# truncation toward zero floors any date after 1900; date() per answer costs more.
_WEEK = "CAST((e.at - 345600) / 604800 + 3600 AS INTEGER)"


def answer_shares(conn: sqlite3.Connection, top: int) -> dict[str, dict[str, dict[str, Any]]]:
    """``{script: {node: {fact, total, confirmed, values: [{value, count, share}],
    weekly: [...]}}}``: ``total`` answers and confirmations kept, ``confirmed`` of them
    confirmations; weeks start on Monday (UTC) and are named by that date:
    ``{week, total, counts}``."""
    names = node_names(conn)
    conn.execute("DROP TABLE IF EXISTS temp.kept_answers")
    # One pass over the answers; every figure below reads this small table.
    conn.execute(
        f"""CREATE TEMP TABLE kept_answers AS
            SELECT e.k, {_WEEK} AS week, e.value, max(e.fact) AS fact, count(*) AS n,
                   sum(e.type = 'confirmed') AS confirmed
            FROM ev e
            WHERE e.type IN ('answered', 'confirmed') AND e.kept AND e.k IS NOT NULL
            GROUP BY 1, 2, 3""")
    ranked = conn.execute(
        """SELECT k, fact, value, n, total, confirmed, rank FROM (
             SELECT k, max(fact) AS fact, value, sum(n) AS n,
                    sum(sum(n)) OVER (PARTITION BY k) AS total,
                    sum(sum(confirmed)) OVER (PARTITION BY k) AS confirmed,
                    row_number() OVER (PARTITION BY k ORDER BY sum(n) DESC, value) AS rank
             FROM kept_answers GROUP BY k, value)
           WHERE rank <= ? + 1 ORDER BY k, rank""", (top,)).fetchall()
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    named: set[tuple[int, str]] = set()
    for k, fact, value, n, total, confirmed, rank in ranked:
        script, node = names[k]
        entry = table[script].setdefault(node, {"fact": fact, "total": total,
                                                "confirmed": confirmed, "values": [],
                                                "weekly": []})
        values: list[dict[str, Any]] = entry["values"]
        if rank <= top:
            named.add((k, value))
            values.append({"value": _decode(value), "count": n, "share": share(n, total)})
    for per_node in table.values():
        for entry in per_node.values():
            rest = entry["total"] - sum(v["count"] for v in entry["values"])
            if rest:
                entry["values"].append({"value": OTHER, "count": rest,
                                        "share": share(rest, entry["total"])})
    weekly: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for k, week, value, n in conn.execute(
            """SELECT k, date((week - 3600) * 604800 + 345600, 'unixepoch'), value, n
               FROM kept_answers ORDER BY k, week, value"""):
        label = _decode(value) if (k, value) in named else OTHER
        counts = weekly[(k, week)]
        counts[str(label)] = counts.get(str(label), 0) + n
    for (k, week), counts in weekly.items():
        script, node = names[k]
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
