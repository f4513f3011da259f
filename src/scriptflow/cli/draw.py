"""Draw scripts as Mermaid flowcharts or Graphviz DOT; each node type has its own shape."""

from __future__ import annotations

from collections.abc import Iterable

from ..format.model import Script

_MERMAID_SHAPES = {
    "question": ("{{", "}}"),   # hexagon
    "action": ("[/", "/]"),     # parallelogram
    "decision": ("{", "}"),     # rhombus
    "handoff": (">", "]"),      # flag
    "call": ("[[", "]]"),       # subroutine
    "outcome": ("([", "])"),    # stadium
}
_DOT_SHAPES = {
    "question": "box, style=rounded",
    "action": "parallelogram",
    "decision": "diamond",
    "handoff": "cds",
    "call": "box, peripheries=2",
    "outcome": "oval, style=filled, fillcolor=\"#e8f5e9\"",
}


def _mermaid_id(script: str, node: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in f"{script}__{node}")


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def _label(script: Script, node_id: str) -> str:
    node = script.nodes[node_id]
    detail = {
        "question": node.fact or "",
        "action": node.fact or "",
        "handoff": f"→ {node.target_script}",
        "call": f"call {node.target_script}",
        "outcome": f"{node.result}{' · ' + node.code if node.code else ''}",
    }.get(node.type, "")
    return f"{node_id}\n{detail}" if detail else node_id


def _edges(script: Script) -> Iterable[tuple[str, str, str]]:
    for node in script.nodes.values():
        merged: dict[str, list[str]] = {}
        for target, label, _mark in node.targets():
            merged.setdefault(target, []).append("" if label == "next" else label)
        for target, labels in merged.items():
            if target in script.nodes:
                yield node.id, target, " / ".join(lab for lab in labels if lab)


def to_mermaid(scripts: Iterable[Script]) -> str:
    lines = ["flowchart TD"]
    scripts = list(scripts)
    ids = {s.id for s in scripts}
    for script in scripts:
        lines.append(f'  subgraph {_mermaid_id(script.id, "")}["{_mermaid_text(script.id)}"]')
        for node_id, node in script.nodes.items():
            left, right = _MERMAID_SHAPES[node.type]
            text = "<br/>".join(_mermaid_text(part) for part in
                                _label(script, node_id).split("\n"))
            lines.append(f'    {_mermaid_id(script.id, node_id)}{left}"{text}"{right}')
        lines.append("  end")
    for script in scripts:
        for source, target, label in _edges(script):
            arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
            lines.append(f"  {_mermaid_id(script.id, source)} {arrow} "
                         f"{_mermaid_id(script.id, target)}")
        for node in script.nodes.values():
            if node.type in ("handoff", "call") and node.target_script in ids:
                entered = next(s for s in scripts if s.id == node.target_script)
                entry = node.target_node or entered.start
                lines.append(f"  {_mermaid_id(script.id, node.id)} -.->|{node.type}| "
                             f"{_mermaid_id(entered.id, entry)}")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(scripts: Iterable[Script]) -> str:
    scripts = list(scripts)
    ids = {s.id for s in scripts}
    lines = ["digraph scriptflow {", "  rankdir=TB;", "  node [fontname=\"Helvetica\"];"]
    for script in scripts:
        lines.append(f"  subgraph {_dot_quote('cluster_' + script.id)} {{")
        lines.append(f"    label={_dot_quote(script.id)};")
        for node_id, node in script.nodes.items():
            lines.append(f"    {_dot_quote(script.id + ':' + node_id)} "
                         f"[label={_dot_quote(_label(script, node_id))}, "
                         f"shape={_DOT_SHAPES[node.type]}];")
        lines.append("  }")
    for script in scripts:
        for source, target, label in _edges(script):
            attrs = f" [label={_dot_quote(label)}]" if label else ""
            lines.append(f"  {_dot_quote(script.id + ':' + source)} -> "
                         f"{_dot_quote(script.id + ':' + target)}{attrs};")
        for node in script.nodes.values():
            if node.type in ("handoff", "call") and node.target_script in ids:
                entered = next(s for s in scripts if s.id == node.target_script)
                entry = node.target_node or entered.start
                lines.append(f"  {_dot_quote(script.id + ':' + node.id)} -> "
                             f"{_dot_quote(entered.id + ':' + entry)} "
                             f"[style=dashed, label={_dot_quote(node.type)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


DRAWERS = {"mermaid": to_mermaid, "dot": to_dot}
