"""A script's nodes in walking order and in layers (breadth first from the start): the
funnel's row order and the columns of the drawn graph."""

from __future__ import annotations

from collections import deque

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
