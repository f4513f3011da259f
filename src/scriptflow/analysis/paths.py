"""Every path from a script's start to an outcome, walked the way a session would walk it.

The walk follows handoffs and calls, skips questions whose fact is already known (as a
session does, by each node's reask policy), and forks wherever the customer's answer
or a route's condition can go more than one way. What is known along a path is kept as
the *set of values* a fact can still have: a choice asked with ``next`` can be any of
its options until a route reads it, and then the path splits by what the route does.
Number and text answers are open; a route reading one is tried with a few values on
each side of every literal it is compared with, so each route that can fire does.

A path never passes the same position (the whole call stack) twice, nor makes a call
that is already running below it: such a loop is cut there and counted. Time does not
pass on a path, so nothing goes stale (ttl is not modelled). A confirmation forks: "yes"
keeps the value, "no" asks afresh. Pure functions over a loaded library: nothing here
prints or reads files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise, product
from typing import TYPE_CHECKING, Final

from ..engine.answers import display
from ..engine.flow import branch_key
from ..format.model import Fact, Node, Route

if TYPE_CHECKING:
    from ..library import Library

Value = bool | int | float | str


class _Open:
    """The value of a number or text fact that was answered: known, but not which."""

    def __repr__(self) -> str:
        return "OPEN"


OPEN: Final = _Open()
Domain = frozenset[Value] | _Open
State = dict[str, Domain]
Frame = tuple[str, str]

PROMPT_KINDS: Final = frozenset({"question", "action", "confirm"})
MAX_COMBINATIONS: Final = 4096  # values tried per routing decision before giving up precision


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens on a path.

    ``kind``: ``question`` / ``action`` (asked), ``confirm`` (a known value confirmed),
    ``skipped`` (known, not asked), ``decision``, ``handoff``, ``call``, ``return`` or
    ``outcome``. ``detail`` says which way it went: the answers that take this path
    (``yes``, ``internet_red|all_off``, ``any``), the route taken, or where to. A
    confirmation answered "no" is asked afresh at once: one step, two answers.
    """

    script: str
    node: str
    kind: str
    fact: str | None = None
    detail: str = ""
    answers: int = 0  # answers the customer gives here (2: "no, not any more" and anew)
    way: str = ""  # the condition of the route a question or action left by


@dataclass(frozen=True, slots=True)
class Path:
    """A path from the start to an outcome that ends the session."""

    steps: tuple[Step, ...]
    script: str  # where it ends
    node: str
    result: str
    code: str | None

    @property
    def prompts(self) -> tuple[Step, ...]:
        """The steps the customer answers: questions, actions and confirmations."""
        return tuple(s for s in self.steps if s.kind in PROMPT_KINDS)

    @property
    def questions(self) -> int:
        """How many answers the customer gives on this path (the effort)."""
        return sum(s.answers for s in self.steps)

    @property
    def skipped(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind == "skipped")

    @property
    def outcome_key(self) -> tuple[str, str]:
        return (self.script, self.node)


@dataclass
class PathSet:
    """What :func:`enumerate_paths` found."""

    script: str
    known: dict[str, Value]
    paths: list[Path] = field(default_factory=list)
    loops_cut: int = 0  # walks that came back to a position already on their path
    truncated: bool = False  # stopped at max_paths (or max_visits): there are more
    too_long: int = 0  # walks cut at max_steps


def domain_of(fact: Fact | None) -> Domain:
    """Every value a fact can take: its options, yes/no, or OPEN (number, text)."""
    if fact is None:
        return OPEN
    if fact.type == "boolean":
        return frozenset({True, False})
    if fact.type == "choice":
        return frozenset(fact.options)
    return OPEN


def _decl(lib: Library, script_id: str, key: str) -> Fact | None:
    script = lib.scripts.get(script_id)
    found = script.facts.get(key) if script is not None else None
    return found if found is not None else lib.facts.get(key)


def _shown(values: Domain, fact: Fact | None) -> str:
    if isinstance(values, _Open):
        return "any"
    if fact is not None and fact.sensitive:
        return "(given)"
    return "|".join(display(v) for v in _ordered(values, fact))


def _ordered(values: frozenset[Value], fact: Fact | None) -> list[Value]:
    """Values in the order the author declared them (options; yes before no)."""
    if fact is not None and fact.type == "choice":
        order = {o: i for i, o in enumerate(fact.options)}
        return sorted(values, key=lambda v: (order.get(str(v), len(order)), str(v)))
    return sorted(values, key=lambda v: (not v, str(v)) if isinstance(v, bool) else
                  (0, str(v)))


def branch_forks(node: Node, values: frozenset[Value],
                 fact: Fact | None) -> list[tuple[str, frozenset[Value]]]:
    """Where ``branches`` send each value: ``(target, values)`` per target reached, in
    the order the branches are written."""
    groups: dict[str, set[Value]] = {}
    for value in _ordered(values, fact):
        key = branch_key(value)
        target = node.branches.get(key) or node.branches.get("*")
        if target is not None:
            groups.setdefault(target, set()).add(value)
    order = {t: i for i, t in enumerate(node.branches.values())}
    return [(t, frozenset(v)) for t, v in sorted(groups.items(), key=lambda kv: order[kv[0]])]


def _candidates(key: str, routes: list[Route], fact: Fact | None) -> list[Value]:
    """Values of an open fact worth trying in these routes: each literal it is compared
    with, and one value between and beyond them (the conditions cannot tell apart two
    values with no literal in between)."""
    literals: set[Value] = set()
    for route in routes:
        if route.when is not None:
            literals.update(v for f, _op, v in route.when.comparisons()
                            if f == key and isinstance(v, int | float | str)
                            and not isinstance(v, bool))
    if fact is not None and fact.type == "text":
        texts = sorted(str(v) for v in literals if isinstance(v, str))
        return [*texts, "\u2063other"]
    numbers = sorted(float(v) for v in literals if isinstance(v, int | float))
    if not numbers:
        numbers = [0.0, 1.0]
    found = {numbers[0] - 1, numbers[-1] + 1, *numbers}
    found.update((a + b) / 2 for a, b in pairwise(numbers))
    low = fact.minimum if fact is not None and fact.minimum is not None else None
    high = fact.maximum if fact is not None and fact.maximum is not None else None
    kept = [v for v in sorted(found) if (low is None or v >= low) and
            (high is None or v <= high)]
    return list(kept or [low if low is not None else numbers[0]])


def route_forks(lib: Library, node: Node, state: State) -> list[tuple[int, State]]:
    """Which routes of ``node`` can fire given what may be known: ``(route index,
    state narrowed to the values that take that route)`` for each, in route order."""
    reads: set[str] = set()
    for route in node.routes:
        if route.when is not None:
            reads |= route.when.facts
    names = sorted(k for k in reads if k in state)
    axes: list[list[Value]] = []
    for key in names:
        domain = state[key]
        fact = _decl(lib, node.script, key)
        axes.append(_candidates(key, node.routes, fact) if isinstance(domain, _Open)
                    else _ordered(domain, fact))
    size = 1
    for axis in axes:
        size *= max(len(axis), 1)
    if size > MAX_COMBINATIONS:  # too many to try: any route up to the default may fire
        forks = []
        for index, route in enumerate(node.routes):
            forks.append((index, dict(state)))
            if route.when is None:
                break
        return forks
    taken: dict[int, list[dict[str, Value]]] = {}
    for combo in product(*axes):
        values = dict(zip(names, combo, strict=True))
        for index, route in enumerate(node.routes):
            if route.when is None or route.when.evaluate(values):
                taken.setdefault(index, []).append(values)
                break
    forks = []
    for index in sorted(taken):
        narrowed = dict(state)
        for key in names:
            if not isinstance(state[key], _Open):
                narrowed[key] = frozenset(v[key] for v in taken[index])
        forks.append((index, narrowed))
    return forks


def _route_text(route: Route) -> str:
    return route.when_text or "otherwise"


class _Walker:
    """Depth-first over positions, forking at every choice; one instance per call."""

    def __init__(self, lib: Library, result: PathSet, max_paths: int, max_steps: int,
                 max_visits: int) -> None:
        self.lib = lib
        self.result = result
        self.max_paths = max_paths
        self.max_steps = max_steps
        self.visits_left = max_visits  # bounds the work when most walks are cut loops

    def walk(self, stack: tuple[Frame, ...], state: State, steps: list[Step],
             seen: frozenset[tuple[Frame, ...]]) -> None:
        result = self.result
        if result.truncated:
            return
        self.visits_left -= 1
        if self.visits_left < 0:
            result.truncated = True
            return
        if stack in seen:
            result.loops_cut += 1
            return
        if len(steps) >= self.max_steps:
            result.too_long += 1
            return
        seen = seen | {stack}
        sid, nid = stack[-1]
        script = self.lib.scripts[sid]
        node = script.nodes[nid]
        for step, next_stack, next_state in self.moves(node, stack, state):
            steps.append(step)
            if next_stack is None:  # the session ends here
                if len(result.paths) >= self.max_paths:
                    result.truncated = True
                else:
                    result.paths.append(Path(self.settle(steps, next_state), sid, nid,
                                             node.result or "unresolved", node.code))
            else:
                self.walk(next_stack, next_state, steps, seen)
            steps.pop()
            if result.truncated:
                return

    def settle(self, steps: list[Step], state: State) -> tuple[Step, ...]:
        """The steps with each answer narrowed to what the rest of the path needs: a
        choice asked with ``next`` shows only the values a later route let through."""
        last: dict[str, int] = {}
        for index, step in enumerate(steps):
            if step.fact and step.answers:
                last[step.fact] = index
        settled = list(steps)
        for key, index in last.items():
            step = steps[index]
            values = state.get(key)
            if values is None or isinstance(values, _Open):
                continue  # forgotten since (invalidated), or open: nothing to narrow
            fact = _decl(self.lib, step.script, key)
            prefix = "no, asked again: " if step.answers == 2 else ""
            detail = prefix + _shown(values, fact) + (f" ({step.way})" if step.way else "")
            settled[index] = Step(step.script, step.node, step.kind, key, detail,
                                  step.answers, step.way)
        return tuple(settled)

    def moves(self, node: Node, stack: tuple[Frame, ...],
              state: State) -> Iterator[tuple[Step, tuple[Frame, ...] | None, State]]:
        """Each way on from ``node``: the step taken, the next stack (None: the end)
        and what is known after it. Several steps may be yielded for one node."""
        sid, nid = node.script, node.id
        base = stack[:-1]
        if node.type in ("question", "action"):
            yield from self._prompt_moves(node, stack, state)
        elif node.type == "decision":
            for index, narrowed in route_forks(self.lib, node, state):
                route = node.routes[index]
                yield (Step(sid, nid, "decision", None, _route_text(route)),
                       (*base, (sid, route.goto)), narrowed)
        elif node.type in ("handoff", "call"):
            target = self.lib.scripts.get(node.target_script or "")
            if target is None:
                return
            entry = (target.id, node.target_node or target.start)
            detail = f"{target.id}:{entry[1]}"
            if node.type == "handoff":
                yield Step(sid, nid, "handoff", None, detail), (*base, entry), state
            elif (sid, nid) in stack[:-1]:
                self.result.loops_cut += 1  # this call is already running below: recursion
            else:
                yield Step(sid, nid, "call", None, detail), (*stack, entry), state
        elif node.type == "outcome":
            result = node.result or "unresolved"
            if not base:
                yield Step(sid, nid, "outcome", None, result), None, state
                return
            csid, cnid = base[-1]
            call = self.lib.scripts[csid].nodes[cnid]
            back = call.next if call.next is not None else (
                call.branches.get(result) or call.branches.get("*"))
            if back is not None:
                yield (Step(sid, nid, "return", None, f"{result} to {csid}:{cnid}"),
                       (*base[:-1], (csid, back)), state)

    def _prompt_moves(self, node: Node, stack: tuple[Frame, ...],
                      state: State) -> Iterator[tuple[Step, tuple[Frame, ...] | None, State]]:
        key = node.fact or ""
        fact = _decl(self.lib, node.script, key)
        known = state.get(key)
        policy = node.reask or (fact.reask if fact is not None else "skip")
        if known is None or policy == "always":
            yield from self._answered(node, stack, state, fact, node.type, 1, "")
        elif policy == "skip":
            yield from self._went(node, stack, "skipped", 0, known, state, fact, "")
        else:  # confirm: yes keeps the value; no forgets it and asks afresh
            yield from self._went(node, stack, "confirm", 1, known, state, fact, "")
            yield from self._answered(node, stack, state, fact, "confirm", 2,
                                      "no, asked again: ")

    def _answered(self, node: Node, stack: tuple[Frame, ...], state: State,
                  fact: Fact | None, kind: str, answers: int,
                  prefix: str) -> Iterator[tuple[Step, tuple[Frame, ...] | None, State]]:
        """The customer answers afresh: any value of the fact may come."""
        key = node.fact or ""
        after = dict(state)
        if node.type == "action":  # performed: what it may change is forgotten
            for other in node.invalidates:
                if other != key:
                    after.pop(other, None)
        values = domain_of(fact)
        after[key] = values
        yield from self._went(node, stack, kind, answers, values, after, fact, prefix)

    def _went(self, node: Node, stack: tuple[Frame, ...], kind: str, answers: int,
              values: Domain, state: State, fact: Fact | None,
              prefix: str) -> Iterator[tuple[Step, tuple[Frame, ...] | None, State]]:
        key = node.fact or ""
        for target, narrowed, route in self._leave(node, key, values, state, fact):
            shown = _shown(narrowed.get(key, values), fact) + (f" ({route})" if route else "")
            yield (Step(node.script, node.id, kind, key, prefix + shown, answers, route),
                   (*stack[:-1], (node.script, target)), narrowed)

    def _leave(self, node: Node, key: str, values: Domain, state: State,
               fact: Fact | None) -> Iterator[tuple[str, State, str]]:
        """Where a question or action goes: (target, what is known then, the route's
        condition when it left by a route)."""
        if node.next is not None:
            yield node.next, state, ""
        elif node.branches:
            domain = values if not isinstance(values, _Open) else frozenset(node.branches)
            for target, chosen in branch_forks(node, domain, fact):
                yield target, {**state, key: chosen}, ""
        else:
            for index, narrowed in route_forks(self.lib, node, state):
                route = node.routes[index]
                yield route.goto, narrowed, _route_text(route)


def enumerate_paths(lib: Library, script_id: str, known: Mapping[str, Value] | None = None,
                    *, max_paths: int = 1000, max_steps: int = 400,
                    max_visits: int = 1_000_000) -> PathSet:
    """Every path from ``script_id``'s start to an outcome, given facts already ``known``
    (checked values, as ``Session.start(facts=...)`` would hold them).

    Stops after ``max_paths`` paths, or ``max_visits`` nodes visited in all (then
    ``truncated`` is set); a single walk longer than ``max_steps`` is dropped and counted
    in ``too_long``. Raises
    :class:`~scriptflow.errors.ScriptNotFoundError` for an unknown script.
    """
    script = lib[script_id]
    given = dict(known or {})
    result = PathSet(script.id, given)
    state: State = {k: frozenset({v}) for k, v in given.items()}
    walker = _Walker(lib, result, max_paths, max_steps, max_visits)
    walker.walk(((script.id, script.start),), state, [], frozenset())
    return result
