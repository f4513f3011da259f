"""The fast walk of a step, over node plans, and the events it records lazily.

:func:`walk` goes from the node an answer leads to on to the next prompt (or the
outcome), like :func:`~scriptflow.engine.flow.advance` but over
:class:`~scriptflow.engine.plan.NodePlan` objects, appending compact records instead of
:class:`Event` objects: a record is a tuple whose first item makes the event from it,
so the transcript costs something only when it is read (:func:`materialise`). The
events made are exactly those ``advance`` makes.

Anything unusual (a walk longer than :data:`WALK_LIMIT`, which a loop would be; calls
nested too deep; a target that does not exist) makes :func:`walk` give up and return
``None``; the caller then walks again from the same place with ``advance``, which
raises the error or handles the case as it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .answers import logged, shown
from .events import Event
from .flow import (
    MAX_CALL_DEPTH,
    Frame,
    Outcome,
    Undo,
    after_call,
    first_route,
    leave,
    outcome_of,
    provenance,
    render,
)
from .tracker import Known, Tracker, Value, entries_of

if TYPE_CHECKING:
    from .plan import LibraryPlan, NodePlan

WALK_LIMIT = 1000  # nodes passed in one walk before handing over to advance()

# A transcript entry not made yet: a tuple (maker, time, plan, …) whose maker appends
# the event(s) it stands for to a list; or an Event made already.
Record = Event | tuple[Any, ...]
Walked = tuple[tuple[Frame, ...], "NodePlan", str, Outcome | None, dict[str, str] | None]


def answered(record: tuple[Any, ...], out: list[Event]) -> None:
    """``(answered, now, plan, actor, value, then_asked, stack, mode, previous, count)``:
    the answer to a question or action, then (unless ``then_asked`` is None) the question
    it led to, asked. The same tuple is the step's undo record: the stack, prompt mode and
    earlier entry of the fact before the answer, and how many events there were."""
    now, plan, actor, value, then_asked = record[1:6]
    out.append(Event("answered", now, actor, plan.sid, plan.id, plan.key,
                     logged(plan.decl, value), "", {"kind": plan.kind}))
    if then_asked is not None:
        asked((asked, now, then_asked), out)


def undo_of(record: tuple[Any, ...]) -> Undo:
    """The :class:`Undo` an ``answered`` record holds."""
    previous = record[8]
    if previous is not None and type(previous) is not Known:
        previous = Known._make(previous)
    return Undo(record[6], record[7], ((record[2].key, previous),), record[9])


def asked(record: tuple[Any, ...], out: list[Event]) -> None:
    """``(asked, now, plan)``: the node's question or action is shown."""
    _, now, plan = record
    out.append(Event("asked", now, "system", plan.sid, plan.id, plan.key, None, "",
                     {"kind": plan.kind}))


def asked_to_confirm(record: tuple[Any, ...], out: list[Event]) -> None:
    """``(asked_to_confirm, now, plan, entry)``: "Earlier: …. Still true?" is shown."""
    _, now, plan, entry = record
    out.append(Event("asked", now, "system", plan.sid, plan.id, plan.key,
                     logged(plan.decl, entry[0]), "", {"kind": "confirm"}))


def skipped(record: tuple[Any, ...], out: list[Event]) -> None:
    """``(skipped, now, plan, entry)``: the node is passed, its fact being known."""
    _, now, plan, fields = record
    entry = Known._make(fields)
    decl = plan.decl
    out.append(Event("skipped", now, "system", plan.sid, plan.id, plan.key,
                     logged(decl, entry.value),
                     f"known: {shown(decl, entry.value)} ({provenance(entry)})",
                     {"source": entry.source, "script": entry.script, "node": entry.node,
                      "learned_at": entry.learned_at}))


def skipped_then_asked(record: tuple[Any, ...], out: list[Event]) -> None:
    """``(skipped_then_asked, now, plan, entry, then_asked)``: ``plan`` is passed, its
    fact being known, and the question at ``then_asked`` is asked (one record for the
    two, the last of a step that passed known questions)."""
    _, now, plan, fields, then_asked = record
    skipped((skipped, now, plan, fields), out)
    asked((asked, now, then_asked), out)


def materialise(done: list[Event], pending: list[Record]) -> None:
    """Move the records of ``pending`` onto ``done`` as events, in order."""
    make: Callable[[tuple[Any, ...], list[Event]], None]
    for record in pending:
        if type(record) is tuple:
            make = record[0]
            make(record, done)
        else:
            assert isinstance(record, Event)
            done.append(record)
    pending.clear()


def leave_plan(plan: NodePlan, value: Value, tracker: Tracker, now: float) -> NodePlan:
    """The plan of the node a question or action goes to once its fact is ``value``."""
    target = plan.next
    if target is not None:
        return target
    goto = plan.goto
    if goto is not None:
        target = goto.get(value)
        if target is not None:
            return target
    # routes, branches on open facts, or no way out (leave() raises the error)
    return plan.owner.nodes[leave(plan.node, value, tracker.values(now))]


def walk(plans: LibraryPlan, tracker: Tracker, below: tuple[Frame, ...], plan: NodePlan,
         now: float, records: list[Record]) -> Walked | None:
    """From ``plan`` (with the call nodes ``below`` it) to the next prompt or outcome.

    Appends records to ``records``; returns ``(below, plan, mode, outcome, used)`` where
    it stopped (``used``: scripts entered, or None), or None to hand over to ``advance``.
    """
    lib, lookup = plans.lib, entries_of(tracker).get  # (bound: see tracker._Entries)
    used: dict[str, str] | None = None
    passed = 0
    while passed < WALK_LIMIT:
        passed += 1
        kind = plan.kind
        if plan.asks:
            entry = lookup(plan.key)  # a Known, or a plain tuple of its fields
            if entry is None or (entry[5] is not None and now >= entry[5]):
                records.append((asked, now, plan))
                return below, plan, kind, None, used
            policy = plan.policy
            if policy == "skip":
                records.append((skipped, now, plan, entry))
                value = entry[0]
                goto = plan.goto
                arrive = plan.next if goto is None else goto.get(value)
                plan = arrive if arrive is not None else leave_plan(plan, value, tracker, now)
                continue
            if policy == "confirm":
                records.append((asked_to_confirm, now, plan, entry))
                return below, plan, "confirm", None, used
            records.append((asked, now, plan))
            return below, plan, kind, None, used
        node = plan.node
        sid, nid = plan.frame
        if kind == "decision":
            plan = plan.owner.nodes[first_route(node, tracker.values(now))]
        elif kind == "handoff" or kind == "call":
            target = lib.scripts.get(node.target_script or "")
            if target is None or (kind == "call" and len(below) + 1 >= MAX_CALL_DEPTH):
                return None
            to_node = node.target_node or target.start
            arrive = plans.script(target.id).nodes.get(to_node)
            if arrive is None:
                return None
            message = render(node.text, lib, sid, tracker) if node.text else ""
            records.append(Event(kind if kind == "handoff" else "called", now, "system", sid,
                                 nid, detail=message,
                                 data={"to_script": target.id, "to_node": to_node}))
            if used is None:
                used = {}
            used[target.id] = target.content_hash
            if kind == "call":
                below = (*below, plan.frame)
            plan = arrive
        elif kind == "outcome":
            outcome = outcome_of(lib, tracker, node)
            if not below:
                records.append(Event("outcome", now, "system", sid, nid,
                                     detail=outcome.message,
                                     data={"result": outcome.result, "code": outcome.code}))
                return below, plan, "outcome", outcome, used
            call = plans.node(below[-1])
            below = below[:-1]
            csid, cnid = call.frame
            records.append(Event("returned", now, "system", sid, nid, detail=outcome.message,
                                 data={"result": outcome.result, "code": outcome.code,
                                       "to_script": csid, "to_node": cnid}))
            plan = call.owner.nodes[after_call(call.node, outcome.result)]
        else:
            return None
    return None
