"""A folder of blobs keyed by content, so that unchanged script files are not parsed again.

Like ruff's ``.ruff_cache`` or mypy's ``.mypy_cache``, the cache lives beside the
project (``.scriptflow-cache/`` in the current folder) because what it holds is derived
from the project's own files; ``--cache-dir`` or ``$SCRIPTFLOW_CACHE_DIR`` move it,
``--no-cache`` or ``SCRIPTFLOW_NO_CACHE=1`` turn it off. The folder ignores itself for
git (a ``.gitignore`` of ``*``) and carries a ``CACHEDIR.TAG`` for backup tools.

Entries sit under a folder named by a *salt*: the scriptflow version, the schema, the
source of the per-file pipeline and the Python version. Anything that could change a
result changes the salt, so a stale entry is never read. Writes are atomic (a private
temporary file renamed into place), so concurrent processes never see half an entry.
Every failure to read or write is treated as a miss: the cache can make lint faster,
never make it fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time

from . import __version__

CACHE_FORMAT = 1  # bump when the layout or the pickled types change shape
DEFAULT_FOLDER = ".scriptflow-cache"
PRUNE_AFTER = 30 * 86_400.0  # entries unused this long are deleted by prune()
_PRUNE_EVERY = 86_400.0
_TOUCH_AFTER = 86_400.0
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by scriptflow.\n"
        "# For information about cache directory tags see https://bford.info/cachedir/\n")

# Folders (of the package) whose files decide a result: the per-file pipeline, the
# library-wide rules and the schema. Editing any of them, even without a new version,
# changes the salt.
PIPELINE_FOLDERS = ("", "format", "checks", "schemas")


def cache_disabled_by_env() -> bool:
    return os.environ.get("SCRIPTFLOW_NO_CACHE", "").strip().lower() in ("1", "true", "yes")


def default_cache_dir() -> str:
    return os.environ.get("SCRIPTFLOW_CACHE_DIR") or os.path.join(os.getcwd(), DEFAULT_FOLDER)


def content_key(raw: bytes) -> str:
    """The key of a file's bytes (not of a path: a moved or copied file still hits)."""
    return hashlib.sha256(raw).hexdigest()


def pipeline_salt() -> str:
    """A short hash of everything besides a file's bytes that its cached result depends on."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|{sys.version_info[:2]}".encode())
    package = os.path.dirname(os.path.abspath(__file__))
    for folder in PIPELINE_FOLDERS:
        where = os.path.join(package, folder)
        for name in sorted(os.listdir(where)):
            if name.endswith((".py", ".json")):
                with open(os.path.join(where, name), "rb") as handle:
                    digest.update(f"{folder}/{name}".encode() + b"\0" + handle.read())
    return digest.hexdigest()[:16]


class Cache:
    """Blobs under ``folder/<salt>/``; ``get`` and ``put`` never raise for I/O trouble."""

    def __init__(self, folder: str | os.PathLike[str], salt: str | None = None) -> None:
        self.root = os.fspath(folder)
        self.salt = salt or pipeline_salt()
        self.folder = os.path.join(self.root, f"v{CACHE_FORMAT}-{self.salt}")
        self._ready = False
        self._serial = 0

    def _path(self, kind: str, key: str) -> str:
        return os.path.join(self.folder, f"{kind}-{key}")

    def get(self, kind: str, key: str) -> bytes | None:
        path = self._path(kind, key)
        try:
            with open(path, "rb") as handle:
                blob = handle.read()
                # An entry's mtime says when it was last used (see prune); refreshed at
                # most daily, so a warm run costs a stat per entry, not a write.
                if time.time() - os.fstat(handle.fileno()).st_mtime > _TOUCH_AFTER:
                    with contextlib.suppress(OSError):
                        os.utime(path)
                return blob
        except OSError:
            return None

    def prune(self, max_age: float = PRUNE_AFTER, now: float | None = None) -> int:
        """Delete entries not used for ``max_age`` seconds (files of scripts long
        edited away, packs of old path lists); returns how many. Runs at most once a
        day per cache (a stamp file says when it last ran); never raises."""
        now = time.time() if now is None else now
        stamp = os.path.join(self.folder, ".pruned")
        try:
            if now - os.stat(stamp).st_mtime < _PRUNE_EVERY:
                return 0
        except OSError:
            pass  # never pruned (or no cache yet)
        removed = 0
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file():
                        continue
                    with contextlib.suppress(OSError):
                        if now - entry.stat().st_mtime > max_age:
                            os.unlink(entry.path)
                            removed += 1
            with open(stamp, "w", encoding="utf-8"):
                pass
            os.utime(stamp, (now, now))
        except OSError:
            pass
        return removed

    def put(self, kind: str, key: str, blob: bytes) -> None:
        """Write atomically: other processes see the old entry, the new one, or none."""
        self._serial += 1
        temporary = self._path(".tmp", f"{os.getpid()}-{self._serial}")
        try:
            self._prepare()
            with open(temporary, "wb") as handle:
                handle.write(blob)
            os.replace(temporary, self._path(kind, key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _prepare(self) -> None:
        if self._ready:
            return
        if not os.path.isdir(self.folder):
            fresh = not os.path.isdir(self.root)
            os.makedirs(self.folder, exist_ok=True)
            if fresh:
                _mark_cache_folder(self.root)
            self._drop_other_salts()
        self._ready = True

    def _drop_other_salts(self) -> None:
        """Entries of another version or source can never be read again: free the disk."""
        for entry in os.listdir(self.root):
            path = os.path.join(self.root, entry)
            ours = entry[:1] == "v" and entry[1:].split("-", 1)[0].isdigit()
            if ours and path != self.folder and os.path.isdir(path):
                import shutil

                shutil.rmtree(path, ignore_errors=True)


def _mark_cache_folder(root: str) -> None:
    for name, text in ((".gitignore", "# Created by scriptflow.\n*\n"), ("CACHEDIR.TAG", _TAG)):
        with contextlib.suppress(OSError), \
                open(os.path.join(root, name), "x", encoding="utf-8") as handle:
            handle.write(text)


def open_cache(enabled: bool = True, folder: str | os.PathLike[str] | None = None
               ) -> Cache | None:
    """The cache to use, or ``None`` when it is turned off (here or by the environment)."""
    if not enabled or cache_disabled_by_env():
        return None
    return Cache(folder if folder is not None else default_cache_dir())
