"""MemoryStore: sessions in this process only (tests, demos, one-shot tools).

It keeps the same JSON texts the other stores write, so a loaded session never shares
objects with the stored one and corrupt data behaves as it does elsewhere.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine.clock import Clock
from ..engine.session import Session
from .base import (
    Merge,
    OnCorrupt,
    RawSession,
    Salvaged,
    SessionInfo,
    SessionNotFoundError,
    Store,
    conflict,
    corrupt,
    in_window,
    parse_events,
    salvage,
)
from .delta import Pending, event_json


@dataclass(slots=True)
class _Stored:
    info: SessionInfo
    head: str
    events: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


class MemoryStore(Store):
    """A dict of sessions behind a lock: compare-and-set holds across threads."""

    def __init__(self, url: str = "memory://", clock: Clock | None = None) -> None:
        super().__init__(url, clock)
        self._lock = threading.Lock()
        self._sessions: dict[str, _Stored] = {}
        self._customer_data: dict[str, tuple[int, float, str]] = {}

    def _write(self, info: SessionInfo, expected: int, pending: Pending, session: Session,
               merge: Merge | None) -> None:
        with self._lock:
            stored = self._sessions.get(info.id)
            version = stored.info.version if stored is not None else 0
            if version != expected:
                raise conflict(info.id, expected, None if stored is None else version)
            count = len(stored.events) if stored is not None else 0
            if count > len(session.events):
                raise corrupt(info.id, f"the store has {count} events, the session "
                                       f"{len(session.events)}", self.url)
            if pending.log_from is not None and stored is not None \
                    and len(stored.log) != pending.log_from:
                raise corrupt(info.id, f"the store has {len(stored.log)} state records "
                                       f"where version {expected} had {pending.log_from}",
                              self.url)
            new = [event_json(e) for e in session.events[count:]]
            tracker = None
            if merge is not None:
                old = self._customer_data.get(info.customer or "")
                tracker = merge(old[2] if old else None)
            if stored is None:
                stored = self._sessions[info.id] = _Stored(info, pending.head, new)
            else:
                stored.info = dataclasses.replace(
                    info, script=stored.info.script, started_at=stored.info.started_at,
                    customer=info.customer or stored.info.customer)
                stored.head = pending.head
                stored.events.extend(new)
            if pending.base:
                stored.log.clear()
            if pending.record is not None:
                stored.log.append(pending.record)
            if tracker is not None and info.customer is not None:
                old = self._customer_data.get(info.customer)
                self._customer_data[info.customer] = ((old[0] if old else 0) + 1,
                                                      info.updated_at, tracker)

    def _read(self, session_id: str, events: bool = True) -> RawSession:
        with self._lock:
            stored = self._sessions.get(session_id)
            if stored is None:
                raise SessionNotFoundError(session_id, self.url)
            texts = list(stored.events) if events else []
            info, head, log = stored.info, stored.head, list(stored.log)
        return RawSession(info.version, head, parse_events(session_id, texts, self.url),
                          info.customer, log)

    def _list(self, script: str | None, status: str | None, cutoff: float | None,
              limit: int | None, on_corrupt: OnCorrupt | None = None) -> list[SessionInfo]:
        # listing fields are kept as objects here: nothing to find corrupt
        with self._lock:
            infos = [s.info for s in self._sessions.values()]
        found = sorted((i for i in infos if (script is None or i.script == script)
                        and (status is None or i.status == status)
                        and (cutoff is None or i.updated_at < cutoff)),
                       key=lambda i: (-i.updated_at, i.id))
        return found if limit is None else found[:limit]

    def _info(self, session_id: str) -> SessionInfo | None:
        with self._lock:
            stored = self._sessions.get(session_id)
        return None if stored is None else stored.info

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def _expire(self, cutoff: float) -> int:
        with self._lock:
            old = [sid for sid, s in self._sessions.items() if s.info.updated_at < cutoff]
            for sid in old:
                del self._sessions[sid]
        return len(old)

    def _events(self, session_id: str | None, since: float | None,
                until: float | None) -> Iterator[dict[str, Any]]:
        with self._lock:
            if session_id is not None:
                chosen = {session_id: self._sessions[session_id]} \
                    if session_id in self._sessions else {}
            else:
                chosen = dict(self._sessions)
            texts = {sid: list(s.events) for sid, s in chosen.items()}
        out: list[dict[str, Any]] = []
        for sid, items in texts.items():
            for seq, event in enumerate(parse_events(sid, items, self.url)):
                if in_window(float(event.get("at", 0)), since, until):
                    out.append({**event, "session_id": sid, "seq": seq})
        out.sort(key=lambda e: (e["at"], e["session_id"], e["seq"]))
        return iter(out)

    def _salvage(self, session_id: str) -> Salvaged:
        with self._lock:
            stored = self._sessions.get(session_id)
            if stored is None:
                raise SessionNotFoundError(session_id, self.url)
            texts = list(stored.events)
        return salvage(texts)

    def _customer_raw(self, customer: str) -> str | None:
        with self._lock:
            stored = self._customer_data.get(customer)
        return stored[2] if stored else None

    def customers(self) -> Iterator[tuple[str, int, float, str]]:
        with self._lock:
            items = list(self._customer_data.items())
        return iter([(key, v, at, text) for key, (v, at, text) in sorted(items)])

    def forget_customer(self, customer: str) -> bool:
        with self._lock:
            return self._customer_data.pop(customer, None) is not None

    def close(self) -> None:
        """Nothing to release: the sessions live as long as the store object."""

    # test hook: tests corrupt stored data the way a broken disk or a bad deploy would
    def _raw_slot(self, session_id: str) -> _Stored:
        return self._sessions[session_id]
