"""A script's nodes in walking order and in layers (breadth first from the start): the
funnel's row order and the columns of the drawn graph."""

from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import Any

from ..format.model import Script


def layers(script: Script) -> list[list[str]]:
    """Nodes by their distance from the start; nodes the start cannot reach come last,
    in the order they were written."""
    depth: dict[str, int] = {script.start: 0}
    queue = deque([script.start])
    while queue:
        here = queue.popleft()
        node = script.nodes.get(here)
        if node is None:
            continue
        for target, _label, _mark in node.targets():
            if target in script.nodes and target not in depth:
                depth[target] = depth[here] + 1
                queue.append(target)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for nid, level in depth.items():
        rows[level].append(nid)
    rest = [nid for nid in script.nodes if nid not in depth]
    if rest:
        rows.append(rest)
    return [row for row in rows if row]


def walk_order(script: Script) -> list[str]:
    """Every node of ``script``, layer by layer."""
    return [nid for row in layers(script) for nid in row]


def script_graph(script: Script | None, seen: list[str],
                 traffic: list[dict[str, Any]]) -> dict[str, Any]:
    # The way past decisions is the one `scriptflow graph --traffic` draws, too.
    from ..cli.overlay import _between as between
    """What the HTML draws for one script: ``{nodes: [{id, type, layer, result}],
    edges: [{from, to, label, count, planned}]}``. With the script, every node and edge
    it declares (``planned`` True) and the traffic on each; a move past decisions
    (which leave no event) counts on every edge of the way it must have taken. Without it, the nodes
    and moves the events show, layered from the nodes nothing leads to."""
    counts = {(t["from"], t["to"]): t["count"] for t in traffic}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    if script is not None:
        for level, row in enumerate(layers(script)):
            for nid in row:
                node = script.nodes[nid]
                nodes.append({"id": nid, "type": node.type, "layer": level,
                              "result": node.result, "target": node.target_script})
                for target, label, _mark in node.targets():
                    if target in script.nodes and not any(
                            e["from"] == nid and e["to"] == target for e in edges):
                        edges.append({"from": nid, "to": target, "label": label,
                                      "count": counts.pop((nid, target), 0),
                                      "planned": True})
    else:
        names = list(dict.fromkeys([*seen, *(t["from"] for t in traffic),
                                    *(t["to"] for t in traffic)]))
        depth = _depths(names, list(counts))
        nodes = [{"id": n, "type": "node", "layer": depth[n], "result": None,
                  "target": None} for n in sorted(names, key=lambda n: (depth[n],
                                                                        names.index(n)))]
    if script is not None:  # a move past decisions: count it on each edge it took
        scripts = {script.id: script}
        index = {(e["from"], e["to"]): e for e in edges}
        for (a, b), n in list(counts.items()):
            way = between(scripts, script.id, a, b)
            if way is not None:
                for step in pairwise(way):
                    index[step]["count"] += n
                del counts[(a, b)]
    placed = {n["id"] for n in nodes}
    edges.extend({"from": a, "to": b, "label": "", "count": n, "planned": False}
                 for (a, b), n in counts.items() if a in placed and b in placed)
    return {"nodes": nodes, "edges": edges}


def _depths(names: list[str], moves: list[tuple[str, str]]) -> dict[str, int]:
    incoming = {b for a, b in moves if a != b}
    depth = {n: 0 for n in names if n not in incoming}
    if not depth and names:  # every node has a way in (a loop): start at the busiest
        depth = {names[0]: 0}
    queue = deque(depth)
    while queue:
        here = queue.popleft()
        for a, b in moves:
            if a == here and b not in depth:
                depth[b] = depth[here] + 1
                queue.append(b)
    bottom = max(depth.values(), default=0) + 1
    return {n: depth.get(n, bottom) for n in names}
