"""The library as a networkx graph, and drawings of it (Mermaid, Graphviz DOT)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from .library import Library


def node_key(script_id: str, node_id: str) -> str:
    return f"{script_id}:{node_id}"


def build_graph(library: Library) -> nx.DiGraph:
    """One vertex per script node; edges for next, branches, routes, handoffs and calls.

    Vertex attributes: ``script``, ``node``, ``type``, ``text``, ``fact``, ``result``.
    Edge attributes: ``kind`` (next, branch, route, handoff, call, return) and ``label``.
    """
    graph = nx.DiGraph()
    for script in library.scripts.values():
        for node in script.nodes.values():
            graph.add_node(node_key(script.id, node.id), script=script.id, node=node.id,
                           type=node.type, text=node.text, fact=node.fact,
                           result=node.result, code=node.code)
    for script in library.scripts.values():
        for node in script.nodes.values():
            here = node_key(script.id, node.id)
            if node.next is not None:
                graph.add_edge(here, node_key(script.id, node.next), kind="next", label="")
            for value, target in node.branches.items():
                _add_labelled(graph, here, node_key(script.id, target), "branch", value)
            for route in node.routes:
                _add_labelled(graph, here, node_key(script.id, route.goto), "route",
                              route.when_text or "otherwise")
            if node.type in ("handoff", "call") and node.target_script in library.scripts:
                entered = library.scripts[node.target_script]
                entry = node.target_node or entered.start
                graph.add_edge(here, node_key(entered.id, entry), kind=node.type, label="")
    return graph


def _add_labelled(graph: nx.DiGraph, source: str, target: str, kind: str, label: str) -> None:
    # Several branch values may share one target: one edge, labels joined.
    if graph.has_edge(source, target):
        data = graph.edges[source, target]
        data["label"] = f"{data['label']} / {label}" if data["label"] else label
    else:
        graph.add_edge(source, target, kind=kind, label=label)
