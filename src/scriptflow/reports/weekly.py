"""How the answers to one question move week by week, as an inline SVG chart: one
100 %-stacked bar per week, one colour per answer, the share written on each part that
is tall enough to hold it (every share is also in a tooltip and in ``data-*``)."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

# Dark and light in turn, so neighbouring parts stay apart when printed in greyscale;
# white lines between the parts do the rest. "(other)" is always the pale grey.
PALETTE = ("#1565c0", "#ffb74d", "#2e7d32", "#f48fb1", "#6a1b9a", "#80deea", "#c62828",
           "#dce775", "#4e342e", "#b0bec5")
OTHER_COLOUR = "#e0e0e0"
_LIGHT = {"#ffb74d", "#f48fb1", "#80deea", "#dce775", "#b0bec5", OTHER_COLOUR}
WIDTH, PLOT_H, LEFT, TOP_GAP = 720, 200, 44, 10
MIN_LABEL_H = 15  # px: a part shorter than this gets no label (a tooltip still)


def weekly_chart(question: dict[str, Any]) -> str:
    """The chart for one question's ``weekly`` figures; empty under two weeks."""
    weeks: list[dict[str, Any]] = question["weekly"]
    if len(weeks) < 2:
        return ""
    labels = [str(v["value"]) for v in question["values"]]
    colours = _colours(labels)
    legend_rows = (len(labels) + 3) // 4
    top = 8 + legend_rows * 20 + TOP_GAP
    height = top + PLOT_H + 40
    plot_w = WIDTH - LEFT - 24  # room for the last week's name
    slot = plot_w / len(weeks)
    bar_w = min(64.0, slot * 0.78)
    label_every = max(1, round(46 / slot + 0.49))  # week names need ~46 px each
    out = [f'<svg class="chart weekly" role="img" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" data-node="{_attr(question["node"])}" '
           f'data-weeks="{len(weeks)}" data-series="{len(labels)}">',
           f"<title>Answers to {escape(question['node'])}, week by week</title>"]
    for i, label in enumerate(labels):  # the legend, four to a row
        x, y = (i % 4) * (WIDTH // 4), 8 + (i // 4) * 20
        out.append(f'<g class="legend" data-value="{_attr(label)}">'
                   f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colours[label]}" '
                   f'stroke="#757575" stroke-width="0.5"/>'
                   f'<text x="{x + 18}" y="{y + 11}">{escape(_clip(label, 24))}</text></g>')
    for tick in (0, 50, 100):  # the share axis
        level = top + PLOT_H * (1 - tick / 100)
        out.append(f'<line x1="{LEFT - 4}" y1="{level:.1f}" x2="{WIDTH - 10}" '
                   f'y2="{level:.1f}" stroke="#e0e0e0"/><text x="{LEFT - 8}" '
                   f'y="{level + 4:.1f}" '
                   f'text-anchor="end" class="head">{tick} %</text>')
    for i, week in enumerate(weeks):
        out.append(_bar(week, labels, colours, LEFT + i * slot + (slot - bar_w) / 2, top,
                        bar_w, show_name=i % label_every == 0))
    out.append("</svg>")
    return "".join(out)


def _bar(week: dict[str, Any], labels: list[str], colours: dict[str, str], x: float,
         top: float, bar_w: float, show_name: bool) -> str:
    total = week["total"]
    out = [f'<g class="week" data-week="{_attr(week["week"])}" data-total="{total}">']
    y = top
    for label in labels:
        count = week["counts"].get(label, 0)
        if not count:
            continue
        share = count / total
        span = share * PLOT_H
        colour = colours[label]
        out.append(f'<g class="week-share" data-value="{_attr(label)}" data-count="{count}" '
                   f'data-share="{round(share, 4)}">'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{span:.1f}" '
                   f'fill="{colour}" stroke="#ffffff" stroke-width="1">'
                   f"<title>week of {escape(week['week'])}: {escape(label)} {count} of "
                   f"{total} ({share * 100:.1f} %)</title></rect>")
        if span >= MIN_LABEL_H and bar_w >= 30:
            ink = "#212121" if colour in _LIGHT else "#ffffff"
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y + span / 2 + 4:.1f}" '
                       f'text-anchor="middle" fill="{ink}" class="pct">'
                       f"{round(share * 100)} %</text>")
        out.append("</g>")
        y += span
    if show_name:
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + PLOT_H + 16}" '
                   f'text-anchor="middle">{escape(_week_name(week["week"]))}</text>'
                   f'<text x="{x + bar_w / 2:.1f}" y="{top + PLOT_H + 31}" '
                   f'text-anchor="middle" class="head">n={total}</text>')
    out.append("</g>")
    return "".join(out)


def _colours(labels: list[str]) -> dict[str, str]:
    named = [label for label in labels if label != "(other)"]
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(named)}
    colours["(other)"] = OTHER_COLOUR
    return colours


def _week_name(iso_day: str) -> str:
    """``2023-11-13`` -> ``13 Nov``: short enough to sit under a narrow bar."""
    try:
        day = date.fromisoformat(iso_day)
    except ValueError:
        return iso_day
    return f"{day.day} {day.strftime('%b')}"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
