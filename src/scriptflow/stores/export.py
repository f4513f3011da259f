"""Copy any store's sessions out: to a SQLite file with the reports schema, or JSON lines."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import CorruptSessionError

if TYPE_CHECKING:
    from .base import OnCorrupt, Store


def export_sqlite(store: Store, path: str, *, on_corrupt: OnCorrupt | None = None) -> int:
    """Write every session (head, events, listing fields) and customer tracker of
    ``store`` to the SQLite file ``path`` (created if needed; sessions already there
    with the same id are replaced). Returns how many sessions were written. Reports
    run SQL on the result as on a :class:`SQLiteStore` file.

    All or nothing: the export is written to a temporary file beside ``path`` and
    renamed over it only once complete, so a failure leaves ``path`` as it was. A
    session that cannot be read raises :class:`CorruptSessionError`; with
    ``on_corrupt`` it is handed that error instead and left out of the export.
    ValueError when ``path`` cannot take the export: the store's own file, or a file
    that is not a scriptflow store."""
    from .base import NoStoreError, SessionNotFoundError
    from .sqlite import SQLiteStore

    target = os.path.abspath(path)
    source = getattr(store, "path", None)
    if source is not None and os.path.exists(target) and os.path.samefile(source, target):
        raise ValueError(f"cannot export {store.url} into {path}: that is the store itself; "
                         "nothing was written: give another file")
    folder, name = os.path.split(target)
    # A dot name in the same folder: the rename is atomic, and listings skip it.
    temp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        # Sessions already in the file stay (an empty file, as `touch` leaves, is new).
        existing = os.path.isfile(target) and os.path.getsize(target) > 0
        if existing:
            _copy(target, temp)
        count = 0
        try:
            copy = SQLiteStore(temp, create=not existing)
        except NoStoreError:
            raise ValueError(f"cannot export into {path}: it is not a scriptflow session "
                             "store; nothing was written: give a new file or an earlier "
                             "export") from None
        with copy:
            for info in store.list(on_corrupt=on_corrupt):
                try:
                    raw = store._read(info.id)
                except SessionNotFoundError:
                    continue  # deleted or expired since it was listed
                except CorruptSessionError as exc:
                    if on_corrupt is None:
                        raise
                    on_corrupt(exc)
                    continue
                copy.put_raw(info, raw.head, raw.events, raw.log)
                count += 1
            for key, version, updated_at, tracker in store.customers():
                copy.put_customer(key, version, updated_at, tracker)
        if existing:
            shutil.copymode(target, temp)
        os.replace(temp, target)
    except BaseException:
        for leftover in (temp, temp + "-wal", temp + "-shm"):
            _remove(leftover)
        raise
    finally:
        _remove(temp + ".lock")  # the writers' queue of the temporary file: never shared
    return count


def _copy(source: str, temp: str) -> None:
    """A consistent copy of the SQLite file ``source``, what its WAL holds included.

    Read with a read-write connection that writes nothing: a read-only one would leave
    ``-wal``/``-shm`` files behind, which would then sit beside the renamed export."""
    import sqlite3

    src = dst = None
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(temp)
        src.backup(dst)
    except sqlite3.Error as exc:
        raise ValueError(f"cannot export into {source}: it is not a readable SQLite file "
                         f"({exc}); nothing was written: give a new file") from None
    finally:
        for conn in (src, dst):
            if conn is not None:
                conn.close()


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def export_jsonl(events: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write event dicts (``store.events()``) one JSON object a line; returns how many."""
    count = 0
    for event in events:
        out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
