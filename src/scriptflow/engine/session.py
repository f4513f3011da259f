"""A session: one customer contact walked through one or more scripts, never asking twice.

State is a small head (the call stack, what the prompt is, the tracker) plus two
append-only logs: the events (the transcript) and the undo log (for :meth:`Session.back`).
An answer changes the head, appends events and pushes one compact undo record holding
only the tracker entries it replaced; nothing is ever copied deeply or rewritten, so a
store can persist a session as a small head plus what was appended since its last save:
the new events, and the undo records pushed (or popped by back()) with the facts they
name, found by the records' identity (see ``scriptflow.stores.delta``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import AnswerError, SessionError
from ..format.model import Fact
from ..format.schema import did_you_mean
from .answers import check, logged, yes_no
from .clock import Clock, SystemClock
from .events import Event
from .flow import Frame, Outcome, Prompt, Step, Undo, advance, edge, fact_decl, leave, make_prompt
from .plan import NodePlan, library_plan
from .step import (
    ANSWERED,
    ANSWERED_HERE,
    ANSWERS,
    FIELDS,
    SKIPPED,
    SKIPPED_THEN_ASKED,
    Transcript,
    events_in,
    leave_plan,
    logged_answer,
    materialise,
    records,
    undo_of,
    walk,
)
from .tracker import Entry, Known, Tracker, Value, entries_of, values_of

if TYPE_CHECKING:
    from ..library import Library

ACTORS = ("customer", "agent", "system")
SKIP_LIMIT = 100  # known questions answer() passes itself before leaving it to the walk
MODES = ("question", "action", "confirm", "outcome")


def _stale_at(decl: Fact | None, now: float) -> float | None:
    return now + decl.ttl if decl is not None and decl.ttl is not None else None


class Session:
    """One contact, walked through scripts without asking what is already known.

    Start one with :meth:`Session.start` (or ``Library.start``); show :attr:`prompt`,
    pass what the customer said to :meth:`answer`, repeat until :attr:`finished`.
    Persist with :meth:`to_dict` and :meth:`from_dict`.
    """

    # The hot path (answer) reads a handful of attributes per step: slots keep that cheap.
    __slots__ = ("__weakref__", "_actor", "_clock", "_done", "_fast", "_fresh_values",
                 "_here", "_keep", "_known", "_lib", "_log", "_logged", "_logged_events",
                 "_lookup", "_now", "_outcome", "_plans", "_prompt", "_raw", "_tracker",
                 "_trail", "_used", "_where", "id", "started_at", "version")

    def __init__(self, library: Library, *, session_id: str, actor: str, clock: Clock,
                 started_at: float, tracker: Tracker, stack: list[Frame], mode: str,
                 outcome: Outcome | None, events: list[Event], undo: list[Undo],
                 used: dict[str, str], trail: list[Step] | None = None) -> None:
        """Low level: use :meth:`start` or :meth:`from_dict`."""
        self._lib = library
        self.id = session_id
        # The stored version this copy was loaded or last saved at: stores compare it on
        # save (compare-and-set) and set it; 0 means never stored.
        self.version = 0
        self._actor = _check_actor(actor)
        self._clock = clock
        self._now = clock.now
        self.started_at = started_at
        self._tracker = tracker
        self._known = entries_of(tracker)  # the hot path reads and sets these directly
        self._lookup = self._known.get  # bound once: see tracker._Entries
        self._keep = self._known.setdefault  # (a new fact: one dictionary call a step)
        self._fresh_values = values_of(tracker)
        self._outcome = outcome
        # The transcript: events made, then records of events not made yet (see step.py);
        # read it through the events property, which makes them.
        self._done = events
        self._raw: Transcript = []
        # back()'s log: Undo records, or answered records with their event count (see
        # step.logged_answer). A fast step's answered record goes to _raw only: the
        # _undos property logs the ones from _raw[_logged] on, in order, when the log is
        # read; _logged_events is how many events the records before that stand for.
        self._log: list[Undo | tuple[Any, ...]] = list(undo)
        self._logged = 0
        self._logged_events = 0
        self._used = used
        self._trail = trail
        self._plans = library_plan(library)
        # Where the session is: the node's plan, and the stack and prompt mode when they
        # are not simply (that node,) and its kind (see _stack, _mode, _place).
        self._here: NodePlan = self._plans.node(stack[-1])
        self._where: tuple[tuple[Frame, ...], str] | None = None
        self._place(tuple(stack), mode)
        self._fast: NodePlan | None = None  # the node, when the next answer can go fast
        self._prompt = None if outcome is not None else self._prompt_here()
        self._moved()

    # -- starting ------------------------------------------------------------------------
    @classmethod
    def start(cls, library: Library, script_id: str, facts: Mapping[str, Any] | None = None,
              *, tracker: Tracker | Mapping[str, Any] | None = None, clock: Clock | None = None,
              actor: str = "customer", session_id: str | None = None,
              trace: bool = False) -> Session:
        """Start at ``script_id``'s start node.

        ``facts`` are known before the first question (an intake form, a ticket): they
        are checked like answers (:class:`AnswerError` names a bad one) and recorded with
        source ``intake``. ``tracker`` carries an earlier contact's facts (a
        :class:`Tracker` or its ``to_dict()``), each still subject to its ttl; values the
        library no longer accepts are dropped, so they are asked again. ``actor`` is who
        answers by default (``customer`` or ``agent``); ``clock`` defaults to the wall
        clock. ``trace=True`` records :attr:`trail` (for coverage). Raises
        :class:`ScriptNotFoundError` for an unknown script and :class:`SessionError` if
        the scripts loop before the first prompt.
        """
        script = library[script_id]
        who = _check_actor(actor)
        clock = clock if clock is not None else SystemClock()
        now = clock.now()
        known = _earlier_tracker(library, tracker)
        for key, raw in (facts or {}).items():
            decl = fact_decl(library, script_id, key)
            if decl is None:
                hint = did_you_mean(key, library.facts)
                raise AnswerError(f"no fact {key!r} in the library" + (f"; {hint}" if hint
                                                                        else ""),
                                  fact=key, answer=raw, allowed="a declared fact")
            # a plain tuple, not a Known: the collector stops tracking tuples of plain
            # values, and an intake form can hold hundreds of facts per live session
            known.learn(key, (check(decl, raw), "intake", None, None, now,
                              _stale_at(decl, now)))
        stack: list[Frame] = [(script.id, script.start)]
        events: list[Event] = []
        used = {script.id: script.content_hash}
        trail: list[Step] | None = [] if trace else None
        mode, outcome = advance(library, known, stack, now, events, used, trail)
        return cls(library, session_id=session_id or uuid.uuid4().hex, actor=who,
                   clock=clock, started_at=now, tracker=known, stack=stack, mode=mode,
                   outcome=outcome, events=events, undo=[], used=used, trail=trail)

    # -- what there is to see ------------------------------------------------------------
    @property
    def prompt(self) -> Prompt | None:
        """The current :class:`Prompt`, or ``None`` when the session is finished."""
        return self._prompt

    @property
    def finished(self) -> bool:
        """True once the session reached an outcome (outside any call)."""
        return self._outcome is not None

    @property
    def outcome(self) -> Outcome | None:
        """How the session ended, or ``None`` while it goes on."""
        return self._outcome

    @property
    def facts(self) -> dict[str, Any]:
        """``{fact: value}`` known and fresh now (a copy; real values, not masked)."""
        return dict(self._tracker.values(self._clock.now()))

    @property
    def tracker(self) -> Tracker:
        """Every fact with its provenance, stale ones included. Read it, or pass it to a
        later contact's ``start(..., tracker=...)``; change the session only by answering."""
        return self._tracker

    @property
    def events(self) -> list[Event]:
        """The whole transcript, oldest first. Append-only: do not modify it.

        Always the same list; events are made when they are read, so read this property
        again after a step rather than keeping the list across steps."""
        done = self._done
        raw = self._raw
        if raw:
            if len(raw) > self._logged:
                self._log_records()
            materialise(done, raw, self._plans.numbered)
            self._logged = self._logged_events = 0
        return done

    _events = events  # the name serial.py and older code read it by

    @property
    def _undos(self) -> list[Undo | tuple[Any, ...]]:
        """back()'s log, oldest first (the name serial.py and the stores read it by)."""
        if len(self._raw) > self._logged:
            self._log_records()
        return self._log

    def _log_records(self) -> None:
        """Add the answered records in _raw not logged yet to back()'s log, each with the
        number of events before it."""
        raw, log = self._raw, self._log
        count = self._logged_events
        for record in records(raw, self._logged):
            if type(record) is tuple and record[0] in ANSWERS:
                log.append(logged_answer(record, len(self._done) + count))
            count += events_in(record)
        self._logged = len(raw)
        self._logged_events = count

    def _event_count(self) -> int:
        """How many events there are, made or not, without making them."""
        self._log_records()
        return len(self._done) + self._logged_events

    @property
    def _stack(self) -> tuple[Frame, ...]:
        """The call stack (the name serial.py and the stores read it by)."""
        where = self._where
        return self._here.alone if where is None else where[0]

    @property
    def _mode(self) -> str:
        """What the prompt is: ``question``, ``action``, ``confirm`` or ``outcome``."""
        where = self._where
        return self._here.kind if where is None else where[1]

    def _place(self, stack: tuple[Frame, ...], mode: str) -> None:
        """Keep ``stack`` and ``mode`` (``_here`` is the plan of the stack's last node):
        only as ``_where = None`` when they are ``_here.alone`` and ``_here.kind``, as
        after most steps, so a step outside any call sets nothing but ``_here``."""
        here = self._here
        if len(stack) == 1 and mode == here.kind:
            self._where = None
        else:
            self._where = (stack, mode)

    @property
    def script(self) -> str:
        """The id of the script the session is in now."""
        return self._stack[-1][0]

    @property
    def node(self) -> str:
        """The id of the node the session is at now (the outcome node once finished)."""
        return self._stack[-1][1]

    @property
    def stack(self) -> tuple[Frame, ...]:
        """``(script, node)`` from the outermost call node to the current node."""
        return self._stack

    @property
    def scripts_used(self) -> dict[str, str]:
        """``{script id: content hash}`` of every script the session has been in."""
        return dict(self._used)

    @property
    def trail(self) -> list[Step]:
        """With ``start(..., trace=True)``: every way out of a node taken, in order, as
        ``(script, node, label)``; labels are ``next``, ``branch:KEY``, ``branch:*``,
        ``route:I``, ``handoff``, ``call`` and ``outcome``. Undone steps stay (the path
        was walked). Empty when not tracing."""
        return self._trail if self._trail is not None else []

    @property
    def can_go_back(self) -> bool:
        """True when :meth:`back` has an answer to undo."""
        return bool(self._undos)

    @property
    def actor(self) -> str:
        """Who answers when :meth:`answer` is not told (``customer`` or ``agent``;
        ``system`` is allowed too). Setting it to anything else raises ``ValueError``."""
        return self._actor

    @actor.setter
    def actor(self, actor: str) -> None:
        self._actor = _check_actor(actor)

    @property
    def library(self) -> Library:
        """The library the session runs on."""
        return self._lib

    @property
    def clock(self) -> Clock:
        """The clock the session reads time from."""
        return self._clock

    def __repr__(self) -> str:
        where = f"finished {self._outcome.result}" if self._outcome else self._mode
        return f"<Session {self.id[:8]} at {self.script}:{self.node} ({where})>"

    # -- changing it ---------------------------------------------------------------------
    def answer(self, value: Any, *, actor: str | None = None) -> Prompt | None:
        """Answer the current prompt and move on to the next one; returns it.

        A confirm prompt takes yes/no (``True``/``False``): yes keeps the known value,
        no forgets it and asks afresh. Raises :class:`AnswerError` for an answer the
        fact does not allow and :class:`SessionError` when finished or when the scripts
        would loop; either way nothing changes, not even the events.
        """
        here = self._fast  # None when finished, confirming, tracing, invalidating, in a call
        if here is None:
            return self._answer_elsewhere(value, actor)
        who = _check_actor(actor) if actor else self._actor  # (_actor is checked when set)
        # The common step: record the answer, walk on over node plans, keep the events
        # (and the undo record) as compact records made into objects when read. Same
        # results as _answer_in_full, a fraction of the cost. The most common step (an
        # option leading to a question, outside any call) is handled right here: the
        # answer, then the question it leads to when not answered yet, or the known ones
        # passed on the way to one. _answer_checked and _step_on do the rest.
        try:
            hit = here.to_question.get(value)
        except TypeError:  # unhashable, so no option: check() says what is wrong
            hit = None
        if hit is None:
            return self._answer_checked(here, value, who)
        checked, then = hit
        # (Bound methods kept in slots are loaded, then called: written self._now(), the
        # call would look the name up as a method on the class each time, no fast path.)
        clock = self._now
        now = clock()
        key = here.key
        previous: Entry | None  # a Known, or a plain tuple of its fields
        learned: Entry  # the new entry; also the answer's part of the step's record
        if here.ttl is None:  # as tracker.learn does it, without the call (see values_of)
            learned = (checked, who, here.sid, here.id, now, None)
            keep = self._keep
            previous = keep(key, learned)  # adds a fact not known yet, as most are
            if previous is learned:
                previous = None
            else:
                self._known[key] = learned
                self._fresh_values[key] = checked
        else:
            learned = (checked, who, here.sid, here.id, now, now + here.ttl)
            previous = self._record(key, learned)
        arrive = then
        # (Plain assignments throughout: packing several into a tuple costs a tuple.)
        lookup = self._lookup
        entry = lookup(then.key)
        raw = self._raw
        if entry is None:  # a question not answered yet: ask it
            prompt = then.prompt
            if prompt is None:
                return self._step_on(here, who, checked, now, previous, arrive)
            # One record: the answer, the question asked, and back()'s undo record (the
            # _undos property takes it from _raw when the log is read).
            raw += (ANSWERED_HERE, learned, here.number, then.number, previous)
        else:
            # Known questions are passed right here (the walk's most common case, without
            # its call); anything else is left to the walk, from the start again. So is
            # a long run of them, which known questions leading back to each other would
            # be: the walk stops such a loop with a clear error.
            mark = len(raw)
            raw += (ANSWERED_HERE, learned, here.number, None, previous)
            passed = 0
            while True:
                stale = entry[5]
                passed += 1
                if not then.skips or (stale is not None and now >= stale) or \
                        passed > SKIP_LIMIT:
                    del raw[mark:]
                    return self._step_on(here, who, checked, now, previous, arrive)
                goto = then.goto
                after = then.next if goto is None else goto.get(entry[0])
                if after is None or not after.asks:
                    del raw[mark:]
                    return self._step_on(here, who, checked, now, previous, arrive)
                known_after = lookup(after.key)
                if known_after is None:
                    prompt = after.prompt
                    if prompt is None:
                        del raw[mark:]
                        return self._step_on(here, who, checked, now, previous, arrive)
                    raw += (SKIPPED_THEN_ASKED, now, then.number, entry, after.number)
                    then = after
                    break
                raw += (SKIPPED, now, then.number, entry)
                then = after
                entry = known_after
        self._here = then  # _where stays None: (then,) and asking
        self._fast = then.fast
        self._prompt = prompt
        return prompt

    def _answer_elsewhere(self, value: Any, actor: str | None) -> Prompt | None:
        """An answer the fast path does not take: inside a call it is checked and recorded
        as there, with the walk left to _step_on; anything else goes the general way."""
        here = self._plain_here()
        if here is None:
            return self._answer_in_full(value, actor)
        return self._answer_checked(here, value, _check_actor(actor) if actor else self._actor)

    def _answer_checked(self, here: NodePlan, value: Any, who: str) -> Prompt | None:
        """A fast step that answer() does not finish itself: a value to check (not an
        option), an answer leading somewhere other than a question, or a step inside a
        call. Records the answer, then _step_on walks on."""
        hit = here.steps.get(value) if type(value) is str else None
        arrive: NodePlan | None
        if hit is None:
            checked = self._check(value)
            arrive = None
        else:
            checked, arrive = hit
        now = self._now()
        previous = self._learn(here, checked, who, now)
        return self._step_on(here, who, checked, now, previous, arrive)

    def _learn(self, here: NodePlan, checked: Value, who: str, now: float) -> Entry | None:
        """Record ``checked`` as the fact asked at ``here``; returns the entry it replaced."""
        ttl = here.ttl
        return self._record(here.key, (checked, who, here.sid, here.id, now,
                                       None if ttl is None else now + ttl))

    def _record(self, key: str, learned: Entry) -> Entry | None:
        """Put ``learned`` in the tracker; returns the entry it replaced (None: none).
        answer() does the same inline for a fact without a ttl."""
        if learned[5] is None:  # as tracker.learn does it, without the call (see values_of)
            keep = self._keep
            previous = keep(key, learned)
            if previous is learned:
                return None
            self._known[key] = learned
            self._fresh_values[key] = learned[0]
            return previous
        earlier = self._lookup(key)
        self._tracker.learn(key, learned)
        return earlier

    def _step_on(self, here: NodePlan, who: str, checked: Value, now: float,
                 previous: Entry | None, arrive: NodePlan | None) -> Prompt | None:
        """The rest of a fast step whose answer is recorded already: from the node it
        leads to (``None``: not worked out yet), walk on to the next prompt or outcome,
        keep the records and move. On any error the recorded answer is taken back."""
        raw = self._raw
        stack = self._stack
        mark = len(raw)
        prompt: Prompt | None
        try:
            if arrive is None:
                arrive = leave_plan(here, checked, self._tracker, now)
            raw += (ANSWERED, now, here.number, who, checked, None, stack, self._mode,
                    previous)
            below = stack[:-1]
            found = walk(self._plans, self._tracker, below, arrive, now, raw)
            if found is None:  # something unusual: the general walk handles it
                del raw[mark + 1 + FIELDS[ANSWERED]:]
                found = self._walk_in_full(below, arrive, now)
            below, there, mode, outcome, used = found
            if outcome is not None:
                prompt = None
            elif there.prompt is None or mode == "confirm":
                prompt = self._prompt_at(there, mode)
            else:
                prompt = there.prompt
        except BaseException:
            self._tracker.restore(here.key, previous)
            assert self._logged <= mark  # (nothing reads the log during a step)
            del raw[mark:]
            raise
        self._here = there
        self._place((*below, there.frame) if below else there.alone, mode)
        self._outcome = outcome
        self._prompt = prompt
        self._fast = there.fast if self._where is None else None  # (None when confirming)
        if used:
            self._used.update(used)
        return prompt

    def _check(self, value: Any) -> Any:
        decl = self._here.decl
        if decl is None:  # pragma: no cover - a loaded library declares every fact it asks
            raise SessionError(f"fact {self._here.key!r} of {self.script!r} is not declared")
        return check(decl, value)

    def _walk_in_full(self, below: tuple[Frame, ...], arrive: NodePlan, now: float
                      ) -> tuple[tuple[Frame, ...], NodePlan, str, Outcome | None,
                                 dict[str, str]]:
        """The general walk (flow.advance) from ``arrive``: for calls nested too deep,
        loops and anything else the fast walk leaves to it."""
        stack = [*below, arrive.frame]
        events: list[Event] = []
        used: dict[str, str] = {}
        mode, outcome = advance(self._lib, self._tracker, stack, now, events, used)
        self._raw.extend(events)
        return tuple(stack[:-1]), self._plans.node(stack[-1]), mode, outcome, used

    def _answer_in_full(self, value: Any, actor: str | None) -> Prompt | None:
        """A finished session, a confirmation, an action that invalidates facts, or a
        traced session."""
        if self._outcome is not None:
            raise SessionError(f"the session is finished ({self._outcome.result} at "
                               f"{self._outcome.script}:{self._outcome.node}); "
                               "there is nothing to answer")
        who = _check_actor(actor) if actor else self._actor
        lib, tracker = self._lib, self._tracker
        sid, nid = self._stack[-1]
        node = lib.scripts[sid].nodes[nid]
        key = node.fact or ""
        decl = fact_decl(lib, sid, key)
        confirming = self._mode == "confirm"
        if confirming:
            yes = yes_no(value)
            if yes is None:
                raise AnswerError(f"{value!r} is not an answer to 'still true?' about "
                                  f"{key!r}; expected yes or no", fact=key, answer=value,
                                  allowed="yes or no")
        elif decl is not None:
            checked = check(decl, value)
        else:  # pragma: no cover - a loaded library declares every fact it asks
            raise SessionError(f"fact {key!r} of {sid!r} is not declared")
        now = self._clock.now()
        previous: dict[str, Known | None] = {}
        events: list[Event] = []
        stack = list(self._stack)
        used: dict[str, str] = {}
        steps: list[Step] | None = None if self._trail is None else []
        try:
            if confirming:
                entry = tracker.get(key)
                if entry is None:  # pragma: no cover - a confirm prompt needs a known value
                    raise SessionError(f"nothing known about {key!r} to confirm")
                previous[key] = entry
                if yes:
                    tracker.set(key, Known(entry.value, who, sid, nid, now,
                                           _stale_at(decl, now)))
                    events.append(Event("confirmed", now, who, sid, nid, key,
                                        logged(decl, entry.value), data={"kind": node.type}))
                    values = tracker.values(now)
                    stack[-1] = (sid, leave(node, entry.value, values))
                    if steps is not None:
                        steps.append((sid, nid, edge(node, entry.value, values)))
                else:
                    # Forget and stay: the walk arrives at this node again and asks afresh.
                    tracker.forget(key)
                    events.append(Event("invalidated", now, who, sid, nid, key,
                                        logged(decl, entry.value),
                                        f"no longer true, says the {who}"))
            else:
                previous[key] = tracker.get(key)
                events.append(Event("answered", now, who, sid, nid, key, logged(decl, checked),
                                    data={"kind": node.type}))
                if node.type == "action":  # performed, so what it may change is forgotten
                    self._invalidate(node.invalidates, key, sid, nid, now, previous, events)
                tracker.set(key, Known(checked, who, sid, nid, now, _stale_at(decl, now)))
                values = tracker.values(now)
                stack[-1] = (sid, leave(node, checked, values))
                if steps is not None:
                    steps.append((sid, nid, edge(node, checked, values)))
            mode, outcome = advance(lib, tracker, stack, now, events, used, steps)
            there = self._plans.node(stack[-1])
            prompt = None if outcome is not None else self._prompt_at(there, mode)
        except BaseException:
            for fact_key, old in previous.items():
                tracker.restore(fact_key, old)
            raise
        self._undos.append(Undo(self._stack, self._mode, tuple(previous.items()),
                                self._event_count()))
        self._raw.extend(events)
        self._here = there
        self._place(tuple(stack), mode)
        self._outcome, self._prompt = outcome, prompt
        self._moved()
        self._used.update(used)
        if steps and self._trail is not None:
            self._trail.extend(steps)
        return prompt

    def _prompt_at(self, plan: NodePlan, mode: str) -> Prompt:
        """The prompt at ``plan`` in ``mode``: the plan's own when it never changes."""
        fixed = plan.prompt
        if fixed is not None and mode != "confirm":
            return fixed
        return make_prompt(self._lib, self._tracker, plan.frame, mode)

    def _moved(self) -> None:
        """Work out again whether the next answer can take the fast path: a plain step
        (see _plain_here) outside any call."""
        self._fast = self._plain_here() if self._where is None else None

    def _plain_here(self) -> NodePlan | None:
        """The node's plan when an answer here needs nothing but checking and recording
        (see NodePlan.fast): not finished, not confirming, not tracing."""
        if self._outcome is not None or self._trail is not None or self._mode == "confirm":
            return None
        return self._here.fast

    def _prompt_here(self) -> Prompt:
        return self._prompt_at(self._here, self._mode)

    def _invalidate(self, keys: tuple[str, ...], own: str, sid: str, nid: str, now: float,
                    previous: dict[str, Known | None], events: list[Event]) -> None:
        tracker = self._tracker
        for other in keys:
            if other == own or other not in tracker:
                continue
            old = tracker.forget(other)
            previous.setdefault(other, old)
            if old is not None:
                decl = fact_decl(self._lib, sid, other)
                events.append(Event("invalidated", now, "system", sid, nid, other,
                                    logged(decl, old.value),
                                    f"{sid}:{nid} was done and may have changed it"))

    def back(self, *, actor: str | None = None) -> Prompt:
        """Undo the last answer (also across handoffs and calls) and show its prompt again.

        Appends an ``undone`` event (its ``data["from"]`` is the index of the first
        event the undo reverted) and an ``asked`` event; never deletes events. Raises
        :class:`SessionError` when no answer has been given.
        """
        if not self._undos:
            raise SessionError("nothing to undo: no answer has been given yet")
        who = _check_actor(actor) if actor else self._actor
        # Only the record popped is made an Undo: the others keep their identity, by
        # which a store finds what changed since its last save.
        raw = self._undos.pop()
        record = undo_of(raw, self._plans.numbered) if type(raw) is tuple else raw
        assert isinstance(record, Undo)
        for key, entry in record.facts:
            self._tracker.restore(key, entry)
        self._here = self._plans.node(record.stack[-1])
        self._place(tuple(record.stack), record.mode)
        self._outcome = None
        self._moved()
        now = self._clock.now()
        sid, nid = self._stack[-1]
        prompt = self._prompt_here()
        events = self.events
        events.append(Event("undone", now, who, sid, nid, prompt.fact,
                            detail=f"back to {sid}:{nid}", data={"from": record.events}))
        decl = fact_decl(self._lib, sid, prompt.fact)
        entry = self._tracker.get(prompt.fact)
        earlier = logged(decl, entry.value) if entry is not None and \
            self._mode == "confirm" else None
        events.append(Event("asked", now, "system", sid, nid, prompt.fact, earlier,
                            data={"kind": prompt.kind}))
        self._prompt = prompt
        return prompt

    def note(self, text: str, *, actor: str = "agent") -> Event:
        """Add a note to the transcript (an agent's, by default) at the current node."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a note needs some text")
        sid, nid = self._stack[-1]
        event = Event("note", self._clock.now(), _check_actor(actor), sid, nid,
                      detail=text.strip())
        events = self.events
        events.append(event)
        return event

    # -- reading it back -----------------------------------------------------------------
    def summary(self) -> str:
        """A plain-text brief for the next agent: where the session stands, facts known
        (source, age, where learned; sensitive ones masked), actions tried and notes."""
        from .summary import summary_text

        return summary_text(self)

    def summary_dict(self) -> dict[str, Any]:
        """The same brief as :meth:`summary`, JSON-safe."""
        from .summary import summary_dict

        return summary_dict(self)

    def to_dict(self, *, events: bool = True) -> dict[str, Any]:
        """JSON-safe state and transcript, with the content hash of every script used.

        Events are masked; the tracker keeps sensitive values in clear (routing and
        ``back()`` need them), so store the result as you would the customer's record.
        ``events=False`` gives only the small head (with ``event_count``); a store saves
        that plus :meth:`events_since` its last save, and passes the head with
        ``"events"`` put back to :meth:`from_dict`.
        """
        from .serial import dump

        return dump(self, events=events)

    def events_since(self, count: int) -> list[dict[str, Any]]:
        """Events after the first ``count``, JSON-safe: what to append since the last save.

        Events are only ever appended (``back()`` adds ``undone``), so a store that saved
        ``count`` events needs exactly these.
        """
        return [e.to_dict() for e in self._events[count:]]

    @classmethod
    def from_dict(cls, library: Library, data: Mapping[str, Any], *,
                  clock: Clock | None = None) -> Session:
        """Restore a session saved by :meth:`to_dict`.

        If a script changed since, the session resumes only when its current node (and
        each call node it will return to) still exists with the same type and fact and
        that fact's type and options are unchanged; a ``resumed`` event notes what
        changed. Otherwise raises :class:`ResumeError` saying which script changed and
        how. Malformed data raises :class:`ResumeError` too.
        """
        from .serial import load

        return load(cls, library, data, clock if clock is not None else SystemClock())


def _check_actor(actor: str) -> str:
    if actor not in ACTORS:
        raise ValueError(f"actor must be one of {', '.join(ACTORS)}, not {actor!r}")
    return actor


def _earlier_tracker(library: Library, tracker: Tracker | Mapping[str, Any] | None) -> Tracker:
    """A fresh copy of an earlier contact's tracker, without values the library rejects."""
    if tracker is None:
        return Tracker()
    known = tracker.copy() if isinstance(tracker, Tracker) else Tracker.from_dict(tracker)
    for key, entry in list(known.items()):
        decl = library.facts.get(key)
        if decl is None:
            continue  # a fact of scripts not in this library: carried along untouched
        try:
            value = check(decl, entry.value)
        except AnswerError:
            known.forget(key)  # its options changed since: ask again rather than guess
            continue
        if value != entry.value or type(value) is not type(entry.value):
            known.set(key, entry._replace(value=value))
    return known
