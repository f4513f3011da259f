"""Session stores: sessions that outlive requests, processes and app servers.

>>> from scriptflow.stores import open_store
>>> store = open_store("memory://")

URLs: ``memory://``; ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
(three slashes then the path, as SQLAlchemy writes them; ``?synchronous=full`` to fsync
every save); ``redis://host:port/db`` (``pip install 'scriptflow[redis]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import SCHEMES, SessionInfo, SessionNotFoundError, Store, parse_url
from .check import Stranded, stranded
from .export import export_jsonl, export_sqlite

if TYPE_CHECKING:
    from ..engine.clock import Clock

DEFAULT_URL = "sqlite:///scriptflow-sessions.db"

__all__ = ["DEFAULT_URL", "SCHEMES", "SessionInfo", "SessionNotFoundError", "Store",
           "Stranded", "export_jsonl", "export_sqlite", "open_store", "parse_url",
           "stranded"]


def open_store(url: str, *, clock: Clock | None = None, **options: Any) -> Store:
    """Open the store a URL names (see the module docstring); ``clock`` is what
    ``updated_at``, ``list(older_than=)`` and ``expire`` read (the wall clock by default).

    Raises ValueError for a URL it does not understand (listing the supported schemes),
    ImportError with the install hint when the Redis extra is missing, and
    :class:`~scriptflow.StoreError` when the store cannot be opened.
    """
    parsed = parse_url(url)
    if parsed.scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore(url, clock=clock)
    if parsed.scheme == "sqlite":
        from .sqlite import SQLiteStore

        settings = {**dict(parsed.options), **options}
        return SQLiteStore(parsed.path, url=url, clock=clock, **settings)
    from .redis import RedisStore

    return RedisStore(url, clock=clock, **options)
