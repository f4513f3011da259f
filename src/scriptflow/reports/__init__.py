"""Reports for support managers (SPEC §7): what customers call about, where scripts lose
them, which answers dominate and how many repeated questions were spared.

The figures are computed by SQL over a store's SQLite file (other stores are exported to
one first) and returned as plain data; renderers turn that data into text, JSON or a
self-contained HTML page::

    from scriptflow.reports import ReportOptions, make_report, render
    data = make_report("sqlite:///var/sessions.db", ReportOptions(script="internet-down"))
    html = render(data, "html")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import CorruptSessionError, StoreError
from .figures import FORMAT, build_report
from .options import ReportOptions, parse_duration, parse_time
from .render import RENDERERS, render
from .source import StoreUsageError, connect, not_reported, sqlite_path

if TYPE_CHECKING:
    from ..library import Library

__all__ = ["FORMAT", "RENDERERS", "ReportOptions", "StoreUsageError", "make_report",
           "parse_duration", "parse_time", "render", "sqlite_file"]


def make_report(store: str | os.PathLike[str], options: ReportOptions | None = None,
                library: Library | None = None) -> dict[str, Any]:
    """Every figure over the sessions in ``store`` (a store URL or a SQLite file path).

    ``library`` (optional) adds titles, the nodes nobody reached, the walking order and
    what ``reask``/``ttl`` allow when counting facts asked twice. Raises StoreError for a
    store that cannot be read: StoreUsageError when the URL is malformed, names no store
    file or names a ``memory://`` store (empty in a new process), CorruptSessionError
    (saying which session and how to remove it) when a stored session is corrupt.
    """
    where = os.fspath(store)
    with sqlite_file(where) as path:
        conn = connect(path)
        try:
            return build_report(conn, options or ReportOptions(), library, where)
        finally:
            conn.close()


@contextlib.contextmanager
def sqlite_file(store: str) -> Iterator[str]:
    """The SQLite file to report on: the store's own, or a temporary export of a
    memory or Redis store (``scriptflow.stores.export_sqlite``), removed afterwards."""
    path = sqlite_path(store)
    if path is not None:
        yield path
        return
    try:
        from ..stores import export_sqlite, open_store
    except ImportError:
        raise StoreError(f"cannot read {store}: this scriptflow has no session stores "
                         "to export it from; report on a sqlite:/// store") from None
    with tempfile.TemporaryDirectory(prefix="scriptflow-report-") as folder:
        target = os.path.join(folder, "export.db")
        try:
            opened = open_store(store)
        except ValueError as exc:  # a URL its backend cannot parse (redis://host:port)
            raise StoreUsageError(f"{store}: {exc}") from None
        try:
            export_sqlite(opened, target)
        except CorruptSessionError as exc:
            raise not_reported(exc) from None
        finally:
            opened.close()
        yield target
