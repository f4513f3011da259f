"""A session to JSON-safe data and back, refusing to resume on a node that changed.

Shape of ``Session.to_dict()`` (format 1)::

    {"format": 1, "id": "<uuid4 hex>", "actor": "customer", "started_at": 1700000000.0,
     "scripts": {"<script id>": {"hash": "sha256:…",
                                 "nodes": {"<node id>": {"type": "question",
                                                         "fact": "router_lights",
                                                         "fact_type": "choice",
                                                         "options": ["all_green", …]}}}},
     "stack": [["<script>", "<node>"], …],      # outermost call node … current node
     "mode": "question" | "action" | "confirm" | "outcome",
     "outcome": null | {"result", "code", "script", "node", "message"},
     "tracker": {"format": 1, "facts": {"<fact>": {"value", "source", "script", "node",
                                                  "learned_at", "stale_at"}}},
     "undo": [{"stack": [[…]], "mode": "…", "facts": {"<fact>": {…} | null}, "events": 7}],
     "events": [{"type", "at", "actor", "script"?, "node"?, "fact"?, "value"?,
                 "detail"?, "data"?}, …],
     "trail": [["<script>", "<node>", "<label>"], …]}   # only with start(..., trace=True)

``scripts[*].nodes`` fingerprints every node the session may stand on again (the stack
and the positions in the undo log), so a changed script can be checked node by node.

A store keeps a session another way (format 2, see ``scriptflow.stores.delta``): a head
of constant size (no tracker, no undo log, fingerprints of the stack's nodes only) plus
append-only logs; :func:`resume_problem` reads either, :func:`load` only format 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import AnswerError, ResumeError
from .answers import check
from .clock import Clock
from .events import Event
from .flow import Frame, Outcome, Undo, fact_decl
from .step import undo_of, undo_parts
from .tracker import Known, Tracker

if TYPE_CHECKING:
    from ..library import Library
    from .plan import NodePlan
    from .session import Session

FORMAT = 1
HEAD_FORMAT = 2  # a store's head: see the module docstring
_MODES = ("question", "action", "confirm", "outcome")
_PROMPT_MODES = frozenset(_MODES[:3])
_ACTORS = ("customer", "agent", "system")


# -- writing ---------------------------------------------------------------------------

def per_library(lib: Library, name: str) -> dict[Any, Any]:
    """A dict kept with ``lib`` under ``name``, for what is worked out once per library
    and reused (a Library never changes once loaded)."""
    cache: dict[Any, Any] | None = getattr(lib, name, None)
    if cache is None:
        cache = {}
        setattr(lib, name, cache)
    return cache


def fingerprint(lib: Library, sid: str, nid: str) -> dict[str, Any]:
    """What a resume checks of node ``nid`` of ``sid`` (kept per library: stores write
    it on every save). Shared: do not modify the result."""
    cache = per_library(lib, "_serial_fingerprints")
    found: dict[str, Any] | None = cache.get((sid, nid))
    if found is None:
        found = cache[(sid, nid)] = _fingerprint(lib, sid, nid)
    return found


def entry_dict(entry: Any) -> dict[str, Any]:
    """A tracker entry (a Known or a plain tuple of its fields) as Known.to_dict() has it."""
    return Known._make(entry).to_dict()


def undo_dict(record: Any, plans: list[NodePlan]) -> dict[str, Any]:
    """One record of back()'s log (an Undo, or a step's record holding one) as data;
    ``plans`` is the library plan's ``numbered`` list (see step.py)."""
    if type(record) is tuple:
        record = undo_of(record, plans)
    return {"stack": [list(f) for f in record.stack], "mode": record.mode,
            "facts": {k: None if e is None else entry_dict(e) for k, e in record.facts},
            "events": record.events}


def undo_frames(record: Any, plans: list[NodePlan]) -> tuple[Frame, ...]:
    """The positions an undo record can take the session back to."""
    if type(record) is tuple:
        return undo_parts(record, plans)[0]
    return record.stack  # type: ignore[no-any-return]


def undo_keys(record: Any, plans: list[NodePlan]) -> list[str]:
    """The facts an undo record restores: every fact its step changed."""
    if type(record) is tuple:
        return [undo_parts(record, plans)[2]]
    return [key for key, _ in record.facts]


def _fingerprint(lib: Library, sid: str, nid: str) -> dict[str, Any]:
    node = lib.scripts[sid].nodes[nid]
    out: dict[str, Any] = {"type": node.type}
    if node.fact is not None:
        out["fact"] = node.fact
        decl = fact_decl(lib, sid, node.fact)
        if decl is not None:
            out["fact_type"] = decl.type
            out["options"] = list(decl.options)
    return out


def dump(session: Session, *, events: bool = True) -> dict[str, Any]:
    """``session`` as JSON-safe data (see the module docstring for the shape).

    ``events=False`` leaves the transcript out and gives ``event_count`` instead: the
    small head a store rewrites on every save while it only appends new events.
    """
    lib = session._lib
    frames: set[Frame] = set(session._stack)
    for record in session._undos:
        frames.update(undo_frames(record, session._plans.numbered))
    scripts: dict[str, dict[str, Any]] = {
        sid: {"hash": digest, "nodes": {}} for sid, digest in session._used.items()}
    for sid, nid in sorted(frames):
        scripts.setdefault(sid, {"hash": lib.scripts[sid].content_hash, "nodes": {}})
        scripts[sid]["nodes"][nid] = _fingerprint(lib, sid, nid)
    outcome = session._outcome
    return {
        "format": FORMAT,
        "id": session.id,
        "actor": session.actor,
        "started_at": session.started_at,
        "scripts": scripts,
        "stack": [list(f) for f in session._stack],
        "mode": session._mode,
        "outcome": None if outcome is None else {
            "result": outcome.result, "code": outcome.code, "script": outcome.script,
            "node": outcome.node, "message": outcome.message},
        "tracker": session._tracker.to_dict(),
        "undo": [undo_dict(r, session._plans.numbered) for r in session._undos],
        **({"events": [e.to_dict() for e in session._events]} if events
           else {"event_count": len(session._events)}),
        **({} if session._trail is None else {"trail": [list(t) for t in session._trail]}),
    }


# -- reading ---------------------------------------------------------------------------

def _need(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ResumeError(f"session data is corrupt: {where} has no {key!r}")
    value = data[key]
    if type(value) is bool or not isinstance(value, kind):  # no field is a bool
        raise ResumeError(f"session data is corrupt: {where}.{key} is a "
                          f"{type(value).__name__}")
    return value


def _frames(raw: Any, where: str) -> list[Frame]:
    if not isinstance(raw, list) or not raw:
        raise ResumeError(f"session data is corrupt: {where} is not a non-empty list")
    frames: list[Frame] = []
    for item in raw:
        if not (type(item) is list and len(item) == 2 and type(item[0]) is str
                and type(item[1]) is str):
            raise ResumeError(f"session data is corrupt: {where} holds {item!r}, "
                              "not [script, node]")
        frames.append((item[0], item[1]))
    return frames


def _outcome(raw: Any) -> Outcome:
    if not isinstance(raw, Mapping):
        raise ResumeError("session data is corrupt: a finished session has no outcome")
    result = _need(raw, "result", str, "outcome")
    code = raw.get("code")
    return Outcome(result, code if isinstance(code, str) else None,
                   _need(raw, "script", str, "outcome"), _need(raw, "node", str, "outcome"),
                   str(raw.get("message") or ""))


def _undo(raw: Any, index: int) -> Undo:
    where = f"undo[{index}]"
    if type(raw) is not dict:
        raise ResumeError(f"session data is corrupt: {where} is not a mapping")
    mode = raw.get("mode")
    if mode not in _PROMPT_MODES:
        raise ResumeError(f"session data is corrupt: {where}.mode is {mode!r}")
    facts = _need(raw, "facts", dict, where)
    entries = tuple((str(k), None if v is None else Known.from_dict(str(k), v))
                    for k, v in facts.items())
    return Undo(tuple(_frames(raw.get("stack"), f"{where}.stack")), mode, entries,
                _need(raw, "events", int, where))


def load(cls: type[Session], lib: Library, data: Mapping[str, Any], clock: Clock) -> Session:
    """Rebuild a session from :func:`dump` output against ``lib`` as it is now."""
    _check_format(data)
    session_id = _need(data, "id", str, "session")
    actor = _need(data, "actor", str, "session")
    if actor not in _ACTORS:
        raise ResumeError(f"session data is corrupt: unknown actor {actor!r}")
    started_at = float(_need(data, "started_at", (int, float), "session"))
    scripts = _scripts(data)
    stack = _frames(data.get("stack"), "stack")
    mode = _need(data, "mode", str, "session")
    if mode not in _MODES:
        raise ResumeError(f"session data is corrupt: unknown mode {mode!r}")
    outcome = _outcome(data.get("outcome")) if mode == "outcome" else None
    tracker = Tracker.from_dict(_need(data, "tracker", Mapping, "session"))
    undo = [_undo(r, i) for i, r in enumerate(_need(data, "undo", list, "session"))]
    events = [Event.from_dict(e) for e in _need(data, "events", list, "session")]
    expected = data.get("event_count", len(events))
    if expected != len(events):
        raise ResumeError(f"session data is corrupt: the head counts {expected!r} events "
                          f"but {len(events)} were stored")
    used = {str(sid): str(info["hash"]) for sid, info in scripts.items()}
    notes = _reconcile(lib, scripts, stack, mode, undo, tracker)
    if notes is not None:
        changed = [{"script": sid, "from": used[sid], "to": lib.scripts[sid].content_hash}
                   for sid in sorted(used) if sid in lib.scripts
                   and lib.scripts[sid].content_hash != used[sid]]
        gone = sorted(sid for sid in used if sid not in lib.scripts)
        for sid in gone:
            del used[sid]
        for item in changed:
            used[item["script"]] = item["to"]
        words = ", ".join(repr(c["script"]) for c in changed)
        detail = f"resumed after a change to {words or 'the library'}"
        if gone:
            detail += f"; no longer in the library: {', '.join(repr(g) for g in gone)}"
        sid, nid = stack[-1]
        events.append(Event("resumed", clock.now(), "system", sid, nid,
                            detail=detail + "".join(f"; {n}" for n in notes),
                            data={"changed": changed, "removed": gone, "notes": notes}))
    _check_mode(lib, stack, mode, tracker)
    return cls(lib, session_id=session_id, actor=actor, clock=clock, started_at=started_at,
               tracker=tracker, stack=stack, mode=mode, outcome=outcome, events=events,
               undo=undo, used=used, trail=_trail(data.get("trail")))


def _check_format(data: Any, head: bool = False) -> None:
    if not isinstance(data, Mapping):
        raise ResumeError("session data is corrupt: not a mapping")
    found = data.get("format")
    if found == HEAD_FORMAT and not head:
        raise ResumeError(f"unsupported session format {HEAD_FORMAT} here: that is a "
                          "store's head, without the tracker and undo log; load the "
                          "session from its store")
    if found != FORMAT and found != HEAD_FORMAT:
        raise ResumeError(f"unsupported session format {found!r} "
                          f"(this version reads formats {FORMAT} and {HEAD_FORMAT})")


def _scripts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    scripts: Mapping[str, Any] = _need(data, "scripts", Mapping, "session")
    for sid, info in scripts.items():
        if not isinstance(info, Mapping) or not isinstance(info.get("hash"), str) \
                or not isinstance(info.get("nodes", {}), Mapping):
            raise ResumeError(f"session data is corrupt: scripts.{sid} is malformed")
    return scripts


def resume_problem(lib: Library, data: Mapping[str, Any]) -> str | None:
    """Why a saved session could not resume against ``lib`` as it is now, or None.

    ``data`` is :func:`dump` output, with or without its events, or a store's format-2
    head. Only a
    session still in progress can be stranded (its script gone, the node it stands on or
    a call node it returns to removed, or the fact asked there changed); a finished one
    never is. Raises :class:`ResumeError` for malformed data. Pure: nothing is rebuilt.
    """
    _check_format(data, head=True)
    scripts = _scripts(data)
    stack = _frames(data.get("stack"), "stack")
    if data.get("mode") == "outcome":
        return None
    for sid, _nid in stack:
        if sid not in scripts:
            raise ResumeError(f"session data is corrupt: script {sid!r} is on the stack "
                              "but not among the scripts used")
    for frame in stack:
        problem = _node_problem(lib, scripts, frame)
        if problem is not None:
            return problem
    return None


def _trail(raw: Any) -> list[tuple[str, str, str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
            isinstance(t, list) and len(t) == 3 and all(isinstance(p, str) for p in t)
            for t in raw):
        raise ResumeError("session data is corrupt: trail is not a list of "
                          "[script, node, label]")
    return [(t[0], t[1], t[2]) for t in raw]


def _node_problem(lib: Library, scripts: Mapping[str, Any], frame: Frame) -> str | None:
    """Why the session cannot stand on ``frame`` any more, or None when it can."""
    sid, nid = frame
    script = lib.scripts.get(sid)
    if script is None:
        return f"script {sid!r} is no longer in the library"
    info = scripts.get(sid)
    if info is not None and info["hash"] == script.content_hash:
        if nid not in script.nodes:
            raise ResumeError(f"session data is corrupt: {sid!r} has no node {nid!r}")
        return None
    node = script.nodes.get(nid)
    if node is None:
        return f"node {nid!r} of {sid!r} was removed"
    old = (info or {}).get("nodes", {}).get(nid)
    if not isinstance(old, Mapping):
        return f"node {nid!r} of {sid!r} cannot be checked (no record of it was saved)"
    if old.get("type") != node.type:
        return f"node {nid!r} of {sid!r} changed from {old.get('type')} to {node.type}"
    if old.get("fact") != node.fact:
        return f"node {nid!r} of {sid!r} now asks {node.fact!r} instead of {old.get('fact')!r}"
    if node.fact is not None:
        decl = fact_decl(lib, sid, node.fact)
        now_sig = (decl.type, sorted(decl.options)) if decl is not None else (None, [])
        old_sig = (old.get("fact_type"), sorted(old.get("options") or []))
        if now_sig != old_sig:
            return (f"fact {node.fact!r} asked at node {nid!r} of {sid!r} changed its "
                    f"declaration from {old_sig[0]} {old_sig[1]} to {now_sig[0]} {now_sig[1]}")
    return None


def _reconcile(lib: Library, scripts: Mapping[str, Any], stack: list[Frame], mode: str,
               undo: list[Any], tracker: Tracker) -> list[str] | None:
    """Check the saved positions against the library; None when no script changed.

    The current position must still be valid (else ResumeError); undo records that
    point at changed nodes are dropped (with everything older), and tracker values the
    library no longer accepts are forgotten. Returns notes on what was adapted.
    """
    changed = any(sid not in lib.scripts or lib.scripts[sid].content_hash != info["hash"]
                  for sid, info in scripts.items())
    for sid, _nid in stack:
        if sid not in scripts:
            raise ResumeError(f"session data is corrupt: script {sid!r} is on the stack "
                              "but not among the scripts used")
    if not changed:
        for frame in stack:
            _node_problem(lib, scripts, frame)  # only raises for corrupt data here
        return None
    notes: list[str] = []
    finished = mode == "outcome"
    for frame in stack:
        problem = _node_problem(lib, scripts, frame)
        if problem is not None and not finished:
            sid = frame[0]
            digest = scripts[sid]["hash"]
            raise ResumeError(f"cannot resume: script {sid!r} changed since the session was "
                              f"saved ({digest[:15]}…): {problem}")
        if problem is not None:
            notes.append(f"finished on a node that changed: {problem}")
    keep = len(undo)
    for index in range(len(undo) - 1, -1, -1):
        problems = [p for p in (_node_problem(lib, scripts, f) for f in undo[index].stack) if p]
        problems += [f"the earlier value of {key!r} is no longer allowed"
                     for key, entry in undo[index].facts
                     if entry is not None and not _accepted(lib, key, entry)]
        if problems:
            keep = len(undo) - 1 - index
            notes.append(f"back() can undo only the last {keep} answer(s): {problems[0]}")
            break
    del undo[:len(undo) - keep]
    for key, entry in list(tracker.items()):
        if not _accepted(lib, key, entry):
            tracker.forget(key)
            notes.append(f"forgot {key!r}: its declaration no longer accepts the known value")
    return notes


def _accepted(lib: Library, key: str, entry: Known) -> bool:
    """False when the library declares ``key`` and rejects the value now."""
    decl = lib.facts.get(key)
    if decl is None:
        return True
    try:
        check(decl, entry.value)
    except AnswerError:
        return False
    return True


def _check_mode(lib: Library, stack: list[Frame], mode: str, tracker: Tracker) -> None:
    """The prompt mode must fit the node it is on (corrupt data otherwise)."""
    if mode == "outcome":
        return
    sid, nid = stack[-1]
    node = lib.scripts[sid].nodes[nid]
    fits = node.type == mode or (mode == "confirm" and node.type in ("question", "action")
                                 and node.fact in tracker)
    if not fits:
        raise ResumeError(f"session data is corrupt: a {mode!r} prompt at {sid}:{nid}, "
                          f"which is a {node.type} node")
