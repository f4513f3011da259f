"""Node and branch coverage of scripts by the paths sessions actually took."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..format.model import Node, Script

Step = tuple[str, str, str]  # (script, node, edge label) — an edge taken out of a node


def ways_out(node: Node) -> list[tuple[str, str]]:
    """``(label, target node)`` for every way out of ``node`` inside its script."""
    if node.next is not None:
        return [("next", node.next)]
    if node.branches:
        return [(f"branch:{key}", target) for key, target in node.branches.items()]
    return [(f"route:{i}", route.goto) for i, route in enumerate(node.routes)]


def edges_of(node: Node) -> list[str]:
    """The labels of every way out of ``node``, as the engine's trail names them."""
    if node.type in ("question", "action", "call"):
        if node.next is not None:
            return ["next"]
        if node.branches:
            return [f"branch:{key}" for key in node.branches]
        return [f"route:{i}" for i in range(len(node.routes))]
    if node.type == "decision":
        return [f"route:{i}" for i in range(len(node.routes))]
    if node.type == "handoff":
        return ["handoff"]
    return []  # outcomes end (or return); reaching them is node coverage


def edge_text(node: Node, label: str) -> str:
    """A label for people: ``branch yes``, ``route 'x >= 5'``, ``otherwise``."""
    kind, _, rest = label.partition(":")
    if kind == "branch":
        return f"branch {rest!r}"
    if kind == "route":
        route = node.routes[int(rest)]
        return f"route {route.when_text!r}" if route.when_text else "otherwise"
    return label


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _shown(percent: float | None, width: int, decimals: int) -> str:
    """A percentage for the table, ``n/a`` when there was nothing to measure."""
    return f"{percent:{width}.{decimals}f}%" if percent is not None else f"{'n/a':>{width + 1}}"


def _rounded(percent: float | None) -> float | None:
    return round(percent, 1) if percent is not None else None


@dataclass
class ScriptCoverage:
    script: str
    nodes: list[str]
    reached: set[str] = field(default_factory=set)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (node, label)
    taken: set[tuple[str, str]] = field(default_factory=set)

    @property
    def node_percent(self) -> float | None:
        """None when there is nothing to cover: "100 %" of nothing would look tested."""
        return _percent(len(self.reached & set(self.nodes)), len(self.nodes))

    @property
    def branch_percent(self) -> float | None:
        return _percent(len(self.taken & set(self.edges)), len(self.edges))

    def missed_nodes(self) -> list[str]:
        return [n for n in self.nodes if n not in self.reached]

    def missed_edges(self) -> list[tuple[str, str]]:
        return [e for e in self.edges if e not in self.taken]


class Coverage:
    """Accumulates trails of many sessions over a set of scripts."""

    def __init__(self, scripts: Iterable[Script]) -> None:
        self.scripts: dict[str, Script] = {s.id: s for s in scripts}
        self.by_script: dict[str, ScriptCoverage] = {}
        for script in self.scripts.values():
            cover = ScriptCoverage(script.id, list(script.nodes))
            for node in script.nodes.values():
                cover.edges += [(node.id, label) for label in edges_of(node)]
            self.by_script[script.id] = cover

    def add(self, trail: Iterable[Step], reached: Iterable[tuple[str, str]] = ()) -> None:
        for sid, nid, label in trail:
            cover = self.by_script.get(sid)
            if cover is not None:
                cover.reached.add(nid)
                cover.taken.add((nid, label))
        for sid, nid in reached:
            cover = self.by_script.get(sid)
            if cover is not None:
                cover.reached.add(nid)

    def total(self) -> tuple[float | None, float | None]:
        """Node and branch coverage over every script; None for a measure with nothing
        to cover (an empty library, or scripts without branches)."""
        nodes = sum(len(c.nodes) for c in self.by_script.values())
        edges = sum(len(c.edges) for c in self.by_script.values())
        reached = sum(len(c.reached & set(c.nodes)) for c in self.by_script.values())
        taken = sum(len(c.taken & set(c.edges)) for c in self.by_script.values())
        return _percent(reached, nodes), _percent(taken, edges)

    def to_dict(self) -> dict[str, Any]:
        node_total, branch_total = self.total()
        return {
            "scripts": {
                sid: {
                    "nodes": {"total": len(c.nodes), "covered": len(c.reached & set(c.nodes)),
                              "percent": _rounded(c.node_percent),
                              "missed": c.missed_nodes()},
                    "branches": {"total": len(c.edges),
                                 "covered": len(c.taken & set(c.edges)),
                                 "percent": _rounded(c.branch_percent),
                                 "missed": [
                                     {"node": n, "edge": edge_text(
                                         self.scripts[sid].nodes[n], label),
                                      "label": label}
                                     for n, label in c.missed_edges()]},
                }
                for sid, c in sorted(self.by_script.items())
            },
            "total": {"nodes": _rounded(node_total), "branches": _rounded(branch_total)},
        }

    def table(self) -> str:
        rows = [f"{'script':<24} {'nodes':>12} {'branches':>12}  not covered"]
        for sid, c in sorted(self.by_script.items()):
            script = self.scripts[sid]
            reached = len(c.reached & set(c.nodes))
            taken = len(c.taken & set(c.edges))
            if not reached:  # listing every node of an untested script says less than this
                shown = "no scenario reaches this script"
            else:
                missed = [f"node {n}" for n in c.missed_nodes()]
                missed += [f"{n}: {edge_text(script.nodes[n], label)}"
                           for n, label in c.missed_edges() if n in c.reached]
                shown = ", ".join(missed[:6]) + (f", … {len(missed) - 6} more"
                                                 if len(missed) > 6 else "")
            nodes = f"{reached}/{len(c.nodes)} {_shown(c.node_percent, 3, 0)}"
            edges = f"{taken}/{len(c.edges)} {_shown(c.branch_percent, 3, 0)}"
            rows.append(f"{sid:<24} {nodes:>12} {edges:>12}  {shown}".rstrip())
        node_total, branch_total = self.total()
        rows.append(f"{'total':<24} {_shown(node_total, 11, 1)} {_shown(branch_total, 11, 1)}")
        return "\n".join(rows)
