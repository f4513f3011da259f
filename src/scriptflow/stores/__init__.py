"""Session stores: sessions that outlive requests, processes and app servers.

>>> from scriptflow.stores import open_store
>>> store = open_store("memory://")

URLs: ``memory://``; ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
(three slashes then the path, as SQLAlchemy writes them; ``?synchronous=full`` to fsync
every save); ``redis://host:port/db`` (``pip install 'scriptflow[redis]'``).

Only the URL helpers are imported with this package (the CLI builds its help from
them); the stores and the engine they need load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .urls import DEFAULT_URL, SCHEMES, StoreURL, parse_url

if TYPE_CHECKING:
    from ..engine.clock import Clock
    from .base import NoStoreError, SessionInfo, SessionNotFoundError, Store
    from .check import Stranded, stranded
    from .export import export_jsonl, export_sqlite

__all__ = ["DEFAULT_URL", "SCHEMES", "NoStoreError", "SessionInfo", "SessionNotFoundError",
           "Store", "StoreURL", "Stranded", "export_jsonl", "export_sqlite", "open_store",
           "parse_url", "stranded"]

_WHERE = {"NoStoreError": "base", "SessionInfo": "base", "SessionNotFoundError": "base",
          "Store": "base", "Stranded": "check", "stranded": "check", "export_jsonl": "export",
          "export_sqlite": "export"}


def __getattr__(name: str) -> Any:
    module_name = _WHERE.get(name)
    if module_name is None:
        raise AttributeError(f"module 'scriptflow.stores' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def open_store(url: str, *, clock: Clock | None = None, create: bool = True,
               **options: Any) -> Store:
    """Open the store a URL names (see the module docstring); ``clock`` is what
    ``updated_at``, ``list(older_than=)`` and ``expire`` read (the wall clock by default).
    ``create=False`` opens only a store that exists: a SQLite file that is missing or is
    not a store raises :class:`NoStoreError` and nothing is created (memory and Redis
    stores always exist).

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
        return SQLiteStore(parsed.path, url=url, clock=clock, create=create, **settings)
    from .redis import RedisStore

    return RedisStore(url, clock=clock, **options)
