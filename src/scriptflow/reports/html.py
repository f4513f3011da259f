"""The report as one self-contained HTML page: a summary a manager reads in a minute,
then one section per script with its charts. No script, no fonts or styles fetched:
it opens offline and prints (each section starts on a fresh page when printed).

Every number a test may check is in the DOM as text and in a ``data-*`` attribute
(``data-figure`` for the summary, ``data-node``/``data-count`` on chart parts)."""

from __future__ import annotations

from html import escape
from typing import Any

from .outcomes import OUTCOMES
from .svg import funnel_chart, graph_chart, outcome_bar, share_bars
from .weekly import weekly_chart
from .words import OUTCOME_LABELS, answer_count, duration, headlines, percent

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212121;
       margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem;
     border-bottom: 2px solid #1565c0; padding-bottom: .2rem; }
h3 { margin: 1.4rem 0 .4rem; } .muted { color: #616161; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid #cfd8dc; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .25rem .7rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg text.head { fill: #616161; } svg text.count { font-weight: bold; fill: #263238; }
svg text.pct { font-weight: bold; font-size: 11px; }
.scroll { overflow-x: auto; } ul.headlines li { margin: .2rem 0; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; }
  section.script { break-before: page; } svg, table { break-inside: avoid; }
  svg { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .scroll { overflow: visible; } }
"""


def render_html(report: dict[str, Any]) -> str:
    """``report`` as a complete HTML document."""
    period = report["period"]
    when = (f"Sessions started {escape(period['since'] or 'any time')} to "
            f"{escape(period['until'] or 'now')}"
            + (f", script {escape(report['script'])}" if report["script"] else "")
            + f"; in-flight sessions quiet for {duration(report['abandoned_after'])} count "
            f"as abandoned, as of {escape(report['as_of'])}.")
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>scriptflow report</title>",
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
             "style-src 'unsafe-inline'; img-src data:\">",
             f"<style>{STYLE}</style></head><body>",
             "<header><h1>What customers call about</h1>",
             f'<p class="muted">{when} Generated {escape(report["generated_at"])}.</p>'
             "</header>",
             _summary(report), _codes(report), _spared(report), _handoffs(report)]
    parts.extend(_script(sid, data, report) for sid, data in report["scripts"].items())
    parts.append(_notes(report))
    parts.append("</body></html>\n")
    return "".join(parts)


def _summary(report: dict[str, Any]) -> str:
    s = report["summary"]
    cards = [("sessions", "sessions", str(s["sessions"])),
             ("resolved_share", "resolved", percent(s["resolved_share"])),
             ("abandoned_share", "abandoned", percent(s["abandoned_share"])),
             ("questions_spared", "questions spared", str(s["questions_spared"])),
             ("asked_twice", "asked twice", str(s["asked_twice"]))]
    return ('<section id="summary"><h2>Summary</h2><ul class="headlines">'
            + "".join(f"<li>{escape(line)}</li>" for line in headlines(report))
            + '</ul><div class="cards">'
            + "".join(f'<div class="card"><b data-figure="{key}" data-value="{s[key]}">'
                      f"{value}</b>{label}</div>" for key, label, value in cards)
            + "</div><h3>Outcomes, all scripts</h3>"
            + outcome_bar(report["outcomes"], OUTCOMES, OUTCOME_LABELS) + "</section>")


def _table(head: list[str], rows: list[list[Any]], numeric_from: int, cls: str) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    out = [f'<table class="{cls}"><thead><tr>']
    out.extend(f'<th class="{"n" if i >= numeric_from else ""}">{escape(h)}</th>'
               for i, h in enumerate(head))
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="{"n" if i >= numeric_from else ""}">{escape(str(c))}</td>'
            for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _codes(report: dict[str, Any]) -> str:
    rows = [[c["code"] or "(no code)", c["result"], c["script"], c["ended_in"], c["count"],
             percent(c["share"])] for c in report["codes"][:15]]
    return ('<section id="codes"><h2>Why sessions ended</h2>'
            + _table(["reason code", "result", "started in", "ended in", "sessions",
                      "share"], rows, 4, "codes") + "</section>")


def _spared(report: dict[str, Any]) -> str:
    spared, twice = report["spared"], report["asked_twice"]
    rows = [[fact, n] for fact, n in spared["by_fact"].items()]
    sources = ", ".join(f"{k} {v}" for k, v in spared["by_source"].items()) or "none"
    check = ("" if twice["checked"] else " (run with --library to tell questions meant to "
             "be asked again from repeats)")
    return ('<section id="spared"><h2>Questions spared</h2>'
            f'<p><b data-figure="spared_total">{spared["total"]}</b> questions were not '
            f'asked because the answer was already known (<b>{spared["asked"]}</b> were '
            f"asked). Known from: {escape(sources)}. The same fact was asked twice "
            f'<b data-figure="asked_twice_count">{twice["count"]}</b> times{escape(check)}.'
            "</p>" + _table(["fact", "times spared"], rows, 1, "spared") + "</section>")


def _handoffs(report: dict[str, Any]) -> str:
    moves = report["handoffs"]
    if not moves:
        return ""
    sources = sorted({m["from"] for m in moves})
    targets = sorted({m["to"] for m in moves})
    cell = {(m["from"], m["to"]): m for m in moves}
    rows = [[src, *[f"{cell[src, dst]['count']} {cell[src, dst]['kind']}"
                    if (src, dst) in cell else "" for dst in targets]] for src in sources]
    return ('<section id="handoffs"><h2>Handoffs and calls between scripts</h2>'
            '<p class="muted">Rows: from; columns: to.</p><div class="scroll">'
            + _table(["from \\ to", *targets], rows, 1, "handoffs") + "</div></section>")


def _script(sid: str, data: dict[str, Any], report: dict[str, Any]) -> str:
    out = [f'<section class="script" id="script-{escape(sid, quote=True)}" '
           f'data-script="{escape(sid, quote=True)}">'
           f"<h2>{escape(data['title'])} <span class=\"muted\">({escape(sid)})</span></h2>"]
    if data["outcomes"]["total"]:
        out.append(f"<h3>How the {data['outcomes']['total']} sessions that started here "
                   "ended</h3>" + outcome_bar(data["outcomes"], OUTCOMES, OUTCOME_LABELS))
    out.append(f"<p>Questions spared in this script: <b>{data['spared']}</b>.</p>")
    chart = funnel_chart(data["funnel"])
    if chart:
        out.append("<h3>Where customers go and where they drop out</h3>"
                   '<p class="muted">Light bar: sessions that reached the question; dark: '
                   "answered it (or confirmed a known value when asked \u201cstill "
                   "true?\u201d); hatched: skipped it, the answer being known. Median "
                   "time from the question to the next step.</p>"
                   f'<div class="scroll">{chart}</div>')
        out.append(_table(
            ["node", "fact", "reached", "answered", "skipped", "abandoned here", "median",
             "90th pct"],
            [[r["node"], r["fact"] or "", r["reached"], r["answered"], r["skipped"],
              r["abandoned"], duration(r["time_median"]), duration(r["time_p90"])]
             for r in data["funnel"]], 2, "funnel"))
    for question in data["answers"]:
        out.append(f"<h3>Answers to “{escape(question['node'])}” "
                   f"<span class=\"muted\">({escape(question['fact'] or '')}, "
                   f"{escape(answer_count(question))})</span></h3>"
                   + share_bars(question))
        if len(question["weekly"]) > 1:
            labels = [str(v["value"]) for v in question["values"]]
            out.append("<p class=\"muted\">Week by week: each bar is one week's answers "
                       "and confirmations (100 %), n their number that week.</p>"
                       f'<div class="scroll">{weekly_chart(question)}</div>')
            out.append(_table(["week of", *labels], [
                [w["week"], *[percent(w["counts"].get(k, 0) / w["total"]) for k in labels]]
                for w in question["weekly"]], 1, "weekly"))
    graph = graph_chart(data["graph"])
    if graph:
        out.append("<h3>The script, with traffic on each step</h3>"
                   '<p class="muted">Numbers are how often sessions moved along the '
                   "arrow; thicker arrows carry more.</p>"
                   f'<div class="scroll">{graph}</div>')
    out.append(_paths(report, sid))
    out.append("</section>")
    return "".join(out)


def _paths(report: dict[str, Any], sid: str) -> str:
    # Paths are over all sessions; show them once, under the first script.
    if sid != next(iter(report["scripts"])) or not report["paths"]:
        return ""
    items = []
    for outcome, paths in report["paths"].items():
        rows = [[p["count"], " \u203a ".join(p["steps"]) or "(no answers)", p["code"] or ""]
                for p in paths]
        items.append(f"<h3>Most common paths: {escape(OUTCOME_LABELS.get(outcome, outcome))}"
                     "</h3>" + _table(["sessions", "answers on the way", "code"], rows, 9,
                                      "paths"))
    return "".join(items)


def _notes(report: dict[str, Any]) -> str:
    notes = report["notes"]
    what = f" containing “{escape(notes['query'])}”" if notes["query"] else ""
    rows = [[n["script"], n["node"], n["actor"], n["session_id"], n["text"]]
            for n in notes["matches"]]
    return (f'<section id="notes"><h2>Agents\' notes{what}</h2>'
            f'<p><b data-figure="notes_total">{notes["total"]}</b> notes.</p>'
            + _table(["script", "node", "by", "session", "note"], rows, 9, "notes")
            + "</section>")
