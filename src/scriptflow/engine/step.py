"""The fast walk of a step, over node plans, and the events it records lazily.

:func:`walk` goes from the node an answer leads to on to the next prompt (or the
outcome), like :func:`~scriptflow.engine.flow.advance` but over
:class:`~scriptflow.engine.plan.NodePlan` objects, appending compact records instead of
:class:`Event` objects, so the transcript costs something only when it is read
(:func:`materialise`). The events made are exactly those ``advance`` makes.

A record is laid flat in the transcript list: the name of the maker of its event(s)
(:data:`MAKERS`), then its fields (:data:`FIELDS` says how many), as items of the
list itself. A tuple per record would be one more object per step for the garbage
collector: every object it tracks brings the next young collection nearer, and that
collection reads each one and what it holds (writing records flat saved a fifth of the
plainest step's data cache misses). Written flat, the only tuple a plain step keeps is
its tracker entry. :func:`records` reads them back as tuples ``(name, *fields)``.

Fields hold only plain values (strings, numbers, None, tuples of them): node plans by
their ``number``, makers by name, so nothing in a live session's transcript is
rescanned by later collections (a plan or a function would be, as long as the
session lives).

Anything unusual (a walk longer than :data:`WALK_LIMIT`, which a loop would be; calls
nested too deep; a target that does not exist) makes :func:`walk` give up and return
``None``; the caller then walks again from the same place with ``advance``, which
raises the error or handles the case as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

# A transcript entry as records() reads it: a tuple (maker name, time, plan number, …)
# whose maker appends the event(s) it stands for to a list; or an Event made already.
Record = Event | tuple[Any, ...]
# The list the records are written to, flat (see the module's docstring).
Transcript = list[Any]
Walked = tuple[tuple[Frame, ...], "NodePlan", str, Outcome | None, dict[str, str] | None]
Maker = Callable[[tuple[Any, ...], list[Event], list["NodePlan"]], None]

# The makers' names, as records hold them.
ANSWERED = "answered"
ANSWERED_HERE = "answered_here"
ASKED = "asked"
ASKED_TO_CONFIRM = "asked_to_confirm"
SKIPPED = "skipped"
SKIPPED_THEN_ASKED = "skipped_then_asked"


def answered(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]) -> None:
    """``(ANSWERED, now, plan, actor, value, then_asked, stack, mode, previous)``: the
    answer to a question or action, then (unless ``then_asked`` is None) the question it
    led to, asked. It also holds the step's undo record: the stack, prompt mode and
    earlier entry of the fact before the answer (see :func:`logged_answer`)."""
    now, number, actor, value, then_asked = record[1:6]
    plan = plans[number]
    out.append(Event("answered", now, actor, plan.sid, plan.id, plan.key,
                     logged(plan.decl, value), "", {"kind": plan.kind}))
    if then_asked is not None:
        asked((ASKED, now, then_asked), out, plans)


def answered_here(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]) -> None:
    """``(ANSWERED_HERE, entry, plan, then_asked, previous)``: the plainest step, an
    answer outside any call, recorded as the tracker ``entry`` it made (the value, actor
    and time are in it; it is the same tuple, so nothing more is allocated), then the
    question it led to, if any. As an undo record: the session was at ``plan`` alone,
    asking, before the answer."""
    _, entry, number, then_asked = record[:4]
    answered((ANSWERED, entry[4], number, entry[1], entry[0], then_asked), out, plans)


ANSWERS = (ANSWERED, ANSWERED_HERE)  # the records that also hold back()'s undo records


def events_in(record: Record) -> int:
    """How many events ``record`` stands for."""
    if type(record) is not tuple:
        return 1
    kind = record[0]
    if kind == ANSWERED:
        return 1 if record[5] is None else 2
    if kind == ANSWERED_HERE:
        return 1 if record[3] is None else 2
    return 2 if kind == SKIPPED_THEN_ASKED else 1


def logged_answer(record: tuple[Any, ...], count: int) -> tuple[Any, ...]:
    """back()'s log entry for an answer record: the record and ``count``, the number of
    events before it. A step leaves the count out of its record (keeping it up to date
    cost the plainest step ~4 % of its instructions); the session works it out when the
    log is read."""
    return (*record, count)


def undo_parts(record: tuple[Any, ...], plans: list[NodePlan]
               ) -> tuple[tuple[Frame, ...], str, str, Any, int]:
    """What an answer's log entry (:func:`logged_answer`) holds for back(): ``(stack,
    mode, fact, previous entry, event count)``, the previous entry as stored (None, a
    Known or a plain tuple)."""
    if record[0] == ANSWERED_HERE:
        plan = plans[record[2]]
        return plan.alone, plan.kind, plan.key, record[4], record[5]
    return record[6], record[7], plans[record[2]].key, record[8], record[9]


def undo_of(record: tuple[Any, ...], plans: list[NodePlan]) -> Undo:
    """The :class:`Undo` an answer's log entry holds."""
    stack, mode, key, previous, count = undo_parts(record, plans)
    if previous is not None and type(previous) is not Known:
        previous = Known._make(previous)
    return Undo(stack, mode, ((key, previous),), count)


def asked(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]) -> None:
    """``(ASKED, now, plan)``: the node's question or action is shown."""
    _, now, number = record
    plan = plans[number]
    out.append(Event("asked", now, "system", plan.sid, plan.id, plan.key, None, "",
                     {"kind": plan.kind}))


def asked_to_confirm(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]
                     ) -> None:
    """``(ASKED_TO_CONFIRM, now, plan, entry)``: "Earlier: …. Still true?" is shown."""
    _, now, number, entry = record
    plan = plans[number]
    out.append(Event("asked", now, "system", plan.sid, plan.id, plan.key,
                     logged(plan.decl, entry[0]), "", {"kind": "confirm"}))


def skipped(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]) -> None:
    """``(SKIPPED, now, plan, entry)``: the node is passed, its fact being known."""
    _, now, number, fields = record
    plan = plans[number]
    entry = Known._make(fields)
    decl = plan.decl
    out.append(Event("skipped", now, "system", plan.sid, plan.id, plan.key,
                     logged(decl, entry.value),
                     f"known: {shown(decl, entry.value)} ({provenance(entry)})",
                     {"source": entry.source, "script": entry.script, "node": entry.node,
                      "learned_at": entry.learned_at}))


def skipped_then_asked(record: tuple[Any, ...], out: list[Event], plans: list[NodePlan]
                       ) -> None:
    """``(SKIPPED_THEN_ASKED, now, plan, entry, then_asked)``: ``plan`` is passed, its
    fact being known, and the question at ``then_asked`` is asked (one record for the
    two, the last of a step that passed known questions)."""
    _, now, number, fields, then_asked = record
    skipped((SKIPPED, now, number, fields), out, plans)
    asked((ASKED, now, then_asked), out, plans)


MAKERS: dict[str, Maker] = {ANSWERED: answered, ANSWERED_HERE: answered_here, ASKED: asked,
                            ASKED_TO_CONFIRM: asked_to_confirm, SKIPPED: skipped,
                            SKIPPED_THEN_ASKED: skipped_then_asked}
# How many fields follow each maker's name in the transcript.
FIELDS = {ANSWERED: 8, ANSWERED_HERE: 4, ASKED: 2, ASKED_TO_CONFIRM: 3, SKIPPED: 3,
          SKIPPED_THEN_ASKED: 4}


def records(transcript: Transcript, start: int = 0) -> Iterator[Record]:
    """The records of ``transcript`` from index ``start``, where one begins."""
    index = start
    stop = len(transcript)
    while index < stop:
        item = transcript[index]
        if type(item) is str:
            end = index + 1 + FIELDS[item]
            yield tuple(transcript[index:end])
            index = end
        else:
            index += 1
            yield item


def materialise(done: list[Event], pending: Transcript, plans: list[NodePlan]) -> None:
    """Move the records of ``pending`` onto ``done`` as events, in order (``plans``: the
    library plan's ``numbered`` list the records' plan numbers index)."""
    for record in records(pending):
        if type(record) is tuple:
            MAKERS[record[0]](record, done, plans)
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
         now: float, transcript: Transcript) -> Walked | None:
    """From ``plan`` (with the call nodes ``below`` it) to the next prompt or outcome.

    Appends records to ``transcript``; returns ``(below, plan, mode, outcome, used)`` where
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
                transcript += (ASKED, now, plan.number)
                return below, plan, kind, None, used
            policy = plan.policy
            if policy == "skip":
                transcript += (SKIPPED, now, plan.number, entry)
                value = entry[0]
                goto = plan.goto
                arrive = plan.next if goto is None else goto.get(value)
                plan = arrive if arrive is not None else leave_plan(plan, value, tracker, now)
                continue
            if policy == "confirm":
                transcript += (ASKED_TO_CONFIRM, now, plan.number, entry)
                return below, plan, "confirm", None, used
            transcript += (ASKED, now, plan.number)
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
            transcript.append(Event(kind if kind == "handoff" else "called", now, "system",
                                    sid, nid, detail=message,
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
                transcript.append(Event("outcome", now, "system", sid, nid,
                                        detail=outcome.message,
                                        data={"result": outcome.result,
                                              "code": outcome.code}))
                return below, plan, "outcome", outcome, used
            call = plans.node(below[-1])
            below = below[:-1]
            csid, cnid = call.frame
            transcript.append(Event("returned", now, "system", sid, nid,
                                    detail=outcome.message,
                                    data={"result": outcome.result, "code": outcome.code,
                                          "to_script": csid, "to_node": cnid}))
            plan = call.owner.nodes[after_call(call.node, outcome.result)]
        else:
            return None
    return None
