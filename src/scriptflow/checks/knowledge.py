"""Which facts are certainly known when the session arrives at each node.

A forward 'must' data-flow analysis over the scripts of a context: a fact is known at
a node when every path from an entry (any script's start: scripts can be started
directly) learns it and nothing on the way invalidates it. Handoffs carry knowledge
across scripts; a call contributes what its script learns on every way to an outcome.
Lint runs it one group of scripts at a time (:mod:`.groups`: nothing flows between
groups), so facts are numbered per group and the bit sets stay small.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..format.model import Node
from .context import LintContext, NodeKey


@dataclass
class Knowledge:
    bits: dict[str, int]  # fact key → bit
    known_at: dict[NodeKey, int]  # known on arrival, for every reachable node

    def known(self, key: NodeKey) -> set[str]:
        mask = self.known_at.get(key, 0)
        return {fact for fact, bit in self.bits.items() if mask & bit}

    def is_known(self, key: NodeKey, fact: str) -> bool:
        return bool(self.known_at.get(key, 0) & self.bits.get(fact, 0))

    def reached(self, key: NodeKey) -> bool:
        return key in self.known_at


def analyse(ctx: LintContext) -> Knowledge:
    bits: dict[str, int] = {}
    for script in ctx.scripts.values():
        for key in script.facts:
            bits.setdefault(key, 1 << len(bits))
    graph = _Graph(ctx, bits)
    universe = (1 << len(bits)) - 1
    may_invalidate = dict.fromkeys(ctx.scripts, 0)
    for vertex, forgets in enumerate(graph.forgets):
        may_invalidate[graph.keys[vertex][0]] |= forgets
    summary = dict.fromkeys(ctx.scripts, universe)  # optimistic start, refined below
    while True:
        state = graph.must_known(universe, summary, may_invalidate)
        at_outcomes: dict[str, int] = {}
        for vertex in graph.outcomes:
            if graph.reached[vertex]:
                sid = graph.keys[vertex][0]
                at_outcomes[sid] = at_outcomes.get(sid, universe) & state[vertex]
        new_summary = {sid: at_outcomes.get(sid, 0) for sid in ctx.scripts}
        # Summaries only matter to calls: stop when no call's callee changed.
        if all(new_summary.get(c) == summary.get(c) for c in graph.callees()):
            known_at = {graph.keys[v]: state[v] for v in range(len(graph.keys))
                        if graph.reached[v]}
            return Knowledge(bits, known_at)
        summary = new_summary


class _Graph:
    """The library's nodes numbered 0..n-1, with what each one learns and forgets.

    Plain lists indexed by number keep the fixpoint loop free of tuple hashing and
    attribute lookups: it visits every node of the library, more than once.
    """

    def __init__(self, ctx: LintContext, bits: dict[str, int]) -> None:
        self.keys: list[NodeKey] = []
        index: dict[NodeKey, int] = {}
        nodes: list[Node] = []
        for script in ctx.scripts.values():
            if not script.complete:
                continue  # unknown edges would make any conclusion wrong
            for node in script.nodes.values():
                index[(script.id, node.id)] = len(self.keys)
                self.keys.append((script.id, node.id))
                nodes.append(node)
        self.succ: list[list[int]] = []
        self.entries: set[int] = set()
        self.forgets: list[int] = []  # what `invalidates` drops
        self.asks: list[bool] = []
        self.learns: list[int] = []
        self.callee: list[str | None] = []
        self.outcomes = [v for v, node in enumerate(nodes) if node.type == "outcome"]
        for script in ctx.scripts.values():
            if script.complete and script.start in script.nodes:
                self.entries.add(index[(script.id, script.start)])
        for vertex, node in enumerate(nodes):
            sid = self.keys[vertex][0]
            succ = [index[(sid, t)] for t in ctx.intra_adjacency[sid][node.id]]
            target = ctx.target_entry(node) if node.type in ("handoff", "call") else None
            if node.type == "handoff" and target in index:
                succ.append(index[target])
            elif node.type == "call" and node.target_node and target in index:
                self.entries.add(index[target])
            self.succ.append(succ)
            self.forgets.append(_mask(node.invalidates, bits))
            self.asks.append(node.asks)
            self.learns.append(bits.get(node.fact or "", 0))
            self.callee.append((node.target_script or "") if node.type == "call" else None)
        self.reached = self._reachable()
        self.preds: list[list[int]] = [[] for _ in self.keys]
        for vertex, succ in enumerate(self.succ):
            if self.reached[vertex]:
                for nxt in succ:
                    self.preds[nxt].append(vertex)

    def callees(self) -> set[str]:
        return {c for v, c in enumerate(self.callee) if c is not None and self.reached[v]}

    def _reachable(self) -> list[bool]:
        reached = [False] * len(self.keys)
        todo = list(self.entries)
        for vertex in todo:
            reached[vertex] = True
        while todo:
            for nxt in self.succ[todo.pop()]:
                if not reached[nxt]:
                    reached[nxt] = True
                    todo.append(nxt)
        return reached

    def must_known(self, universe: int, summary: dict[str, int],
                   may_invalidate: dict[str, int]) -> list[int]:
        """Facts known on arrival at each node on every path from an entry (a forward
        'must' analysis: start from everything, intersect until nothing changes)."""
        forgets, asks, learns, callee = self.forgets, self.asks, self.learns, self.callee

        def after(vertex: int, known: int) -> int:
            if asks[vertex]:
                return (known & ~forgets[vertex]) | learns[vertex]
            called = callee[vertex]
            if called is not None:
                return (known & ~may_invalidate.get(called, universe)) | summary.get(called, 0)
            return known

        # None stands for "everything" (not reached by the iteration yet): a library of
        # 1,000 scripts has ~12,000 facts, and a set of all of them per node would
        # cost ~1.5 KB a node before the first step.
        count = len(self.keys)
        state: list[int | None] = [0 if v in self.entries else None for v in range(count)]
        out: list[int | None] = [None if k is None else after(v, k) for v, k in enumerate(state)]
        queue = deque(v for v in range(count) if self.reached[v])
        queued = list(self.reached)
        preds, succ, reached, entries = self.preds, self.succ, self.reached, self.entries
        while queue:
            vertex = queue.popleft()
            queued[vertex] = False
            value: int | None = 0 if vertex in entries else None
            for pred in preds[vertex]:
                came = out[pred]
                if came is not None:
                    value = came if value is None else value & came
            if value is not None and value != state[vertex]:
                state[vertex] = value
                out[vertex] = after(vertex, value)
                for nxt in succ[vertex]:
                    if reached[nxt] and not queued[nxt]:
                        queued[nxt] = True
                        queue.append(nxt)
        return [universe if k is None else k for k in state]


def _mask(keys: tuple[str, ...], bits: dict[str, int]) -> int:
    mask = 0
    for key in keys:
        mask |= bits.get(key, 0)
    return mask
