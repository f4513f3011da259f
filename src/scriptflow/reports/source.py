"""Where a report reads from: a SQLite file in the store layout, opened read-only,
with the events in scope gathered once into a temporary table the figures read."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..errors import CorruptSessionError, StoreError
from .options import ReportOptions
from .schema import missing_columns

# Event types that mean a session stood at the node the event names (an SQL list).
REACH = "('asked','skipped','handoff','called','outcome','returned')"


class StoreUsageError(StoreError):
    """The store named cannot be reported on as given: a malformed URL, no store file
    there, or a ``memory://`` store (empty in a new process). The caller's mistake, not
    the store's (the command line exits 2 for it, 1 for other StoreErrors)."""


def sqlite_path(url: str) -> str | None:
    """The file behind a ``sqlite:///relative.db`` or ``sqlite:////absolute.db`` URL (or
    a bare path); None for another kind of store. StoreUsageError for a malformed URL
    and for ``memory://``."""
    if "://" not in url:
        return url
    from ..stores import parse_url

    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise StoreUsageError(str(exc)) from None
    if parsed.scheme == "memory":
        # A memory store lives and dies with the process that opened it: a report opens
        # a new, empty one, and a report of 0 sessions would look like a quiet week.
        raise StoreUsageError(
            f"{url} holds sessions only inside the process that saved them, so a report "
            "opened on it finds none; report on the sqlite:/// or redis:// store the "
            "sessions are saved in (or, in that process, copy the memory store with "
            "scriptflow.stores.export_sqlite(store, 'sessions.db') and report on the file)")
    return parsed.path if parsed.scheme == "sqlite" else None


def store_url_of(store: str) -> str:
    """``store`` as a URL the ``scriptflow sessions`` commands take (a bare path is a
    SQLite file)."""
    return store if "://" in store else f"sqlite:///{store}"


def not_reported(exc: CorruptSessionError) -> CorruptSessionError:
    """``exc`` (whose message, made by the stores, says how to look at the session and
    remove it), adding that no report was made."""
    return CorruptSessionError(f"{exc}; no report was made", session_id=exc.session_id,
                               store=exc.store)


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open a store file read-only; StoreUsageError when it is missing, StoreError when
    it is not a store."""
    file = Path(path)
    if not file.is_file():
        where = "is a folder" if file.is_dir() else "does not exist"
        raise StoreUsageError(f"no session store at {file}: it {where}; give an existing "
                              "SQLite store file (sqlite:///path/to/sessions.db)")
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
    # Read the store through a memory map: gathering the events jumps from row to row
    # (events of sessions that overlap interleave), and a read() per page costs ~30 %
    # of it. Safe in WAL mode: no checkpoint shrinks the file under a reader.
    conn.execute("PRAGMA mmap_size = 1073741824")
    return conn


def select_sessions(conn: sqlite3.Connection, options: ReportOptions) -> float:
    """Gather what the figures read, once; returns the as-of time used for abandonment.

    ``temp.scope``: the sessions the report covers, ``outcome`` being the session's
    result, ``abandoned`` (active and quiet for longer than the threshold) or
    ``in_progress``. ``temp.nodes``: a number ``k`` for each (script, node) events
    name, so the figures group and sort small integers instead of pairs of strings
    (events without a node, such as ``undone``, have none).

    ``temp.ev``: the events in scope in (session_id, seq) order. As ``seq`` is the
    event's index in its session's log (every store numbers them so), a session's first
    event is at ``rowid - seq`` (the only row that keeps the ``session_id``; elsewhere
    ``rowid - seq`` tells sessions apart) and its next at ``rowid + 1`` when that row's
    seq is ``seq + 1``. The figures join on rowids instead of sorting or using window
    functions, both slow in SQLite at a million rows. The JSON particulars the figures
    use are pulled out into columns, and ``kept`` is 0 for events a later ``back()``
    reverted.
    """
    as_of = options.as_of if options.as_of is not None else time.time()
    if not conn.in_transaction:  # one snapshot while apps keep saving sessions
        conn.execute("BEGIN")
    where: list[str] = []
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
    for table in ("scope", "nodes", "ev"):  # dropping scope drops its index
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    # A narrow copy even when nothing is filtered: session rows are wide (``head``).
    conn.execute(
        f"""CREATE TEMP TABLE scope AS
            SELECT id, script, current_script, node,
                   CASE WHEN status = 'finished' THEN coalesce(result, 'unresolved')
                        WHEN updated_at < ? THEN 'abandoned' ELSE 'in_progress' END
                     AS outcome, code, started_at
            FROM sessions {'WHERE ' + ' AND '.join(where) if where else ''}""",
        [as_of - options.abandoned_after, *params])
    kept_out = ""
    if where:  # the index also tells in_scope() that sessions were left out
        conn.execute("CREATE INDEX temp.scope_id ON scope(id)")
        kept_out = "WHERE e.session_id IN (SELECT id FROM temp.scope)"
    conn.execute("CREATE TEMP TABLE nodes (k INTEGER PRIMARY KEY, script TEXT, node TEXT, "
                 "UNIQUE (script, node))")
    # Every node an event stands at, and the call nodes returns go back to. The unique
    # key drops repeats as the rows come, so nothing is sorted and no index on the
    # store's events is needed (a store keeps none beyond its key: each one would cost
    # every save a page written).
    conn.execute(
        """INSERT OR IGNORE INTO nodes (script, node)
           SELECT script, node FROM events WHERE node IS NOT NULL
           UNION ALL SELECT json_extract(data, '$.to_script'), json_extract(data, '$.to_node')
           FROM events WHERE type = 'returned'""")
    conn.execute(
        """CREATE TEMP TABLE ev (
             session_id TEXT, seq INTEGER, type TEXT, at REAL, k INTEGER, fact TEXT,
             value TEXT, to_script TEXT, to_k INTEGER, kind TEXT, source TEXT,
             back_to INTEGER, kept INTEGER)""")
    conn.execute(
        f"""INSERT INTO ev
           SELECT CASE WHEN e.seq = 0 THEN e.session_id END, e.seq, e.type, e.at, n.k,
                  e.fact, CASE WHEN e.type IN ('answered', 'confirmed') THEN e.value END,
                  CASE WHEN e.type IN ('handoff', 'called', 'returned')
                       THEN json_extract(e.data, '$.to_script') END,
                  CASE WHEN e.type = 'returned' THEN (
                    SELECT r.k FROM nodes r
                    WHERE r.script = json_extract(e.data, '$.to_script')
                      AND r.node = json_extract(e.data, '$.to_node')) END,
                  CASE WHEN e.type = 'asked' AND instr(e.data, '"confirm"') THEN 'confirm'
                  END,
                  CASE WHEN e.type = 'skipped' THEN json_extract(e.data, '$.source') END,
                  CASE WHEN e.type = 'undone'
                       THEN CAST(json_extract(e.data, '$.from') AS INTEGER) END,
                  1
           FROM events e LEFT JOIN nodes n ON n.script = e.script AND n.node = e.node
           {kept_out}
           ORDER BY e.session_id, e.seq""")
    # An undone event at seq hi reverts its session's events from seq back_to up to hi;
    # they sit just before it. (CROSS JOIN: the undone events first, each reverted range
    # read by rowid; the other way round is quadratic.)
    conn.execute(
        """UPDATE ev SET kept = 0 WHERE rowid IN (
             SELECT x.rowid FROM ev u CROSS JOIN ev x
               ON x.rowid BETWEEN u.rowid - u.seq + max(u.back_to, 0) AND u.rowid - 1
             WHERE u.type = 'undone' AND u.back_to IS NOT NULL)""")
    return as_of


def check_numbering(conn: sqlite3.Connection, store: str | None = None) -> None:
    """CorruptSessionError when a session's events are not numbered 0..n-1 (``store``:
    the store's URL or path, for the message saying how to fix it).

    Every figure counts on it (the store contract; seq is unique per session, so min 0
    and max n-1 say it): a gap would mix sessions up silently. One pass over the
    primary key index of the store's events, so it must be run on the connection that
    selected the sessions (the same snapshot)."""
    gap = conn.execute("SELECT session_id FROM events GROUP BY session_id "
                       "HAVING min(seq) != 0 OR max(seq) + 1 != count(*) LIMIT 1").fetchone()
    if gap is not None:
        why = ("its events are not numbered 0, 1, 2, … without gaps, as every scriptflow "
               "store numbers them (a row was deleted or renumbered outside scriptflow)")
        if not store:
            raise CorruptSessionError(f"stored session {gap[0]!r} is corrupt: {why}",
                                      session_id=gap[0])
        from ..stores.base import corrupt  # the stores' message, with how to fix it

        raise not_reported(corrupt(gap[0], why, store_url_of(store)))


def node_names(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    """``{k: (script, node)}`` of the ``nodes`` table."""
    return {k: (script, node) for k, script, node in conn.execute(
        "SELECT k, script, node FROM nodes")}


def in_scope(conn: sqlite3.Connection, alias: str) -> str:
    """A condition keeping rows of ``events`` (as ``alias``) whose session is in scope
    (``1`` when no filter left any out)."""
    filtered = conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'scope_id'"
                            ).fetchone()
    return f"{alias}.session_id IN (SELECT id FROM temp.scope)" if filtered else "1"
