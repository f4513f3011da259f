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
    # The figures sort and group up to millions of rows in temporary tables: keep them in
    # memory, and let the sorter use up to 256 MiB before it merges in passes.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -262144")
    return conn


def select_sessions(conn: sqlite3.Connection, options: ReportOptions) -> float:
    """Gather what the figures read, once; returns the as-of time used for abandonment.

    ``temp.scope``: the sessions the report covers, ``outcome`` being the session's
    result, ``abandoned`` (active and quiet for longer than the threshold) or
    ``in_progress``. ``temp.ev``: their events in (session_id, seq) order, so that
    ``rowid + 1`` is the session's next event (when its session_id matches): the
    figures join on that instead of window functions, which SQLite computes slowly.
    The JSON particulars the figures use are pulled out into columns, and ``kept`` is
    0 for events a later ``back()`` reverted.
    """
    as_of = options.as_of if options.as_of is not None else time.time()
    if not conn.in_transaction:  # one snapshot while apps keep saving sessions
        conn.execute("BEGIN")
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
    for table in ("scope", "undone", "ev"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
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
    conn.execute(
        """CREATE TEMP TABLE ev (
             session_id TEXT, seq INTEGER, type TEXT, at REAL, script TEXT, node TEXT,
             fact TEXT, value TEXT, to_script TEXT, to_node TEXT, kind TEXT, source TEXT,
             detail TEXT, actor TEXT, kept INTEGER)""")
    conn.execute(
        """INSERT INTO ev
           SELECT e.session_id, e.seq, e.type, e.at, e.script, e.node, e.fact, e.value,
                  CASE WHEN e.type IN ('handoff', 'called', 'returned')
                       THEN json_extract(e.data, '$.to_script') END,
                  CASE WHEN e.type = 'returned' THEN json_extract(e.data, '$.to_node') END,
                  CASE WHEN e.type = 'asked' AND instr(e.data, '"confirm"') THEN 'confirm'
                  END,
                  CASE WHEN e.type = 'skipped' THEN json_extract(e.data, '$.source') END,
                  CASE WHEN e.type = 'note' THEN e.detail END,
                  CASE WHEN e.type = 'note' THEN e.actor END,
                  NOT EXISTS (SELECT 1 FROM undone u WHERE u.session_id = e.session_id
                              AND e.seq >= u.lo AND e.seq < u.hi)
           FROM scope s JOIN events e ON e.session_id = s.id
           ORDER BY e.session_id, e.seq""")
    return as_of
