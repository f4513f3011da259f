"""What ``scriptflow graph`` can draw over a library: scenario coverage or recorded traffic.

An :class:`Overlay` says how each node and each drawn edge looks (an extra label line,
DOT attributes, a Mermaid style); the drawers in :mod:`.draw` only apply it. Edges are
keyed ``(script, node, to_script, to_node)``: inside a script, or a handoff or call.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..format.model import Script
from ..testing.coverage import ways_out

EdgeKey = tuple[str, str, str, str]
NodeKey = tuple[str, str]

UNREACHED = "#c62828"
QUIET = "#9e9e9e"


@dataclass(frozen=True, slots=True)
class Look:
    """How one node or edge is drawn: ``note`` is added to its label."""

    note: str = ""
    dot: str = ""  # extra DOT attributes, e.g. 'style=dashed, color="#c62828"'
    mermaid: str = ""  # a Mermaid style, e.g. 'stroke:#c62828,stroke-dasharray:5 5'


@dataclass
class Overlay:
    title: str  # a caption for the picture
    nodes: dict[NodeKey, Look] = field(default_factory=dict)
    edges: dict[EdgeKey, Look] = field(default_factory=dict)

    def node(self, script: str, node: str) -> Look:
        return self.nodes.get((script, node), Look())

    def edge(self, key: EdgeKey) -> Look:
        return self.edges.get(key, Look())


def drawn_edges(scripts: Iterable[Script],
                known: Mapping[str, Script]) -> dict[EdgeKey, list[str]]:
    """Every edge a drawing has, with the labels of the ways out it stands for
    (``branch:red``, ``route:1``, ``next``; ``handoff`` or ``call`` across scripts)."""
    edges: dict[EdgeKey, list[str]] = {}
    for script in scripts:
        for node in script.nodes.values():
            for label, target in ways_out(node) if node.type != "handoff" else []:
                if target in script.nodes:
                    edges.setdefault((script.id, node.id, script.id, target), []).append(label)
            entered = known.get(node.target_script or "")
            if node.type in ("handoff", "call") and entered is not None:
                entry = node.target_node or entered.start
                edges[(script.id, node.id, entered.id, entry)] = [node.type]
    return edges


# -- coverage ---------------------------------------------------------------------------

def coverage_overlay(scripts: list[Script], known: Mapping[str, Script],
                     coverage: Mapping[str, Any]) -> Overlay:
    """Unreached nodes and edges drawn dashed in red, from ``scriptflow test --format
    json``'s ``coverage`` object (or :meth:`Coverage.to_dict`)."""
    per_script = coverage.get("scripts")
    if not isinstance(per_script, Mapping):
        raise ValueError("not a coverage report: no 'scripts' in 'coverage' (make one with "
                         "`scriptflow test PATH --format json`)")
    missed_nodes: set[NodeKey] = set()
    missed_ways: set[tuple[str, str, str]] = set()
    for script in scripts:
        entry = per_script.get(script.id)
        if not isinstance(entry, Mapping):  # no figures for this script: nothing reached
            missed_nodes.update((script.id, n) for n in script.nodes)
            continue
        missed_nodes.update((script.id, n) for n in entry["nodes"]["missed"])
        for item in entry["branches"]["missed"]:
            missed_ways.add((script.id, item["node"], _label_of(script, item)))
    overlay = Overlay("coverage: dashed red = reached by no scenario")
    shown = Look("", f'style="filled,dashed,rounded", fillcolor="#ffebee", '
                 f'color="{UNREACHED}"',
                 f"fill:#ffebee,stroke:{UNREACHED},stroke-dasharray:5 5")
    for spot in missed_nodes:
        overlay.nodes[spot] = shown
    edge_look = Look("", f'style=dashed, color="{UNREACHED}", fontcolor="{UNREACHED}"',
                     f"stroke:{UNREACHED},stroke-dasharray:5 5")
    for key, labels in drawn_edges(scripts, known).items():
        sid, nid = key[0], key[1]
        if labels == ["call"]:  # the way into a called script: taken when the call is
            unreached = (sid, nid) in missed_nodes
        else:
            unreached = all((sid, nid, label) in missed_ways for label in labels)
        if unreached:
            overlay.edges[key] = edge_look
    return overlay


def _label_of(script: Script, item: Mapping[str, Any]) -> str:
    """The machine label of a missed way out (older reports only have its text)."""
    if "label" in item:
        return str(item["label"])
    from ..testing.coverage import edge_text, edges_of

    node = script.nodes.get(item["node"])
    if node is not None:
        for label in edges_of(node):
            if edge_text(node, label) == item.get("edge"):
                return label
    return str(item.get("edge"))


def read_coverage_file(path: str) -> dict[str, Any]:
    """The ``coverage`` object of a ``scriptflow test --format json`` file."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict) and isinstance(data.get("coverage"), dict):
        data = data["coverage"]
    if isinstance(data, dict) and "scripts" in data:
        return {str(k): v for k, v in data.items()}
    raise ValueError(f"{path} is not the JSON of `scriptflow test --format json`")


# -- traffic ----------------------------------------------------------------------------

_POSITION_EVENTS = frozenset({"asked", "skipped", "handoff", "called", "outcome", "returned"})


@dataclass
class Traffic:
    """How often recorded sessions passed each node and took each drawn edge."""

    nodes: Counter[NodeKey] = field(default_factory=Counter)
    edges: Counter[EdgeKey] = field(default_factory=Counter)
    sessions: int = 0


def _kept(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A session's events (in order) without those a later back() reverted."""
    reverted: set[int] = set()
    for event in events:
        if event.get("type") == "undone":
            start = int((event.get("data") or {}).get("from", event["seq"]))
            reverted.update(range(start, int(event["seq"])))
    return [e for e in events if e["seq"] not in reverted]


def _between(scripts: Mapping[str, Script], sid: str, start: str,
             end: str) -> list[str] | None:
    """The nodes from ``start`` to ``end`` when only decisions (which leave no event) lie
    between them: the shortest such way, or None."""
    script = scripts.get(sid)
    if script is None or start not in script.nodes:
        return None
    came: dict[str, str] = {start: ""}
    queue = [start]
    for here in queue:
        for _label, target in ways_out(script.nodes[here]):
            if target in came or target not in script.nodes:
                continue
            came[target] = here
            if target == end:
                way = [end]
                while way[-1] != start:
                    way.append(came[way[-1]])
                return way[::-1]
            if script.nodes[target].type == "decision":
                queue.append(target)
    return None


def traffic_from_events(scripts: Mapping[str, Script],
                        events: Iterable[Mapping[str, Any]]) -> Traffic:
    """Count node visits and edge moves in a store's event log (``store.events()``)."""
    by_session: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_session.setdefault(str(event["session_id"]), []).append(dict(event))
    traffic = Traffic(sessions=len(by_session))
    for items in by_session.values():
        items.sort(key=lambda e: int(e["seq"]))
        previous: NodeKey | None = None
        for event in _kept(items):
            kind = event.get("type")
            if kind not in _POSITION_EVENTS or not event.get("script"):
                continue
            here = (str(event["script"]), str(event.get("node")))
            previous = _move(scripts, traffic, previous, here)
            data = event.get("data") or {}
            if kind in ("handoff", "called") and data.get("to_script"):
                traffic.edges[(*here, str(data["to_script"]), str(data.get("to_node")))] += 1
                previous = None  # the next position is in the other script
            elif kind == "returned" and data.get("to_script"):
                previous = (str(data["to_script"]), str(data.get("to_node")))
    return traffic


def _move(scripts: Mapping[str, Script], traffic: Traffic, previous: NodeKey | None,
          here: NodeKey) -> NodeKey:
    if previous == here:
        return here  # asked again at the same node (a "no" to a confirmation, a back())
    traffic.nodes[here] += 1
    if previous is not None and previous[0] == here[0]:
        way = _between(scripts, here[0], previous[1], here[1])
        for source, target in zip(way or [], (way or [])[1:], strict=False):
            traffic.edges[(here[0], source, here[0], target)] += 1
            if target != here[1]:
                traffic.nodes[(here[0], target)] += 1  # a decision passed on the way
    return here


def traffic_overlay(scripts: list[Script], known: Mapping[str, Script],
                    traffic: Traffic) -> Overlay:
    """Edge labels carry how many moves took them, and thickness grows with it; nodes
    say how often they were reached. Edges no session took are grey."""
    overlay = Overlay(f"traffic: {traffic.sessions} recorded session(s)")
    busiest = max([traffic.edges[k] for k in drawn_edges(scripts, known)] + [1])
    for key in drawn_edges(scripts, known):
        count = traffic.edges.get(key, 0)
        if count == 0:
            overlay.edges[key] = Look("0", f'color="{QUIET}", fontcolor="{QUIET}"',
                                      f"stroke:{QUIET}")
            continue
        width = 1 + 5 * count / busiest
        overlay.edges[key] = Look(str(count), f"penwidth={width:.1f}",
                                  f"stroke-width:{width:.1f}px")
    for script in scripts:
        for node in script.nodes.values():
            count = traffic.nodes.get((script.id, node.id), 0)
            overlay.nodes[(script.id, node.id)] = Look(f"{count} visit(s)" if count
                                                       else "not reached")
    return overlay
