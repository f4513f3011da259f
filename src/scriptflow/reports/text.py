"""The report as plain text: the summary first, then each script, then movement."""

from __future__ import annotations

from typing import Any

from .outcomes import OUTCOMES
from .words import OUTCOME_LABELS, answer_count, duration, headlines, percent


def render_text(report: dict[str, Any]) -> str:
    """Every figure of ``report``, in aligned tables."""
    out: list[str] = []
    period = report["period"]
    out.append("scriptflow report")
    out.append(f"  sessions started {period['since'] or 'any time'} - "
               f"{period['until'] or 'now'}"
               + (f", script {report['script']}" if report["script"] else "")
               + f"; as of {report['as_of']}")
    out.append("")
    out.extend(headlines(report))
    out.append("")
    out.append("Outcomes")
    out.extend(_outcome_lines(report["outcomes"]))
    if report["codes"]:
        out.append("")
        out.append("Reason codes")
        out.extend(_table(["script", "result", "code", "ended in", "sessions", "share"],
                          [[c["script"], c["result"], c["code"] or "-", c["ended_in"],
                            c["count"], percent(c["share"])] for c in report["codes"][:20]]))
    for sid, data in report["scripts"].items():
        out.append("")
        out.append(f"== {data['title']} ({sid}) ==")
        out.extend(_outcome_lines(data["outcomes"], " started here"))
        out.append(f"  questions spared here: {data['spared']}")
        if data["funnel"]:
            out.append("")
            out.append("  Funnel")
            out.extend("  " + line for line in _table(
                ["node", "fact", "reached", "answered", "skipped", "abandoned", "median",
                 "p90"],
                [[r["node"], r["fact"] or "-", r["reached"], r["answered"], r["skipped"],
                  r["abandoned"], duration(r["time_median"]), duration(r["time_p90"])]
                 for r in data["funnel"]]))
            out.append("  answered: sessions that answered the question or confirmed a "
                       "known value (\"still true?\"), not undone")
        for question in data["answers"]:
            out.append("")
            out.append(f"  Answers to {question['node']} ({question['fact']}): "
                       f"{answer_count(question)}")
            for value in question["values"]:
                bar = "#" * round(value["share"] * 30)
                out.append(f"    {value['value']!s:<20} {value['count']:>7} "
                           f"{percent(value['share']):>8}  {bar}")
            if len(question["weekly"]) > 1:
                out.append("    week by week: " + "; ".join(
                    f"{w['week']}: " + ", ".join(f"{k} {percent(n / w['total'])}"
                                                 for k, n in w["counts"].items())
                    for w in question["weekly"][-6:]))
    if report["handoffs"]:
        out.append("")
        out.append("Handoffs and calls between scripts")
        out.extend(_table(["from", "to", "kind", "times", "sessions"],
                          [[h["from"], h["to"], h["kind"], h["count"], h["sessions"]]
                           for h in report["handoffs"]]))
    if report["paths"]:
        out.append("")
        out.append("Most common paths")
        for outcome, paths in report["paths"].items():
            out.append(f"  {OUTCOME_LABELS.get(outcome, outcome)}:")
            for path in paths:
                steps = " > ".join(path["steps"]) or "(no answers)"
                code = f" [{path['code']}]" if path["code"] else ""
                out.append(f"    {path['count']:>6}  {steps}{code}")
    spared = report["spared"]
    out.append("")
    out.append(f"Questions spared: {spared['total']} skipped, {spared['asked']} asked")
    if spared["by_fact"]:
        out.append("  by fact: " + ", ".join(f"{k} {v}" for k, v in spared["by_fact"].items()))
        out.append("  known from: " + ", ".join(f"{k} {v}"
                                               for k, v in spared["by_source"].items()))
    twice = report["asked_twice"]
    note = "" if twice["checked"] else " (without --library, reask: always and stale " \
        "facts cannot be told apart)"
    out.append(f"Asked the same fact twice: {twice['count']}{note}")
    for case in twice["cases"][:10]:
        out.append(f"  {case['session_id']} {case['script']} > {case['node']} "
                   f"({case['fact']})")
    notes = report["notes"]
    out.append("")
    what = f" containing {notes['query']!r}" if notes["query"] else ""
    out.append(f"Agents' notes{what}: {notes['total']}")
    for note_row in notes["matches"]:
        out.append(f"  {note_row['script']} > {note_row['node']} ({note_row['actor']}, "
                   f"session {note_row['session_id']}): {note_row['text']}")
    return "\n".join(out) + "\n"


def _outcome_lines(counts: dict[str, int], where: str = "") -> list[str]:
    total = counts["total"]
    parts = [f"{OUTCOME_LABELS[k]} {counts.get(k, 0)} ({percent(counts.get(k, 0) / total)})"
             for k in OUTCOMES if total]
    return [f"  {total} sessions{where}" + (": " + ", ".join(parts) if parts else "")]


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [head, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    return ["  " + "  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True)))
            for row in cells]
