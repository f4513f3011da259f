"""Draw scripts as Mermaid flowcharts or Graphviz DOT; each node type has its own shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..format.model import Script

if TYPE_CHECKING:
    from .overlay import Overlay

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
    """A readable Mermaid id; ids that differ only in ``-``, ``_`` or ``.`` share it."""
    return "n_" + "".join(c if c.isalnum() else "_" for c in f"{script}__{node}")


def mermaid_ids(scripts: Iterable[Script]) -> dict[tuple[str, str], str]:
    """A unique Mermaid id for every ``(script, node)`` and every script (``(script, "")``).

    Mermaid ids allow only letters, digits and ``_``, so ``b-c``, ``b_c`` and ``b.c`` read
    alike. A key keeps its readable id when no other key has it; keys that share one all
    get ``_1``, ``_2``, … in sorted order of their exact spelling, skipping any id some
    other key reads as, so the same library always draws with the same ids.
    """
    keys = sorted({(s.id, n) for s in scripts for n in ("", *s.nodes)})
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        groups.setdefault(_mermaid_id(*key), []).append(key)
    taken = set(groups)
    ids: dict[tuple[str, str], str] = {}
    for readable, members in groups.items():
        if len(members) == 1:
            ids[members[0]] = readable
            continue
        number = 0
        for key in members:
            number += 1
            while f"{readable}_{number}" in taken:
                number += 1
            ids[key] = f"{readable}_{number}"
            taken.add(ids[key])
    return ids


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def _label(script: Script, node_id: str, overlay: Overlay | None = None) -> str:
    node = script.nodes[node_id]
    note = overlay.node(script.id, node_id).note if overlay else ""
    if note:
        return f"{_label(script, node_id)}\n{note}"
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


def _noted(label: str, note: str) -> str:
    return f"{label} ({note})" if label and note else label or note


def to_mermaid(scripts: Iterable[Script], overlay: Overlay | None = None) -> str:
    lines = ["flowchart TD"]
    scripts = list(scripts)
    ids = {s.id for s in scripts}
    named = mermaid_ids(scripts)

    def mid(script_id: str, node_id: str) -> str:
        # A node missing from the drawing (only in a broken library) keeps its readable id.
        return named.get((script_id, node_id)) or _mermaid_id(script_id, node_id)

    styles: list[str] = []
    if overlay is not None:
        lines.append(f"  %% {overlay.title}")
    for script in scripts:
        lines.append(f'  subgraph {mid(script.id, "")}["{_mermaid_text(script.id)}"]')
        for node_id, node in script.nodes.items():
            left, right = _MERMAID_SHAPES[node.type]
            text = "<br/>".join(_mermaid_text(part) for part in
                                _label(script, node_id, overlay).split("\n"))
            lines.append(f'    {mid(script.id, node_id)}{left}"{text}"{right}')
            style = overlay.node(script.id, node_id).mermaid if overlay else ""
            if style:
                styles.append(f"  style {mid(script.id, node_id)} {style}")
        lines.append("  end")
    links = 0
    for script in scripts:
        for source, target, label in _edges(script):
            look = overlay.edge((script.id, source, script.id, target)) if overlay else None
            text = _noted(label, look.note) if look else label
            arrow = f'-->|"{_mermaid_text(text)}"|' if text else "-->"
            lines.append(f"  {mid(script.id, source)} {arrow} "
                         f"{mid(script.id, target)}")
            if look is not None and look.mermaid:
                styles.append(f"  linkStyle {links} {look.mermaid}")
            links += 1
        for node in script.nodes.values():
            if node.type in ("handoff", "call") and node.target_script in ids:
                entered = next(s for s in scripts if s.id == node.target_script)
                entry = node.target_node or entered.start
                look = overlay.edge((script.id, node.id, entered.id, entry)) if overlay \
                    else None
                text = _noted(node.type, look.note) if look else node.type
                lines.append(f'  {mid(script.id, node.id)} -.->|"{text}"| '
                             f"{mid(entered.id, entry)}")
                if look is not None and look.mermaid:
                    styles.append(f"  linkStyle {links} {look.mermaid}")
                links += 1
    return "\n".join(lines + styles) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_edge(label: str, extra: str, overlay: Overlay | None, key: tuple[str, str, str, str]
              ) -> str:
    look = overlay.edge(key) if overlay else None
    text = _noted(label, look.note) if look else label
    attrs = [a for a in (extra, f"label={_dot_quote(text)}" if text else "",
                         look.dot if look else "") if a]
    return f" [{', '.join(attrs)}]" if attrs else ""


def to_dot(scripts: Iterable[Script], overlay: Overlay | None = None) -> str:
    scripts = list(scripts)
    ids = {s.id for s in scripts}
    lines = ["digraph scriptflow {", "  rankdir=TB;", "  node [fontname=\"Helvetica\"];"]
    if overlay is not None:
        lines.append(f"  label={_dot_quote(overlay.title)}; labelloc=t;")
    for script in scripts:
        lines.append(f"  subgraph {_dot_quote('cluster_' + script.id)} {{")
        lines.append(f"    label={_dot_quote(script.id)};")
        for node_id, node in script.nodes.items():
            extra = overlay.node(script.id, node_id).dot if overlay else ""
            lines.append(f"    {_dot_quote(script.id + ':' + node_id)} "
                         f"[label={_dot_quote(_label(script, node_id, overlay))}, "
                         f"shape={_DOT_SHAPES[node.type]}{', ' + extra if extra else ''}];")
        lines.append("  }")
    for script in scripts:
        for source, target, label in _edges(script):
            attrs = _dot_edge(label, "", overlay, (script.id, source, script.id, target))
            lines.append(f"  {_dot_quote(script.id + ':' + source)} -> "
                         f"{_dot_quote(script.id + ':' + target)}{attrs};")
        for node in script.nodes.values():
            if node.type in ("handoff", "call") and node.target_script in ids:
                entered = next(s for s in scripts if s.id == node.target_script)
                entry = node.target_node or entered.start
                attrs = _dot_edge(node.type, "style=dashed", overlay,
                                  (script.id, node.id, entered.id, entry))
                lines.append(f"  {_dot_quote(script.id + ':' + node.id)} -> "
                             f"{_dot_quote(entered.id + ':' + entry)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


DRAWERS = {"mermaid": to_mermaid, "dot": to_dot}
