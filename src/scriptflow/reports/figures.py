"""The whole report as plain, JSON-safe data: every renderer draws from this one dict.

Shape (``format`` 1)::

    {"format": 1, "generated_at", "as_of", "period": {"since", "until"}, "script",
     "abandoned_after", "library": bool,
     "summary": {"sessions", "events", "finished", "resolved", "abandoned", "in_progress",
                 "resolved_share", "abandoned_share", "questions_asked",
                 "questions_spared", "spared_share", "asked_twice"},
     "outcomes": {"resolved": n, …, "abandoned": n, "in_progress": n, "total": n},
     "codes": [{"script", "result", "code", "ended_in", "count", "share"}],
     "scripts": {"<id>": {"title", "outcomes": {…}, "codes": […],
                          "funnel": [{"node", "fact", "reached", "asked", "answered",
                                      "skipped", "abandoned", "time_median", "time_p90",
                                      "timed"}],
                          "answers": [{"node", "fact", "total", "confirmed",
                                       "values": [{"value", "count", "share"}],
                                       "weekly": [{"week", "total", "counts"}]}],
                          "traffic": [{"from", "to", "count"}],
                          "graph": {"nodes": [{"id", "type", "layer", "result", "target"}],
                                    "edges": [{"from", "to", "label", "count", "planned"}]},
                          "spared": n}},
     "handoffs": [{"from", "to", "kind", "count", "sessions"}],
     "paths": {"<outcome>": [{"steps", "code", "count"}]},
     "spared": {"total", "asked", "by_script", "by_fact", "by_source"},
     "asked_twice": {"count", "checked", "cases": [{"session_id", "script", "node",
                                                   "fact", "at"}]},
     "notes": {"query", "total", "matches": [{"session_id", "at", "actor", "script",
                                               "node", "text"}]}}
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING, Any

from .answers import answer_shares
from .flows import common_paths, edge_traffic, handoffs
from .funnel import abandoned_at, funnel_rows, node_counts, time_spent
from .layout import script_graph, walk_order
from .notes import notes
from .options import ReportOptions, iso
from .outcomes import codes, outcomes, share
from .parallel import Job, run_jobs, worth_splitting
from .source import check_numbering, node_names, select_sessions
from .spared import asked_twice, spared

if TYPE_CHECKING:
    from ..library import Library

FORMAT = 1


def build_report(conn: sqlite3.Connection, options: ReportOptions,
                 library: Library | None = None, store: str | None = None) -> dict[str, Any]:
    """Compute every figure over the store open on ``conn`` (see the module docstring);
    ``store`` (its URL) lets an error about a corrupt session say how to fix it."""
    as_of = select_sessions(conn, options)
    events = conn.execute("SELECT count(*) FROM ev").fetchone()[0]
    # Costs: seconds each took over a million events, to share them out evenly.
    top = options.top
    done = run_jobs(conn, [
        # First: it explains failures.
        Job("numbering", lambda c: check_numbering(c, store), 0.4, store=True),
        Job("counts", node_counts, 2.8), Job("paths", lambda c: common_paths(c, top), 1.4),
        Job("shares", lambda c: answer_shares(c, top), 1.0),
        Job("twice", lambda c: asked_twice(c, library), 0.7),
        Job("traffic", edge_traffic, 0.6), Job("times", time_spent, 0.6),
        Job("codes", codes, 0.35), Job("spared", spared, 0.15),
        Job("outcomes", outcomes, 0.15), Job("handoffs", handoffs, 0.15),
        Job("abandoned", abandoned_at, 0.05),
        Job("notes", lambda c: notes(c, options.notes), 0.05, store=True),
    ], worth_splitting(events))
    overall, by_start = done["outcomes"]
    code_rows, shares, traffic = done["codes"], done["shares"], done["traffic"]
    saved, twice = done["spared"], done["twice"]
    nodes = funnel_rows(node_names(conn), done["counts"], done["abandoned"], done["times"])
    wanted = sorted(set(by_start) | set(nodes), key=lambda s: (-by_start.get(s, {}).get(
        "total", 0), s))
    if options.script is not None:
        wanted = [options.script]
    scripts = {sid: _script(sid, library, by_start, code_rows, nodes, shares, traffic,
                            saved) for sid in wanted}
    finished = sum(overall[r] for r in ("resolved", "escalated", "unresolved", "referred"))
    total = overall["total"]
    return {
        "format": FORMAT,
        "generated_at": iso(time.time()),
        "as_of": iso(as_of),
        "period": {"since": iso(options.since), "until": iso(options.until)},
        "script": options.script,
        "abandoned_after": options.abandoned_after,
        "library": library is not None,
        "summary": {
            "sessions": total, "events": events, "finished": finished,
            "resolved": overall["resolved"], "abandoned": overall["abandoned"],
            "in_progress": overall["in_progress"],
            "resolved_share": share(overall["resolved"], total),
            "abandoned_share": share(overall["abandoned"], total),
            "questions_asked": saved["asked"], "questions_spared": saved["total"],
            "spared_share": share(saved["total"], saved["asked"] + saved["total"]),
            "asked_twice": twice["count"],
        },
        "outcomes": overall,
        "codes": code_rows,
        "scripts": scripts,
        "handoffs": done["handoffs"],
        "paths": done["paths"],
        "spared": saved,
        "asked_twice": twice,
        "notes": done["notes"],
    }


def _script(sid: str, library: Library | None, by_start: dict[str, dict[str, int]],
            code_rows: list[dict[str, Any]], nodes: dict[str, dict[str, dict[str, Any]]],
            shares: dict[str, dict[str, dict[str, Any]]],
            traffic: dict[str, list[dict[str, Any]]], saved: dict[str, Any]) -> dict[str, Any]:
    known = library.scripts.get(sid) if library is not None else None
    order = _node_order(known, nodes.get(sid, {}))
    funnel_rows = [{"node": nid, **nodes[sid][nid]} for nid in order if nid in nodes.get(sid, {})]
    if known is not None:  # questions nobody reached still belong in the funnel
        for nid in order:
            node = known.nodes[nid]
            if nid not in nodes.get(sid, {}) and node.type in ("question", "action"):
                funnel_rows.append({"node": nid, "fact": node.fact, "reached": 0, "asked": 0,
                                    "answered": 0, "skipped": 0, "abandoned": 0,
                                    "time_median": None, "time_p90": None, "timed": 0})
        rank = {nid: i for i, nid in enumerate(order)}
        funnel_rows.sort(key=lambda row: rank.get(row["node"], len(rank)))
    answers = [{"node": nid, **entry} for nid, entry in shares.get(sid, {}).items()
               if library is None or _shareable(library, sid, entry["fact"])]
    answers.sort(key=lambda a: order.index(a["node"]) if a["node"] in order else len(order))
    empty = {k: 0 for k in ("resolved", "escalated", "unresolved", "referred", "abandoned",
                            "in_progress", "total")}
    return {
        "title": known.title if known is not None else sid,
        "outcomes": by_start.get(sid, empty),
        "codes": [row for row in code_rows if row["script"] == sid],
        "funnel": funnel_rows,
        "answers": answers,
        "traffic": traffic.get(sid, []),
        "graph": script_graph(known, [row["node"] for row in funnel_rows],
                              traffic.get(sid, [])),
        "spared": saved["by_script"].get(sid, 0),
    }


def _shareable(library: Library, sid: str, fact: str | None) -> bool:
    """Whether answer shares mean something: not for free text, nor for values that are
    masked (account numbers, PINs)."""
    from ..engine.flow import fact_decl

    decl = fact_decl(library, sid, fact or "")
    return decl is None or (decl.type != "text" and not decl.sensitive)


def _node_order(script: Any, seen: dict[str, dict[str, Any]]) -> list[str]:
    """Nodes in walking order: breadth first from the start when the script is known,
    else busiest first."""
    if script is None:
        return sorted(seen, key=lambda n: (-seen[n]["reached"], n))
    order = walk_order(script)
    return order + sorted(n for n in seen if n not in order)
