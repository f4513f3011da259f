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
import math
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from ..engine.events import Event
from ..engine.flow import Frame
from ..engine.plan import NodePlan
from ..engine.serial import HEAD_FORMAT, fingerprint, per_library, undo_frames, undo_keys
from ..engine.session import Session
from ..engine.step import undo_parts
from ..engine.tracker import entries_of
from ..errors import ResumeError

# One encoder for every save (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
to_json = _ENCODER.encode
_str = encode_basestring  # a str as JSON, quotes included (C code)
_FINGERPRINTS = "_store_fingerprint_json"


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
    record: str | None
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
    return Pending(head(session, count, log), record, base, events_from, log_from,
                   Saved(session.version + 1, count, log, list(undos), frames))


# -- JSON, written out by hand ---------------------------------------------------------
# A save is mostly small, fixed shapes; writing them as text costs a fraction of
# json.dumps on dicts (tests check the text against json.dumps).

def scalar_json(value: Any) -> str:
    """A str, bool, int, float or None as JSON."""
    kind = type(value)
    if kind is str:
        return _str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)  # what json writes
    return to_json(value)


_KINDS: dict[str, str] = {}  # the JSON of {"kind": …}, the data of most events


def data_json(data: dict[str, Any] | None) -> str | None:
    """An event's ``data`` as JSON (None when empty, as Event.to_dict leaves it out)."""
    if not data:
        return None
    if len(data) == 1:
        kind = data.get("kind")
        if type(kind) is str:
            text = _KINDS.get(kind)
            if text is None:
                text = to_json(data)
                if len(_KINDS) < 64:
                    _KINDS[kind] = text
            return text
    return to_json(data)


def event_json(event: Event) -> str:
    """``to_json(event.to_dict())``, written directly."""
    parts = ['{"type":', _str(event.type), ',"at":', scalar_json(event.at), ',"actor":',
             _str(event.actor)]
    if event.script is not None:
        parts += ',"script":', _str(event.script)
    if event.node is not None:
        parts += ',"node":', _str(event.node)
    if event.fact is not None:
        parts += ',"fact":', _str(event.fact)
    if event.value is not None:
        parts += ',"value":', scalar_json(event.value)
    if event.detail:
        parts += ',"detail":', _str(event.detail)
    data = data_json(event.data)
    if data is not None:
        parts += ',"data":', data
    parts.append("}")
    return "".join(parts)


def _entry_json(entry: Any) -> str:
    if entry is None:
        return "null"
    value, source, script, node, learned_at, stale_at = entry
    return "".join(('{"value":', scalar_json(value), ',"source":', _str(source),
                    ',"script":', scalar_json(script), ',"node":', scalar_json(node),
                    ',"learned_at":', scalar_json(learned_at), ',"stale_at":',
                    scalar_json(stale_at), "}"))


def _frames_json(frames: tuple[Frame, ...]) -> str:
    return "[" + ",".join(f"[{_str(sid)},{_str(nid)}]" for sid, nid in frames) + "]"


def _undo_json(record: Any, plans: list[NodePlan]) -> str:
    """An undo record as in to_dict()'s ``undo``; a step's own record read in place."""
    if type(record) is tuple:  # a step's answer record (see engine.step.undo_parts)
        stack, mode, key, previous, events = undo_parts(record, plans)
        facts = _str(key) + ":" + _entry_json(previous)
    else:
        facts = ",".join(_str(k) + ":" + _entry_json(e) for k, e in record.facts)
        stack, mode, events = record.stack, record.mode, record.events
    return "".join(('{"stack":', _frames_json(stack), ',"mode":', _str(mode), ',"facts":{',
                    facts, '},"events":', str(int(events)), "}"))


def _fingerprint_json(session: Session, sid: str, nid: str) -> str:
    lib = session._lib
    cache = per_library(lib, _FINGERPRINTS)
    text: str | None = cache.get((sid, nid))
    if text is None:
        text = cache[(sid, nid)] = to_json(fingerprint(lib, sid, nid))
    return text


def _scripts_json(session: Session, frames: Any, every_used: bool) -> str:
    """``{"<sid>": {"hash", "nodes": {<fingerprints of frames>}}}`` (with every script
    used, fingerprinted or not, when ``every_used``)."""
    lib, used = session._lib, session._used
    by_script: dict[str, list[str]] = {sid: [] for sid in used} if every_used else {}
    for sid, nid in frames:
        by_script.setdefault(sid, []).append(
            _str(nid) + ":" + _fingerprint_json(session, sid, nid))
    return "{" + ",".join(
        "".join((_str(sid), ':{"hash":',
                 _str(used.get(sid) or lib.scripts[sid].content_hash), ',"nodes":{',
                 ",".join(nodes), "}}"))
        for sid, nodes in by_script.items()) + "}"


def _position_json(session: Session) -> str:
    """The head's ``scripts`` and ``stack``: the same for every session standing where
    this one stands, so kept per library."""
    lib, stack = session._lib, session._stack
    key = (stack, tuple(session._used.items()))
    cache = per_library(lib, _POSITIONS)
    if len(cache) > 10_000:  # bounded: calls make stacks many
        cache.clear()
    text: str | None = cache.get(key)
    if text is None:
        text = cache[key] = "".join((
            ',"scripts":', _scripts_json(session, dict.fromkeys(stack), True),
            ',"stack":', _frames_json(stack)))
    return text


_POSITIONS = "_store_position_json"


def _nodes_json(session: Session, frames: set[Frame]) -> str:
    """A state record's ``nodes``; one node's (every answer's case) kept per library."""
    if len(frames) > 1:
        return _scripts_json(session, sorted(frames), False)
    frame = next(iter(frames))
    key = (frame, session._used.get(frame[0]))
    cache = per_library(session._lib, _POSITIONS)
    text: str | None = cache.get(key)
    if text is None:
        text = cache[key] = _scripts_json(session, frames, False)
    return text


def head(session: Session, event_count: int, log: int) -> str:
    """The head's JSON: the same size after the 1st answer as after the 500th."""
    outcome = session._outcome
    parts = ['{"format":', str(HEAD_FORMAT), ',"id":', _str(session.id), ',"actor":',
             _str(session.actor), ',"started_at":', scalar_json(session.started_at),
             _position_json(session), ',"mode":', _str(session._mode),
             ',"outcome":', "null" if outcome is None else to_json({
                 "result": outcome.result, "code": outcome.code, "script": outcome.script,
                 "node": outcome.node, "message": outcome.message}),
             ',"event_count":', str(event_count), ',"log":', str(log)]
    if session._trail is not None:
        parts += ',"trail":', to_json(session._trail)
    parts.append("}")
    return "".join(parts)


def _record(base: bool, drop: int, pushed: list[Any], sets: list[str],
            session: Session, new_frames: set[Frame]) -> str:
    parts = ['"base":true'] if base else []
    if drop:
        parts.append(f'"drop":{drop}')
    if pushed:
        plans = session._plans.numbered
        parts.append('"undo":[' + ",".join(_undo_json(r, plans) for r in pushed) + "]")
    if sets:
        parts.append('"set":{' + ",".join(sets) + "}")
    if new_frames:
        parts.append('"nodes":' + _nodes_json(session, new_frames))
    return "{" + ",".join(parts) + "}"


def _base(session: Session) -> tuple[str, set[Frame]]:
    """A record of the whole state: the tracker, back()'s log, their positions."""
    undos = session._undos
    frames: set[Frame] = set()
    plans = session._plans.numbered
    for item in undos:
        frames.update(undo_frames(item, plans))
    sets = [_str(k) + ":" + _entry_json(e)
            for k, e in entries_of(session._tracker).items()]
    return _record(True, 0, undos, sets, session, frames), frames


def _changes(session: Session, saved: Saved) -> tuple[str | None, set[Frame]]:
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
    keys: dict[str, None] = {}
    plans = session._plans.numbered
    for item in dropped:
        keys.update(dict.fromkeys(undo_keys(item, plans)))
    frames = saved.frames
    new: set[Frame] = set()
    for item in pushed:
        keys.update(dict.fromkeys(undo_keys(item, plans)))
        new.update(undo_frames(item, plans))
    new -= frames
    if new:
        frames = frames | new
    entries = entries_of(session._tracker)
    sets = [_str(k) + ":" + _entry_json(entries.get(k)) for k in keys]
    return _record(False, len(dropped), pushed, sets, session, new), frames


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
