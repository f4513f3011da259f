"""Which facts are certainly known when the session arrives at each node.

A forward 'must' data-flow analysis over the whole library: a fact is known at a node
when every path from an entry (any script's start: scripts can be started directly)
learns it and nothing on the way invalidates it. Handoffs carry knowledge across
scripts; a call contributes what its script learns on every way to an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..format.model import Node
from .context import LintContext, NodeKey
from .graphalg import must_dataflow


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
    universe = (1 << len(bits)) - 1
    nodes: dict[NodeKey, Node] = {}
    adj: dict[NodeKey, list[NodeKey]] = {}
    entries: dict[NodeKey, int] = {}
    for script in ctx.scripts.values():
        if not script.complete:
            continue  # unknown edges would make any conclusion wrong
        if script.start in script.nodes:
            entries[(script.id, script.start)] = 0
        for node in script.nodes.values():
            here = (script.id, node.id)
            nodes[here] = node
            succ = [(script.id, t) for t in ctx.intra_adjacency[script.id][node.id]]
            if node.type == "handoff":
                target = ctx.target_entry(node)
                if target is not None:
                    succ.append(target)
            elif node.type == "call" and node.target_node:
                target = ctx.target_entry(node)
                if target is not None:
                    entries[target] = 0  # entered with whatever the caller knew
            adj[here] = succ
    for vertex in list(adj):
        adj[vertex] = [s for s in adj[vertex] if s in adj]

    masks = {key: _mask(node.invalidates, bits) for key, node in nodes.items()}
    may_invalidate = {sid: 0 for sid in ctx.scripts}
    for (sid, _nid), mask in masks.items():
        may_invalidate[sid] |= mask
    summary = {sid: universe for sid in ctx.scripts}  # optimistic start, refined below

    def transfer(key: NodeKey, known: int) -> int:
        node = nodes[key]
        if node.asks:
            return (known & ~masks[key]) | bits.get(node.fact or "", 0)
        if node.type == "call":
            callee = node.target_script or ""
            return (known & ~may_invalidate.get(callee, universe)) | summary.get(callee, 0)
        return known

    outcomes = [key for key, node in nodes.items() if node.type == "outcome"]
    while True:
        known_at = must_dataflow(adj, entries, transfer, universe)
        at_outcomes: dict[str, int] = {}
        for outcome in outcomes:
            if outcome in known_at:
                sid = outcome[0]
                at_outcomes[sid] = at_outcomes.get(sid, universe) & known_at[outcome]
        new_summary = {sid: at_outcomes.get(sid, 0) for sid in ctx.scripts}
        if new_summary == summary:
            return Knowledge(bits, known_at)
        summary = new_summary


def _mask(keys: tuple[str, ...], bits: dict[str, int]) -> int:
    mask = 0
    for key in keys:
        mask |= bits.get(key, 0)
    return mask
