"""Store URLs: which backend, and what it needs to open (no heavy imports here)."""

from __future__ import annotations

from dataclasses import dataclass

# Where ``scriptflow run --store``/``--resume`` and ``scriptflow sessions`` look by default
# (after $SCRIPTFLOW_STORE): a SQLite file in the current folder.
DEFAULT_URL = "sqlite:///scriptflow-sessions.db"

SCHEMES = ("memory://", "sqlite:///PATH", "redis://HOST:PORT/DB", "rediss://…")


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A parsed store URL: the backend and what it needs to open."""

    scheme: str            # 'memory' | 'sqlite' | 'redis'
    url: str
    path: str = ""         # sqlite: the file
    options: tuple[tuple[str, str], ...] = ()


def parse_url(url: str) -> StoreURL:
    """Parse ``memory://``, ``sqlite:///relative.db``, ``sqlite:////absolute.db``
    (``?synchronous=full``) or ``redis://host:port/db``; ValueError names what is wrong."""
    from urllib.parse import parse_qsl, urlsplit

    if not isinstance(url, str) or "://" not in url:
        raise ValueError(f"{url!r} is not a store URL; use one of {', '.join(SCHEMES)} "
                         "(for a file: sqlite:///sessions.db)")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        return StoreURL("memory", url)
    if scheme in ("redis", "rediss", "unix"):
        return StoreURL("redis", url)
    if scheme == "sqlite":
        rest = url[len("sqlite://"):]
        if not rest.startswith("/") or len(rest) < 2:
            raise ValueError(f"{url!r}: a SQLite URL names a file: sqlite:///relative.db "
                             "or sqlite:////absolute/path.db")
        parts = urlsplit("sqlite://" + rest)
        options = tuple(parse_qsl(parts.query))
        for key, _value in options:
            if key != "synchronous":
                raise ValueError(f"{url!r}: unknown option {key!r} (known: synchronous)")
        return StoreURL("sqlite", url, parts.path[1:], options)
    raise ValueError(f"unknown store scheme {scheme!r} in {url!r}; supported: "
                     f"{', '.join(SCHEMES)}")
