"""``scriptflow paths``: every path through a script, and the questions each outcome costs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..analysis.effort import OutcomeEffort
    from ..analysis.paths import Path, PathSet, Step, Value
    from ..library import Library


class UsageError(Exception):
    """A bad command line: shown as ``scriptflow: …`` with exit status 2."""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "paths", help="every path from a script's start to an outcome, with the questions "
                      "each costs the customer")
    parser.add_argument("script", metavar="SCRIPT",
                        help="a script id (looked up in --library) or a script file")
    parser.add_argument("--library", metavar="DIR", action="append",
                        help="where the scripts are (default: the script file's folder, "
                             "or the current folder for an id)")
    parser.add_argument("--fact", metavar="KEY=VALUE", action="append", default=[],
                        help="a fact already known before the start (repeat for more): "
                             "shows which questions are skipped")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--max-paths", type=int, metavar="N", default=1000,
                        help="stop after N paths (default 1000)")
    parser.set_defaults(func=cmd_paths)


def cmd_paths(args: argparse.Namespace) -> int:
    from ..analysis.paths import enumerate_paths
    from ..errors import LibraryError

    try:
        if args.max_paths < 1:
            raise UsageError("--max-paths must be at least 1")
        library, script_id = _load(args.script, args.library)
        given = parse_facts(library, script_id, args.fact)
    except UsageError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return 2
    except LibraryError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return 1
    found = enumerate_paths(library, script_id, given, max_paths=args.max_paths)
    baseline = enumerate_paths(library, script_id, max_paths=args.max_paths) if given \
        else None
    shown = given_text(library, script_id, given)
    if args.format == "json":
        json.dump(as_json(found, baseline, shown), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_text(found, baseline, shown, sys.stdout)
    if found.truncated and len(found.paths) >= args.max_paths:
        sys.stderr.write(f"scriptflow: stopped after {args.max_paths} paths; there are "
                         "more (raise --max-paths)\n")
    elif found.truncated:
        sys.stderr.write("scriptflow: stopped early: too many ways through (forks and "
                         "loops); the paths shown are only some of them\n")
    return 0


def _load(script: str, folders: list[str] | None) -> tuple[Library, str]:
    """The library and the id of the script to walk, from an id or a file name."""
    from ..format.schema import did_you_mean
    from ..library import load_library

    is_file = os.path.isfile(script)
    where = folders or [os.path.dirname(script) or "." if is_file else "."]
    for folder in where:
        if not os.path.exists(folder):
            raise UsageError(f"no such file or folder: {folder}")
    library = load_library(*where)
    if is_file:
        wanted = os.path.realpath(script)
        for sid, loaded in library.scripts.items():
            if os.path.realpath(loaded.path) == wanted:
                return library, sid
        raise UsageError(f"{script} is not a script of the library in {', '.join(where)}")
    if script not in library.scripts:
        hint = did_you_mean(script, library.scripts)
        raise UsageError(f"no script {script!r} in {', '.join(where)}" +
                         (f"; {hint}" if hint else "") + " (give --library DIR, or a file)")
    return library, script


def parse_facts(library: Library, script_id: str, items: list[str]) -> dict[str, Value]:
    """``KEY=VALUE`` items checked against the facts' declarations, as intake facts are."""
    from ..engine.answers import check
    from ..engine.flow import fact_decl
    from ..errors import AnswerError
    from ..format.schema import did_you_mean

    given: dict[str, Value] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--fact {item!r}: expected KEY=VALUE, e.g. "
                             "--fact router_lights=all_off")
        decl = fact_decl(library, script_id, key)
        if decl is None:
            hint = did_you_mean(key, library.facts)
            raise UsageError(f"--fact {item!r}: no fact {key!r} in the library" +
                             (f"; {hint}" if hint else ""))
        try:
            given[key] = check(decl, raw)
        except AnswerError as exc:
            raise UsageError(f"--fact {item!r}: {exc}") from None
    return given


def given_text(library: Library, script_id: str, given: dict[str, Value]) -> dict[str, str]:
    """The given facts as they may be printed: sensitive ones masked."""
    from ..engine.answers import shown
    from ..engine.flow import fact_decl

    return {k: shown(fact_decl(library, script_id, k), v) for k, v in given.items()}


# -- output ----------------------------------------------------------------------------

def _step_text(step: Step) -> str | None:
    if step.kind in ("question", "action"):
        return f"{step.fact}={step.detail}"
    if step.kind == "confirm":
        return f"confirm {step.fact}={step.detail}"
    if step.kind == "skipped":
        return f"(skips {step.fact})"
    if step.kind in ("handoff", "call"):
        return f"{'⇒' if step.kind == 'handoff' else 'call'} {step.detail}"
    return None


def path_text(path: Path) -> str:
    """One line: what the customer is asked, in order, and the handoffs and calls."""
    parts = [text for step in path.steps if (text := _step_text(step))]
    return " → ".join(parts) if parts else "(nothing asked)"


def _outcome_name(row: OutcomeEffort | Path) -> str:
    shown_code = row.code and row.code != row.node
    return f"{row.script}:{row.node}" + (f" ({row.code})" if shown_code else "")


def write_text(found: PathSet, baseline: PathSet | None, given: dict[str, str],
               out: TextIO) -> None:
    from ..analysis.effort import effort_by_outcome, effort_of, skipped_questions

    rows = effort_by_outcome(found.paths)
    out.write(f"{found.script}: {len(found.paths)} path(s) to {len(rows)} outcome(s)"
              f"{', stopped at --max-paths' if found.truncated else ''}"
              f"{f', {found.loops_cut} loop(s) cut' if found.loops_cut else ''}\n")
    if given:
        out.write("given: " + ", ".join(f"{k}={v}" for k, v in given.items()) + "\n")
    before = {r.key: r.effort for r in effort_by_outcome(baseline.paths)} if baseline \
        else {}
    out.write("\nanswers the customer gives, per outcome (min/median/max)\n")
    width = max([len(_outcome_name(r)) for r in rows] + [20])
    header = f"  {'outcome':<{width}}  {'result':<10} {'paths':>6}  {'answers':>10}"
    out.write(header + ("  without the facts" if baseline else "") + "\n")
    for row in rows:
        line = (f"  {_outcome_name(row):<{width}}  {row.result:<10} {row.effort.paths:>6}  "
                f"{row.effort.text():>10}")
        if baseline:
            was = before.get(row.key)
            line += f"  {was.text() if was else '-':>10}"
        out.write(line + "\n")
    total = effort_of(found.paths)
    was_total = effort_of(baseline.paths) if baseline else None
    if total is not None:
        out.write(f"  {'every outcome':<{width}}  {'':<10} {total.paths:>6}  "
                  f"{total.text():>10}" + (f"  {was_total.text():>10}" if was_total else "")
                  + "\n")
    skips = skipped_questions(found.paths)
    if skips:
        out.write("\nquestions skipped (already known)\n")
        for skip in skips:
            mark = "  (given)" if skip.fact in found.known else ""
            out.write(f"  {skip.fact} at {skip.script}:{skip.node}: on {skip.paths} of "
                      f"{len(found.paths)} path(s){mark}\n")
    out.write("\npaths\n")
    for number, path in enumerate(found.paths, start=1):
        out.write(f"  {number:>3}. {path.result} at {_outcome_name(path)}, "
                  f"{path.questions} answer(s): {path_text(path)}\n")


def as_json(found: PathSet, baseline: PathSet | None, given: dict[str, str]) -> dict[str, Any]:
    from ..analysis.effort import effort_by_outcome, effort_of, skipped_questions

    before = {r.key: r.effort for r in effort_by_outcome(baseline.paths)} if baseline \
        else {}
    outcomes = []
    for row in effort_by_outcome(found.paths):
        item: dict[str, Any] = {"script": row.script, "node": row.node, "result": row.result,
                                "code": row.code, "answers": row.effort.to_dict()}
        if baseline is not None:
            was = before.get(row.key)
            item["without_facts"] = was.to_dict() if was else None
        outcomes.append(item)
    total = effort_of(found.paths)
    return {
        "script": found.script,
        "given": given,
        "total": total.to_dict() if total else {"paths": 0},
        "outcomes": outcomes,
        "skipped": [{"fact": s.fact, "script": s.script, "node": s.node, "paths": s.paths,
                     "given": s.fact in found.known} for s in skipped_questions(found.paths)],
        "paths": [{"outcome": {"script": p.script, "node": p.node, "result": p.result,
                               "code": p.code},
                   "answers": p.questions,
                   "steps": [{"script": s.script, "node": s.node, "kind": s.kind,
                              "fact": s.fact, "detail": s.detail} for s in p.steps]}
                  for p in found.paths],
        "loops_cut": found.loops_cut,
        "truncated": found.truncated,
    }
