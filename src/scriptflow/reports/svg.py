"""Inline SVG charts drawn by hand: no library, no script, nothing fetched. Each chart
carries ``data-*`` attributes with the numbers it shows, so tests (and curious
managers with devtools) can read them back."""

from __future__ import annotations

from html import escape
from typing import Any

from .words import duration, percent

# Colours that survive greyscale printing in order of darkness.
OUTCOME_COLOURS = {"resolved": "#2e7d32", "escalated": "#c62828", "unresolved": "#ef6c00",
                   "referred": "#6a1b9a", "abandoned": "#616161", "in_progress": "#90a4ae"}
NODE_COLOURS = {"question": "#e3f2fd", "action": "#e8f5e9", "decision": "#fff8e1",
                "handoff": "#f3e5f5", "call": "#f3e5f5", "outcome": "#eceff1",
                "node": "#f5f5f5"}
BAR = "#1565c0"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def outcome_bar(counts: dict[str, int], kinds: tuple[str, ...], labels: dict[str, str],
                width: int = 640) -> str:
    """One stacked bar of outcomes with a legend underneath."""
    total = counts.get("total", 0)
    parts, legend, x = [], [], 0.0
    for i, kind in enumerate(kinds):
        n = counts.get(kind, 0)
        share = n / total if total else 0.0
        span = share * width
        if span > 0:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{span:.1f}" height="28" '
                         f'fill="{OUTCOME_COLOURS.get(kind, BAR)}">'
                         f"<title>{escape(labels.get(kind, kind))}: {n}</title></rect>")
        x += span
        lx, ly = (i % 3) * (width // 3), 46 + (i // 3) * 20
        legend.append(f'<g data-outcome="{_attr(kind)}" data-count="{n}">'
                      f'<rect x="{lx}" y="{ly - 11}" width="12" height="12" '
                      f'fill="{OUTCOME_COLOURS.get(kind, BAR)}"/>'
                      f'<text x="{lx + 18}" y="{ly}">{escape(labels.get(kind, kind))} '
                      f"{n} ({percent(share)})</text></g>")
    height = 46 + ((len(kinds) + 2) // 3) * 20
    return (f'<svg class="chart outcomes" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" data-total="{total}">'
            f'<rect x="0" y="0" width="{width}" height="28" fill="#eeeeee"/>'
            + "".join(parts) + "".join(legend) + "</svg>")


def funnel_chart(rows: list[dict[str, Any]], width: int = 720) -> str:
    """One row per node: a pale bar for sessions reached, a dark one for answered,
    a hatched one for skipped, with the counts and time spent written beside."""
    asking = [r for r in rows if r["fact"] is not None]
    if not asking:
        return ""
    most = max((r["reached"] for r in asking), default=0) or 1
    label_w, bar_w, row_h = 170, width - 170 - 260, 26
    out = [f'<svg class="chart funnel" role="img" viewBox="0 0 {width} '
           f'{len(asking) * row_h + 24}" width="{width}" height="{len(asking) * row_h + 24}">',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="3" height="6" fill="#90caf9"/>'
           "</pattern></defs>",
           f'<text x="{label_w + bar_w + 8}" y="12" class="head">reached · answered · '
           "skipped · median</text>"]
    for i, row in enumerate(asking):
        y = 20 + i * row_h
        reached = row["reached"] / most * bar_w
        answered = row["answered"] / most * bar_w
        skipped = row["skipped"] / most * bar_w
        out.append(
            f'<g class="funnel-row" data-node="{_attr(row["node"])}" '
            f'data-reached="{row["reached"]}" data-answered="{row["answered"]}" '
            f'data-skipped="{row["skipped"]}" data-abandoned="{row["abandoned"]}">'
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
            f'{escape(row["node"])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{reached:.1f}" height="18" fill="#bbdefb"/>'
            f'<rect x="{label_w}" y="{y}" width="{answered:.1f}" height="18" fill="{BAR}"/>'
            f'<rect x="{label_w + answered:.1f}" y="{y}" width="{skipped:.1f}" height="18" '
            f'fill="url(#hatch)"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 14}">{row["reached"]} · '
            f'{row["answered"]} · {row["skipped"]} · {duration(row["time_median"])}'
            + (f' · {row["abandoned"]} left' if row["abandoned"] else "")
            + "</text></g>")
    out.append("</svg>")
    return "".join(out)


def share_bars(question: dict[str, Any], width: int = 560) -> str:
    """Horizontal bars, one per answer, labelled with count and percentage."""
    values = question["values"]
    row_h, label_w = 22, 150
    bar_w = width - label_w - 120
    height = len(values) * row_h + 4
    out = [f'<svg class="chart shares" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" data-node="{_attr(question["node"])}" '
           f'data-total="{question["total"]}">']
    for i, value in enumerate(values):
        y = 2 + i * row_h
        span = value["share"] * bar_w
        out.append(
            f'<g class="share" data-value="{_attr(value["value"])}" '
            f'data-count="{value["count"]}" data-share="{value["share"]}">'
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">'
            f'{escape(str(value["value"]))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{span:.1f}" height="16" fill="{BAR}"/>'
            f'<text x="{label_w + span + 6:.1f}" y="{y + 13}">{percent(value["share"])} '
            f'({value["count"]})</text></g>')
    out.append("</svg>")
    return "".join(out)


def graph_chart(graph: dict[str, Any]) -> str:
    """The script's nodes in layers, left to right, with traffic written on each edge
    and edges drawn thicker the more sessions took them. Dashed: a move the script does
    not declare (from a library that changed since, or without the library)."""
    nodes = graph["nodes"]
    if not nodes:
        return ""
    col_w, row_h, box_w, box_h = 170, 54, 130, 30
    where: dict[str, tuple[float, float]] = {}
    per_layer: dict[int, int] = {}
    for node in nodes:
        slot = per_layer.get(node["layer"], 0)
        per_layer[node["layer"]] = slot + 1
        where[node["id"]] = (10 + node["layer"] * col_w, 10 + slot * row_h)
    width = 20 + (max(per_layer) + 1) * col_w
    height = 20 + max(per_layer.values()) * row_h
    busiest = max((e["count"] for e in graph["edges"]), default=0) or 1
    out = [f'<svg class="chart graph" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
           'markerUnits="userSpaceOnUse" '
           'markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
           '<path d="M 0 0 L 10 5 L 0 10 z" fill="#546e7a"/></marker></defs>']
    for edge in graph["edges"]:
        (x1, y1), (x2, y2) = where[edge["from"]], where[edge["to"]]
        sx, sy = x1 + box_w, y1 + box_h / 2
        ex, ey = x2, y2 + box_h / 2
        if x2 <= x1:  # backwards or within a layer: bend below the boxes
            sx, ex = x1 + box_w / 2, x2 + box_w / 2
            sy, ey = y1 + box_h, y2 + box_h
            bend = max(sy, ey) + row_h / 2
            path = f"M {sx:.0f} {sy:.0f} C {sx:.0f} {bend:.0f} {ex:.0f} {bend:.0f} " \
                   f"{ex:.0f} {ey:.0f}"
            mx, my = (sx + ex) / 2, bend - 4
        else:
            mid = (sx + ex) / 2
            path = f"M {sx:.0f} {sy:.0f} C {mid:.0f} {sy:.0f} {mid:.0f} {ey:.0f} " \
                   f"{ex:.0f} {ey:.0f}"
            mx, my = mid, (sy + ey) / 2 - 3
        stroke = 1 + 7 * edge["count"] / busiest if edge["count"] else 1
        dash = "" if edge["planned"] else ' stroke-dasharray="5 4"'
        colour = "#546e7a" if edge["count"] else "#cfd8dc"
        out.append(f'<g class="edge" data-from="{_attr(edge["from"])}" '
                   f'data-to="{_attr(edge["to"])}" data-count="{edge["count"]}">'
                   f'<path d="{path}" fill="none" stroke="{colour}" '
                   f'stroke-width="{stroke:.1f}"{dash} marker-end="url(#arrow)">'
                   f"<title>{escape(edge['label'] or 'next')}: {edge['count']}</title></path>"
                   + (f'<text x="{mx:.0f}" y="{my:.0f}" class="count" '
                      f'text-anchor="middle">{edge["count"]}</text>' if edge["count"] else "")
                   + "</g>")
    for node in nodes:
        x, y = where[node["id"]]
        fill = OUTCOME_COLOURS.get(node["result"] or "", "") if node["type"] == "outcome" \
            else ""
        text_colour = "#ffffff" if fill else "#212121"
        fill = fill or NODE_COLOURS.get(node["type"], "#f5f5f5")
        caption = node["id"] + (f" → {node['target']}" if node["target"] else "")
        out.append(f'<g class="node" data-node="{_attr(node["id"])}" '
                   f'data-type="{_attr(node["type"])}">'
                   f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" '
                   f'fill="{fill}" stroke="#78909c"/>'
                   f'<text x="{x + box_w / 2}" y="{y + 19}" text-anchor="middle" '
                   f'fill="{text_colour}">{escape(_clip(caption, 20))}'
                   f"<title>{escape(caption)} ({escape(node['type'])})</title></text></g>")
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
