"""Where a report reads from: a SQLite file in the store layout, opened read-only,
with the sessions in scope gathered once into a temporary table the figures join on."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..errors import StoreError
from .options import ReportOptions
from .schema import missing_columns


def sqlite_path(url: str) -> str | None:
    """The file behind a ``sqlite:///relative.db`` or ``sqlite:////absolute.db`` URL (or
    a bare path); None for another kind of store. StoreError for a malformed URL."""
    if "://" not in url:
        return url
    from ..stores import parse_url

    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    return parsed.path if parsed.scheme == "sqlite" else None


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open a store file read-only; StoreError when it is missing or not a store."""
    file = Path(path)
    if not file.is_file():
        raise StoreError(f"no session store at {file}: give an existing SQLite store file "
                         "(sqlite:///path/to/sessions.db)")
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        gaps = missing_columns(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} is not a readable SQLite session store ({exc})") from None
    if gaps:
        conn.close()
        raise StoreError(f"{file} is not a scriptflow session store: it has no "
                         f"{', '.join(gaps)}")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def select_sessions(conn: sqlite3.Connection, options: ReportOptions) -> float:
    """Fill ``temp.scope`` with the sessions the report covers and ``temp.undone`` with
    the event ranges ``back()`` reverted; returns the as-of time used for abandonment.

    ``scope.outcome`` is the session's result, ``abandoned`` (active and quiet for longer
    than the threshold) or ``in_progress``.
    """
    as_of = options.as_of if options.as_of is not None else time.time()
    where: list[str] = ["1"]
    params: list[object] = []
    if options.since is not None:
        where.append("started_at >= ?")
        params.append(options.since)
    if options.until is not None:
        where.append("started_at < ?")
        params.append(options.until)
    if options.script is not None:
        where.append("(script = ? OR id IN (SELECT session_id FROM events WHERE script = ?))")
        params.extend([options.script, options.script])
    conn.execute("DROP TABLE IF EXISTS temp.scope")
    conn.execute("DROP TABLE IF EXISTS temp.undone")
    conn.execute(
        "CREATE TEMP TABLE scope (id TEXT PRIMARY KEY, script TEXT, current_script TEXT, "
        "node TEXT, outcome TEXT, code TEXT, started_at REAL) WITHOUT ROWID")
    conn.execute(
        f"""INSERT INTO scope
            SELECT id, script, current_script, node,
                   CASE WHEN status = 'finished' THEN coalesce(result, 'unresolved')
                        WHEN updated_at < ? THEN 'abandoned' ELSE 'in_progress' END,
                   code, started_at
            FROM sessions WHERE {' AND '.join(where)}""",
        [as_of - options.abandoned_after, *params])
    conn.execute("CREATE TEMP TABLE undone (session_id TEXT, lo INTEGER, hi INTEGER)")
    conn.execute(
        """INSERT INTO undone
           SELECT e.session_id, CAST(json_extract(e.data, '$.from') AS INTEGER), e.seq
           FROM events e JOIN scope s ON s.id = e.session_id WHERE e.type = 'undone'""")
    conn.execute("CREATE INDEX temp.undone_session ON undone(session_id)")
    return as_of


# Appended to a WHERE on events ``e``: the event was not reverted by a later back().
KEPT = ("NOT EXISTS (SELECT 1 FROM undone u WHERE u.session_id = e.session_id "
        "AND e.seq >= u.lo AND e.seq < u.hi)")
