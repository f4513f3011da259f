"""Numbers and headlines as a manager reads them; shared by the text and HTML pages."""

from __future__ import annotations

from typing import Any

OUTCOME_LABELS = {"resolved": "resolved", "escalated": "escalated",
                  "unresolved": "unresolved", "referred": "referred",
                  "abandoned": "abandoned", "in_progress": "in progress"}


def percent(fraction: float) -> str:
    """0.2314 -> ``23.1 %``."""
    return f"{fraction * 100:.1f} %"


def duration(seconds: float | None) -> str:
    """Seconds for people: ``42s``, ``3m 05s``, ``2h 10m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}s"
    if whole < 3600:
        return f"{whole // 60}m" if whole % 60 == 0 else f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def answer_count(question: dict[str, Any]) -> str:
    """What an answer share is out of: ``97 answers, 58 of them confirmations``."""
    total, confirmed = question["total"], question.get("confirmed", 0)
    counted = f"{total} answer{'' if total == 1 else 's'}"
    if confirmed:
        counted += (f", {confirmed} of them confirming a known value "
                    "(\"still true?\")")
    return counted


def headlines(report: dict[str, Any]) -> list[str]:
    """The few sentences at the top: volume, outcomes, the biggest drop-off, the
    dominant answer, and what never asking twice saved."""
    summary = report["summary"]
    lines = [f"{summary['sessions']} sessions ({summary['events']} events): "
             f"{percent(summary['resolved_share'])} resolved, "
             f"{percent(summary['abandoned_share'])} abandoned."]
    if report["codes"]:
        top = report["codes"][0]
        lines.append(f"Most common reason: {top['code'] or top['result']} "
                     f"({top['result']}, {top['count']} sessions of {top['script']}).")
    drop = max(((sid, row) for sid, data in report["scripts"].items()
                for row in data["funnel"]), key=lambda item: item[1]["abandoned"],
               default=None)
    if drop is not None and drop[1]["abandoned"]:
        sid, row = drop
        lines.append(f"Biggest drop-off: {sid} > {row['node']} "
                     f"({row['abandoned']} sessions abandoned there).")
    # The most one-sided answer among the questions most callers met (a quarter as many
    # answers as the busiest question at least), so a rare question does not win.
    busiest = max((q["total"] for data in report["scripts"].values()
                   for q in data["answers"]), default=0)
    best = max(((sid, q, v) for sid, data in report["scripts"].items()
                for q in data["answers"] for v in q["values"]
                if q["total"] >= max(busiest / 4, 5) and v["value"] != "(other)"),
               key=lambda item: item[2]["share"], default=None)
    if best is not None:
        sid, question, value = best
        lines.append(f"Dominant answer: {percent(value['share'])} of callers answered "
                     f"{question['fact'] or question['node']} = {value['value']} "
                     f"({sid} > {question['node']}).")
    lines.append(f"Questions spared: {summary['questions_spared']} "
                 f"({percent(summary['spared_share'])} of questions) were skipped "
                 "because the answer was already known; asked twice: "
                 f"{summary['asked_twice']}.")
    return lines
