"""The part of the store layout reports read (``scriptflow.stores.sqlite.SCHEMA``).

Other stores export to this layout first (``scriptflow.stores.export_sqlite``), so one
set of SQL queries serves every store.
"""

from __future__ import annotations

import sqlite3

# The columns each query relies on: checked up front so a wrong file gets one clear error.
NEEDED = {
    "sessions": {"id", "script", "current_script", "node", "status", "result", "code",
                 "started_at", "updated_at"},
    "events": {"session_id", "seq", "type", "at", "actor", "script", "node", "fact",
               "value", "detail", "data"},
}


def missing_columns(conn: sqlite3.Connection) -> list[str]:
    """``table.column`` names the reports need and the file lacks (empty when all is well)."""
    gaps: list[str] = []
    for table, columns in NEEDED.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        gaps.extend(f"{table}.{c}" for c in sorted(columns - have))
    return gaps
