"""Agents' notes, searchable by word: what the scripts did not foresee."""

from __future__ import annotations

import sqlite3
from typing import Any

from .source import in_scope


def notes(conn: sqlite3.Connection, word: str | None, limit: int = 50) -> dict[str, Any]:
    """Agents' notes, newest first: all of them, or those containing ``word`` (any case).
    ``{query, total, matches: [{session_id, at, actor, script, node, text}]}``."""
    where, params = "", []
    if word:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where = "AND e.detail LIKE ? ESCAPE '\\'"
        params.append(f"%{escaped}%")
    base = f"""FROM events e
               WHERE e.type = 'note' AND {in_scope(conn, 'e')} {where}"""
    # One pass over the events (no index on type): the count rides along each row.
    rows = conn.execute(
        f"""SELECT e.session_id, e.at, e.actor, e.script, e.node, e.detail, count(*) OVER ()
            {base} ORDER BY e.at DESC, e.session_id, e.seq LIMIT ?""",
        [*params, limit]).fetchall()
    return {"query": word, "total": rows[0][-1] if rows else 0,
            "matches": [{"session_id": sid, "at": at, "actor": actor, "script": script,
                         "node": node, "text": text}
                        for sid, at, actor, script, node, text, _total in rows]}
