"""What a store writes on a save: a head of constant size, and what changed since.

A stored session is three things:

- the **head**, rewritten on every save (format 2; see ``HEAD_FORMAT``)::

    {"format": 2, "id", "actor", "started_at",
     "scripts": {"<sid>": {"hash": "sha256:…", "nodes": {<fingerprints of the stack's nodes>}}},
     "stack", "mode", "outcome", "event_count": N, "log": M, "trail"?: [...]}

  Nothing in it grows with the answers (``trail`` exists only for traced sessions);
- the **events**, appended;
- the **state log**, appended: one record per save that changed the tracker or back()'s
  log::

    {"base"?: true, "drop"?: n, "undo"?: [<undo records as in to_dict()>],
     "set"?: {"<fact>": <Known.to_dict()> | null},
     "nodes"?: {"<sid>": {"hash", "nodes": {<fingerprints of the nodes those undo
                                             records go back to>}}}}

  Replayed in order (``base`` starts afresh; ``drop`` pops undo records, as back() did)
  it gives the tracker, back()'s log and the fingerprints of every position back() can
  return to; with the head and the events that is exactly ``Session.to_dict()``
  (format 1), which :func:`expand` rebuilds for loading.

Which facts changed needs no scan of the tracker: a step's undo record names every fact
the step changed (back() could not restore them otherwise), so a save writes the facts
of the undo records pushed or popped since the last one. What else changes a tracker
(starting, resuming against a changed library) happens before a store has a
:class:`Saved` for the session, so that save writes a ``base`` record of everything.
Heads of format 1 (the whole ``to_dict(events=False)``, written by earlier versions)
are still read; the next save writes format 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..engine.flow import Frame
from ..engine.serial import HEAD_FORMAT, entry_dict, fingerprint, undo_dict, undo_frames, undo_keys
from ..engine.session import Session
from ..engine.tracker import entries_of
from ..errors import ResumeError

# One encoder for every save (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
to_json = _ENCODER.encode


@dataclass(slots=True)
class Saved:
    """What a store knows it holds of one live session object, as of ``version``."""

    version: int
    events: int                # events stored
    log: int                   # state log records stored
    undos: list[Any]           # the session's undo records then (compared by identity)
    frames: set[Frame]         # positions fingerprinted in the log since its base


@dataclass(slots=True)
class Pending:
    """One save, ready to write."""

    head: str                  # JSON of the head
    record: str | None         # JSON of the state log record to append, or None
    base: bool                 # the record replaces the whole state log
    events_from: int | None    # events stored at the expected version (None: unknown)
    log_from: int | None       # state records stored then (None: unknown, with base)
    after: Saved               # what the store holds once this is written


def prepare(session: Session, saved: Saved | None) -> Pending:
    """The save of ``session`` given what the store holds (None: unknown)."""
    undos = session._undos
    record: dict[str, Any] | None
    if saved is None:
        record, frames = _base(session)
        base, log = True, 1
        events_from: int | None = 0 if session.version == 0 else None
        log_from = None
    else:
        record, frames = _changes(session, saved)
        base, events_from, log_from = False, saved.events, saved.log
        log = saved.log + (record is not None)
    count = len(session.events)
    text = None if record is None else to_json(record)
    return Pending(head(session, count, log), text, base, events_from, log_from,
                   Saved(session.version + 1, count, log, list(undos), frames))


def head(session: Session, event_count: int, log: int) -> str:
    """The head's JSON: the same size after the 1st answer as after the 500th."""
    lib, used = session._lib, session._used
    scripts: dict[str, dict[str, Any]] = {}
    for sid, digest in used.items():
        scripts[sid] = {"hash": digest, "nodes": {}}
    for sid, nid in session._stack:
        info = scripts.get(sid)
        if info is None:
            info = scripts[sid] = {"hash": lib.scripts[sid].content_hash, "nodes": {}}
        info["nodes"][nid] = fingerprint(lib, sid, nid)
    outcome = session._outcome
    data: dict[str, Any] = {
        "format": HEAD_FORMAT, "id": session.id, "actor": session.actor,
        "started_at": session.started_at, "scripts": scripts,
        "stack": session._stack, "mode": session._mode,
        "outcome": None if outcome is None else {
            "result": outcome.result, "code": outcome.code, "script": outcome.script,
            "node": outcome.node, "message": outcome.message},
        "event_count": event_count, "log": log}
    if session._trail is not None:
        data["trail"] = session._trail
    return to_json(data)


def _nodes(session: Session, frames: set[Frame]) -> dict[str, Any]:
    lib, used = session._lib, session._used
    out: dict[str, dict[str, Any]] = {}
    for sid, nid in frames:
        info = out.get(sid)
        if info is None:
            digest = used.get(sid) or lib.scripts[sid].content_hash
            info = out[sid] = {"hash": digest, "nodes": {}}
        info["nodes"][nid] = fingerprint(lib, sid, nid)
    return out


def _base(session: Session) -> tuple[dict[str, Any], set[Frame]]:
    """A record of the whole state: the tracker, back()'s log, their positions."""
    undos = session._undos
    record: dict[str, Any] = {"base": True}
    frames: set[Frame] = set()
    for item in undos:
        frames.update(undo_frames(item))
    if undos:
        record["undo"] = [undo_dict(r) for r in undos]
    entries = entries_of(session._tracker)
    if entries:
        record["set"] = {k: entry_dict(e) for k, e in entries.items()}
    if frames:
        record["nodes"] = _nodes(session, frames)
    return record, frames


def _changes(session: Session, saved: Saved) -> tuple[dict[str, Any] | None, set[Frame]]:
    """The record of what changed since ``saved`` (None: nothing), and the positions
    fingerprinted in the log after it."""
    undos, old = session._undos, saved.undos
    # Records are pushed and popped at the end only, so the first shared one from the
    # top marks where the two logs part (usually at once: one answer, one push).
    common = min(len(old), len(undos))
    while common and old[common - 1] is not undos[common - 1]:
        common -= 1
    dropped, pushed = old[common:], undos[common:]
    if not dropped and not pushed:
        return None, saved.frames
    record: dict[str, Any] = {}
    if dropped:
        record["drop"] = len(dropped)
    keys: list[str] = []
    for item in dropped:
        keys += undo_keys(item)
    frames = saved.frames
    if pushed:
        record["undo"] = [undo_dict(r) for r in pushed]
        new: set[Frame] = set()
        for item in pushed:
            keys += undo_keys(item)
            new.update(undo_frames(item))
        new -= frames
        if new:
            frames = frames | new
            record["nodes"] = _nodes(session, new)
    entries = entries_of(session._tracker)
    sets: dict[str, Any] = {}
    for key in keys:
        entry = entries.get(key)
        sets[key] = None if entry is None else entry_dict(entry)
    record["set"] = sets
    return record, frames


def expand(head: dict[str, Any], records: list[str]) -> tuple[dict[str, Any], set[Frame]]:
    """A format-2 head and its state log as ``to_dict(events=False)`` (format 1), and
    the positions fingerprinted in the log since its last base. Raises
    :class:`ResumeError` for malformed data (the loader then checks the rest)."""
    facts: dict[str, Any] = {}
    undo: list[Any] = []
    nodes: dict[str, dict[str, Any]] = {}
    for index, text in enumerate(records):
        where = f"state record {index}"
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise ResumeError(f"{where} is not JSON ({exc})") from None
        if type(record) is not dict:
            raise ResumeError(f"{where} is not a mapping")
        if record.get("base"):
            facts.clear()
            undo.clear()
            nodes.clear()
        drop = record.get("drop", 0)
        if type(drop) is not int or not 0 <= drop <= len(undo):
            raise ResumeError(f"{where} drops {drop!r} of {len(undo)} undo records")
        del undo[len(undo) - drop:]
        more = record.get("undo", [])
        sets = record.get("set", {})
        scripts = record.get("nodes", {})
        if type(more) is not list or type(sets) is not dict or type(scripts) is not dict:
            raise ResumeError(f"{where} is malformed")
        undo += more
        for key, entry in sets.items():
            if entry is None:
                facts.pop(key, None)
            else:
                facts[key] = entry
        for sid, info in scripts.items():
            if type(info) is not dict or type(info.get("hash")) is not str \
                    or type(info.get("nodes")) is not dict:
                raise ResumeError(f"{where} has malformed fingerprints of {sid!r}")
            have = nodes.setdefault(sid, {"hash": info["hash"], "nodes": {}})
            have["nodes"].update(info["nodes"])
    if head.get("log") != len(records):
        raise ResumeError(f"the head counts {head.get('log')!r} state records but "
                          f"{len(records)} were stored")
    scripts_now = head.get("scripts")
    if type(scripts_now) is not dict:
        raise ResumeError("session has no 'scripts'")
    merged: dict[str, Any] = {}
    for sid, info in scripts_now.items():
        if type(info) is not dict or type(info.get("nodes", {})) is not dict:
            raise ResumeError(f"scripts.{sid} is malformed")
        merged[sid] = {**info, "nodes": dict(info.get("nodes", {}))}
    frames: set[Frame] = set()
    for sid, info in nodes.items():
        target = merged.setdefault(sid, {"hash": info["hash"], "nodes": {}})
        for nid, print_ in info["nodes"].items():
            target["nodes"].setdefault(nid, print_)
            frames.add((sid, nid))
    data = {key: value for key, value in head.items() if key != "log"}
    data.update(format=1, scripts=merged, undo=undo,
                tracker={"format": 1, "facts": dict(sorted(facts.items()))})
    return data, frames
