"""Graph algorithms as pure functions over adjacency mappings.

No policy here: the rules decide what a result means. Everything is iterative (no
recursion limits on large scripts) and deterministic (results follow the order of the
input, so messages are stable between runs).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

N = TypeVar("N", bound=Hashable)
Adjacency = Mapping[N, Sequence[N]]


def reachable(adj: Mapping[N, Sequence[N]], roots: Iterable[N]) -> set[N]:
    """Every vertex reachable from ``roots`` (the roots included)."""
    seen: set[N] = set()
    queue = deque(r for r in roots if r in adj)
    seen.update(queue)
    while queue:
        for nxt in adj[queue.popleft()]:
            if nxt not in seen and nxt in adj:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def reverse(adj: Mapping[N, Sequence[N]]) -> dict[N, list[N]]:
    rev: dict[N, list[N]] = {v: [] for v in adj}
    for v, succs in adj.items():
        for w in succs:
            if w in rev:
                rev[w].append(v)
    return rev


def strongly_connected(adj: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """Tarjan's algorithm, iterative; components in reverse topological order."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    result: list[list[N]] = []
    counter = 0
    for root in adj:
        if root in index:
            continue
        work: list[tuple[N, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succs = [w for w in adj[v] if w in adj]
            recursed = False
            while i < len(succs):
                w = succs[i]
                i += 1
                if w not in index:
                    work.append((v, i))
                    work.append((w, 0))
                    recursed = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recursed:
                continue
            if low[v] == index[v]:
                component: list[N] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                result.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return result


def cycle_through(adj: Mapping[N, Sequence[N]], start: N, within: set[N]) -> list[N]:
    """A shortest cycle from ``start`` back to itself using only ``within`` vertices."""
    parents: dict[N, N] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w in adj[v]:
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if w in within and w not in seen:
                seen.add(w)
                parents[w] = v
                queue.append(w)
    return [start]


def longest_weighted_path(adj: Mapping[N, Sequence[N]], root: N, weight: Callable[[N], int],
                          is_end: Callable[[N], bool]) -> tuple[int, list[N]]:
    """Heaviest path from ``root`` to an end vertex, with loops cut.

    Back edges found by a depth-first search from ``root`` are dropped (a loop is
    counted once), then the remaining DAG is solved by dynamic programming.
    """
    order: list[N] = []
    state: dict[N, int] = {}  # 1 = on the DFS stack, 2 = done
    dag: dict[N, list[N]] = {}
    work: list[tuple[N, int]] = [(root, 0)]
    while work:
        v, i = work.pop()
        if i == 0:
            state[v] = 1
            dag[v] = []
        succs = adj.get(v, ())
        descended = False
        while i < len(succs):
            w = succs[i]
            i += 1
            if w not in adj:
                continue
            if state.get(w) == 1:
                continue  # back edge: a loop, counted once
            dag[v].append(w)
            if w not in state:
                work.append((v, i))
                work.append((w, 0))
                descended = True
                break
        if not descended:
            state[v] = 2
            order.append(v)
    best: dict[N, tuple[int, N | None]] = {}
    for v in order:  # post-order: successors first
        candidates = [(best[w][0], w) for w in dag[v] if w in best]
        if candidates:
            score, succ = max(candidates, key=lambda c: c[0])
            best[v] = (score + weight(v), succ)
        elif is_end(v):
            best[v] = (weight(v), None)
    if root not in best:
        return 0, []
    path = [root]
    while (nxt := best[path[-1]][1]) is not None:
        path.append(nxt)
    return best[root][0], path


def must_dataflow(
    adj: Mapping[N, Sequence[N]],
    entries: Mapping[N, int],
    transfer: Callable[[N, int], int],
    universe: int,
) -> dict[N, int]:
    """Forward 'must' analysis over bit sets: what holds at each vertex's entry on every path.

    ``entries`` gives the set known at entry vertices (the meet includes it);
    ``transfer(v, in_set)`` gives the set after ``v``. Unvisited vertices keep
    ``universe`` (the top of the lattice) and are left out of the result.
    """
    preds = reverse(adj)
    state: dict[N, int] = {v: universe for v in adj}
    for v, known in entries.items():
        if v in state:
            state[v] = known
    reached = reachable(adj, entries)
    queue = deque(v for v in adj if v in reached)
    queued = set(queue)
    while queue:
        v = queue.popleft()
        queued.discard(v)
        value = entries.get(v, universe)
        for p in preds[v]:
            if p in reached:
                value &= transfer(p, state[p])
        if v in entries:
            value &= entries[v]
        if value != state[v]:
            state[v] = value
            for w in adj[v]:
                if w in reached and w not in queued:
                    queued.add(w)
                    queue.append(w)
    return {v: state[v] for v in adj if v in reached}
