"""Moving through a library: routing, prompts, and the walk from one prompt to the next.

The walk (:func:`advance`) is the hot path of a session: plain dict lookups on the
loaded scripts, expressions that were parsed when the library loaded, and no copies.
It only appends to the lists it is given, so the caller can throw them away when the
walk fails (a loop, a call nested too deep) and the session stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, NamedTuple

from ..errors import SessionError
from ..format.model import PLACEHOLDER_RE, Fact, Node
from .answers import allowed, logged, shown
from .events import Event
from .tracker import Known, Tracker, Value

if TYPE_CHECKING:
    from ..library import Library

MAX_CALL_DEPTH = 32
Frame = tuple[str, str]  # (script id, node id)
Step = tuple[str, str, str]  # (script id, node id, label of the way out taken)


class Undo(NamedTuple):
    """What one answer changed, for ``Session.back()``: the position and prompt mode
    before it, the tracker entries it replaced (``None``: the fact was unknown), and how
    many events there were."""

    stack: tuple[Frame, ...]
    mode: str
    facts: tuple[tuple[str, Known | None], ...]
    events: int


class Prompt(NamedTuple):
    """What to show now (immutable; a named tuple, so creating one per step is cheap and
    ``prompt._asdict()`` gives a dict for an API response).

    ``kind`` is ``question``, ``action`` or ``confirm``; ``text`` is rendered (facts
    filled in, sensitive ones masked). ``type`` and ``options`` describe the answer
    expected: the fact's type and options (``yes``/``no`` for a boolean), or for a
    ``confirm`` prompt ``boolean`` with ``("yes", "no")``; ``options`` is empty for
    number and text facts. ``allowed`` says in words what may be answered; ``earlier``
    is the known value a confirm prompt asks about (masked when sensitive).
    """

    script: str
    node: str
    kind: str
    text: str
    fact: str
    type: str
    options: tuple[str, ...]
    label: str = ""
    allowed: str = ""
    earlier: str | None = None
    sensitive: bool = False


class Outcome(NamedTuple):
    """How a session ended: ``result`` (resolved, escalated, unresolved, referred), the
    outcome's ``code``, where (``script``, ``node``), and its rendered ``message``."""

    result: str
    code: str | None
    script: str
    node: str
    message: str = ""


def fact_decl(lib: Library, script_id: str, key: str) -> Fact | None:
    """The declaration of ``key`` that applies in ``script_id`` (its own, else the library's)."""
    script = lib.scripts.get(script_id)
    found = script.facts.get(key) if script is not None else None
    return found if found is not None else lib.facts.get(key)


def render(text: str, lib: Library, script_id: str, tracker: Tracker) -> str:
    """``text`` with ``{fact}`` filled in from the tracker; sensitive values masked and
    unknown facts left as ``{fact}`` so nobody reads a blank as an answer."""
    if "{" not in text:
        return text

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        entry = tracker.get(key)
        if entry is None:
            return "{" + key + "}"
        return shown(fact_decl(lib, script_id, key), entry.value)

    return PLACEHOLDER_RE.sub(fill, text)


def branch_key(value: Value) -> str:
    """The ``branches`` key a value selects: yes/no for booleans."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def leave(node: Node, value: Value, values: Mapping[str, Value]) -> str:
    """Where a question or action goes once its fact is ``value``."""
    if node.next is not None:
        return node.next
    if node.branches:
        target = node.branches.get(branch_key(value)) or node.branches.get("*")
        if target is None:
            raise SessionError(f"node {node.id!r} of {node.script!r} has no branch for "
                               f"{branch_key(value)!r}")
        return target
    return first_route(node, values)


def first_route(node: Node, values: Mapping[str, Value]) -> str:
    """Where a decision (or a question with routes) goes: the first route that applies."""
    for route in node.routes:
        if route.when is None or route.when.evaluate(values):
            return route.goto
    raise SessionError(f"no route of node {node.id!r} of {node.script!r} applies")


def after_call(node: Node, result: str) -> str:
    """Where a call node goes when its script ends with ``result``."""
    if node.next is not None:
        return node.next
    target = node.branches.get(result) or node.branches.get("*")
    if target is None:
        raise SessionError(f"call node {node.id!r} of {node.script!r} has no branch for "
                           f"the result {result!r}")
    return target


def edge(node: Node, value: Value | None, values: Mapping[str, Value]) -> str:
    """The label of the way out :func:`leave` (or :func:`after_call`, given the result)
    takes: ``next``, ``branch:KEY`` (``branch:*`` for the catch-all) or ``route:I``.
    Only computed when a session traces its path (for scenario coverage)."""
    if node.next is not None:
        return "next"
    if node.branches:
        key = branch_key(value) if value is not None else ""
        return f"branch:{key}" if key in node.branches else "branch:*"
    for index, route in enumerate(node.routes):
        if route.when is None or route.when.evaluate(values):
            return f"route:{index}"
    return "route:?"


def provenance(entry: Known) -> str:
    """Where a value came from, for people: ``told us in internet-down:lights``."""
    where = f" in {entry.script}:{entry.node}" if entry.script and entry.node else ""
    if entry.source == "customer":
        return "told us" + where
    if entry.source == "agent":
        return "recorded by an agent" + where
    if entry.source == "intake":
        return "given at intake"
    return "recorded by the system" + where


def make_prompt(lib: Library, tracker: Tracker, frame: Frame, mode: str) -> Prompt:
    """The prompt of a question or action node, as a question or as a confirmation."""
    sid, nid = frame
    node = lib.scripts[sid].nodes[nid]
    key = node.fact or ""
    decl = fact_decl(lib, sid, key)
    text = render(node.text, lib, sid, tracker)
    label = decl.label if decl is not None else ""
    sensitive = decl is not None and decl.sensitive
    if mode == "confirm":
        entry = tracker.get(key)
        earlier = shown(decl, entry.value) if entry is not None else "?"
        about = label or text
        return Prompt(sid, nid, "confirm", f"{about} — Earlier: {earlier}. Still true?",
                      key, "boolean", ("yes", "no"), label, "yes or no", earlier, sensitive)
    if decl is None:  # cannot happen in a library that loaded; keep the prompt usable
        return Prompt(sid, nid, node.type, text, key, "text", (), label)
    return Prompt(sid, nid, node.type, text, key, decl.type, decl.values, label,
                  allowed(decl), None, sensitive)


def outcome_of(lib: Library, tracker: Tracker, node: Node) -> Outcome:
    """The :class:`Outcome` an outcome node ends the session with."""
    return Outcome(node.result or "unresolved", node.code, node.script, node.id,
                   render(node.text, lib, node.script, tracker))


def _loop_error(path: list[str], start: int, here: str) -> SessionError:
    loop = " -> ".join(repr(p) for p in [*path[start:], here])
    return SessionError(f"stopped: {loop} with nothing learned in between "
                        "(the scripts would go round this loop for ever)")


def advance(lib: Library, tracker: Tracker, stack: list[Frame], now: float,
            events: list[Event], used: MutableMapping[str, str],
            trail: list[Step] | None = None) -> tuple[str, Outcome | None]:
    """Walk from the node on top of ``stack`` to the next prompt or the final outcome.

    Skips questions whose fact is known and fresh (unless reask says otherwise), takes
    decisions, follows handoffs, enters calls and returns from them. Appends to
    ``stack``, ``events`` and ``used`` as it goes and returns the mode it stopped in
    (``question``, ``action``, ``confirm`` or ``outcome``) with the outcome, if any.

    Nothing is learned during a walk, so reaching the same position (the whole call
    stack) twice means the scripts would loop for ever: that raises SessionError.
    With ``trail``, each way out taken is appended as ``(script, node, label)``.
    """
    scripts = lib.scripts
    seen: dict[object, int] = {}
    path: list[str] = []  # positions passed in this walk, for the loop error
    values: Mapping[str, Value] | None = None  # fresh values, fetched on first need
    while True:
        sid, nid = frame = stack[-1]
        state: object = frame if len(stack) == 1 else tuple(stack)
        if state in seen:
            raise _loop_error(path, seen[state], f"{sid}:{nid}")
        seen[state] = len(path)
        path.append(f"{sid}:{nid}")
        script = scripts[sid]
        node = script.nodes[nid]
        kind = node.type
        if kind == "question" or kind == "action":
            key = node.fact or ""
            entry = tracker.fresh(key, now)
            decl = script.facts.get(key) or lib.facts.get(key)
            if entry is not None:
                policy = node.reask or (decl.reask if decl is not None else "skip")
                if policy == "skip":
                    events.append(Event(
                        "skipped", now, "system", sid, nid, key, logged(decl, entry.value),
                        f"known: {shown(decl, entry.value)} ({provenance(entry)})",
                        {"source": entry.source, "script": entry.script, "node": entry.node,
                         "learned_at": entry.learned_at}))
                    if values is None:
                        values = tracker.values(now)
                    stack[-1] = (sid, leave(node, entry.value, values))
                    if trail is not None:
                        trail.append((sid, nid, edge(node, entry.value, values)))
                    continue
                if policy == "confirm":
                    events.append(Event("asked", now, "system", sid, nid, key,
                                        logged(decl, entry.value), data={"kind": "confirm"}))
                    return "confirm", None
            events.append(Event("asked", now, "system", sid, nid, key, data={"kind": kind}))
            return kind, None
        if kind == "decision":
            if values is None:
                values = tracker.values(now)
            stack[-1] = (sid, first_route(node, values))
            if trail is not None:
                trail.append((sid, nid, edge(node, None, values)))
        elif kind == "handoff" or kind == "call":
            target = scripts.get(node.target_script or "")
            if target is None:
                raise SessionError(f"{kind} {sid}:{nid} names the script "
                                   f"{node.target_script!r}, which is not in the library")
            to_node = node.target_node or target.start
            message = render(node.text, lib, sid, tracker) if node.text else ""
            events.append(Event(kind if kind == "handoff" else "called", now, "system", sid,
                                nid, detail=message,
                                data={"to_script": target.id, "to_node": to_node}))
            used[target.id] = target.content_hash
            if trail is not None:
                trail.append((sid, nid, kind))
            if kind == "handoff":
                stack[-1] = (target.id, to_node)
            else:
                if len(stack) >= MAX_CALL_DEPTH:
                    chain = " -> ".join(f"{s}:{n}" for s, n in stack)
                    raise SessionError(f"stopped: calls nested deeper than {MAX_CALL_DEPTH} "
                                       f"({chain}); do the scripts call each other?")
                stack.append((target.id, to_node))
        elif kind == "outcome":
            outcome = outcome_of(lib, tracker, node)
            if trail is not None:
                trail.append((sid, nid, "outcome"))
            if len(stack) == 1:
                events.append(Event("outcome", now, "system", sid, nid, detail=outcome.message,
                                    data={"result": outcome.result, "code": outcome.code}))
                return "outcome", outcome
            stack.pop()
            csid, cnid = stack[-1]
            call = scripts[csid].nodes[cnid]
            events.append(Event("returned", now, "system", sid, nid, detail=outcome.message,
                                data={"result": outcome.result, "code": outcome.code,
                                      "to_script": csid, "to_node": cnid}))
            stack[-1] = (csid, after_call(call, outcome.result))
            if trail is not None:
                trail.append((csid, cnid, edge(call, outcome.result, {})))
        else:  # pragma: no cover - the loader accepts no other node type
            raise SessionError(f"node {nid!r} of {sid!r} has unknown type {kind!r}")
