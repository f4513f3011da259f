"""What never asking twice saved: questions skipped because the answer was known, and
a check that no fact was asked twice in one session when it should not have been."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..library import Library


def spared(conn: sqlite3.Connection) -> dict[str, Any]:
    """``{total, asked, by_script, by_fact, by_source}``: ``skipped`` events (not undone),
    where they happened, the fact spared and where its known value came from (intake,
    customer, agent, system); ``asked`` is how many questions were put for comparison."""
    by_script: Counter[str] = Counter()
    by_fact: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    for script, fact, source, n in conn.execute(
            """SELECT n.script, e.fact, e.source, count(*)
                FROM ev e LEFT JOIN nodes n ON n.k = e.k
                WHERE e.type = 'skipped' AND e.kept GROUP BY 1, 2, 3"""):
        by_script[script] += n
        by_fact[fact] += n
        by_source[source or "unknown"] += n
    asked = conn.execute(
        """SELECT count(*) FROM ev e
            WHERE e.type = 'asked' AND e.kept""").fetchone()[0]
    return {"total": sum(by_script.values()), "asked": asked,
            "by_script": dict(by_script.most_common()),
            "by_fact": dict(by_fact.most_common()),
            "by_source": dict(by_source.most_common())}


def asked_twice(conn: sqlite3.Connection, library: Library | None) -> dict[str, Any]:
    """Facts asked a second time in one session with no ``undone`` and no
    ``invalidated`` of that fact in between (confirmations are not asks). With the
    library, asks under ``reask: always`` and asks after the fact's ttl ran out (stale)
    are allowed and left out; without it they cannot be told apart (``checked`` False).
    Returns ``{count, checked, cases: [{session_id, script, node, fact, at}]}``."""
    # The previous ask of the same fact in the session: searched back from the ask to
    # the session's first event (rowid - seq); asks are few per session.
    rows = conn.execute(
        """WITH a AS (
             SELECT e.rowid AS here, e.rowid - e.seq AS first, e.at, e.k, e.fact,
                    (SELECT max(p.rowid) FROM ev p
                     WHERE p.rowid BETWEEN e.rowid - e.seq AND e.rowid - 1
                       AND p.type = 'asked' AND p.fact = e.fact AND p.kind IS NULL)
                      AS prev
             FROM ev e
             WHERE e.type = 'asked' AND e.fact IS NOT NULL AND e.kind IS NULL)
           SELECT (SELECT f.session_id FROM ev f WHERE f.rowid = a.first), n.script, n.node,
                  a.fact, a.at,
                  (SELECT max(x.at) FROM ev x WHERE x.rowid > a.prev AND x.rowid < a.here
                     AND x.fact = a.fact AND x.type IN ('answered', 'confirmed')) AS learned
           FROM a LEFT JOIN nodes n ON n.k = a.k
           WHERE a.prev IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM ev x WHERE x.rowid > a.prev AND x.rowid < a.here
               AND (x.type = 'undone' OR (x.type = 'invalidated' AND x.fact = a.fact)))
           ORDER BY a.at""").fetchall()
    cases = []
    for session_id, script, node, fact, at, learned in rows:
        if library is not None and _allowed(library, script, node, fact, at, learned):
            continue
        cases.append({"session_id": session_id, "script": script, "node": node,
                      "fact": fact, "at": at})
    return {"count": len(cases), "checked": library is not None, "cases": cases[:50]}


def _allowed(library: Library, script: str, node: str, fact: str, at: float,
             learned: float | None) -> bool:
    """True when the library says this second ask was meant: reask always, or stale."""
    owner = library.scripts.get(script)
    decl = (owner.facts.get(fact) if owner is not None else None) or library.facts.get(fact)
    spot = owner.nodes.get(node) if owner is not None else None
    policy = (spot.reask if spot is not None else None) or (decl.reask if decl else "skip")
    if policy == "always":
        return True
    ttl = decl.ttl if decl is not None else None
    return ttl is not None and learned is not None and at >= learned + ttl
