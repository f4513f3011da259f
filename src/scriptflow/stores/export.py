"""Copy any store's sessions out: to a SQLite file with the reports schema, or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .base import Store


def export_sqlite(store: Store, path: str) -> int:
    """Write every session (head, events, listing fields) and customer tracker of
    ``store`` to the SQLite file ``path`` (created if needed; sessions already there
    with the same id are replaced). Returns how many sessions were written. Reports
    run SQL on the result as on a :class:`SQLiteStore` file."""
    from .sqlite import SQLiteStore

    count = 0
    with SQLiteStore(path) as target:
        for info in store.list():
            raw = store._read(info.id)
            target.put_raw(info, raw.head, raw.events, raw.log)
            count += 1
        for key, version, updated_at, tracker in store.customers():
            target.put_customer(key, version, updated_at, tracker)
    return count


def export_jsonl(events: Iterator[dict[str, Any]], out: TextIO) -> int:
    """Write event dicts (``store.events()``) one JSON object a line; returns how many."""
    count = 0
    for event in events:
        out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
