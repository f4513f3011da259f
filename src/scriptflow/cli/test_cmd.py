"""``scriptflow test``: run scenario tests, show the path of each failure, and coverage."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("test", help="run *.scenarios.yaml scenario tests with coverage")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="scenario files, or folders searched for *.scenarios.yaml")
    parser.add_argument("--library", metavar="DIR", action="append",
                        help="where the scripts are (default: each folder PATH, and the "
                        "folder of each file PATH)")
    parser.add_argument("--min-coverage", type=float, metavar="N", default=None,
                        help="fail when node or branch coverage is below N percent")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("-q", "--quiet", action="store_true", help="show failures only")
    parser.set_defaults(func=cmd_test)


def cmd_test(args: argparse.Namespace) -> int:
    from ..errors import LibraryError
    from ..format.reader import MissingPathError
    from ..library import load_library
    from ..testing.runner import find_scenario_files, run_files

    try:
        scenario_files = find_scenario_files(args.paths)
        library = load_library(*(args.library or _library_folders(args.paths)))
    except (MissingPathError, FileNotFoundError) as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return 2
    except LibraryError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return 1
    if not scenario_files:
        sys.stderr.write("scriptflow: no *.scenarios.yaml files under "
                         f"{', '.join(args.paths)}\n")
        return 2
    run = run_files(library, scenario_files)
    lowest = _lowest(run.coverage.total())
    below = args.min_coverage is not None and (lowest is None or lowest < args.min_coverage)
    if args.format == "json":
        data = _as_json(run)
        data["summary"]["min_coverage"] = args.min_coverage
        data["summary"]["below_min_coverage"] = below
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _write_text(run, args.quiet)
        if below and lowest is None:
            sys.stdout.write(f"coverage n/a (the library has no nodes to cover) does not "
                             f"reach --min-coverage {args.min_coverage:g}%\n")
        elif below:
            sys.stdout.write(f"coverage {lowest:.1f}% is below "
                             f"--min-coverage {args.min_coverage:g}%\n")
    return 0 if run.passed and not below else 1


def _library_folders(paths: list[str]) -> list[str]:
    """The default library: a folder PATH itself, and the folder a scenario file PATH
    sits in (the file is not a script, and its script lives beside it)."""
    folders = [p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths]
    return list(dict.fromkeys(folders))


def _lowest(totals: tuple[float | None, float | None]) -> float | None:
    """The lower of node and branch coverage, leaving out a measure with nothing to
    cover (a library without branches); None when neither has anything."""
    measured = [t for t in totals if t is not None]
    return min(measured) if measured else None


def _write_text(run: Any, quiet: bool) -> None:
    out = sys.stdout
    for error in run.file_errors:
        out.write(f"ERROR {error.format()}\n")
    for result in run.results:
        scenario = result.scenario
        where = f"{scenario.path}:{scenario.mark[0]}"
        if result.passed:
            if not quiet:
                out.write(f"PASS  {scenario.script}: {scenario.name}\n")
            continue
        out.write(f"FAIL  {scenario.script}: {scenario.name}  ({where})\n")
        for error in result.errors:
            out.write(f"      error: {error.format()}\n")
        for failure in result.failures:
            out.write(f"      {failure}\n")
        if not result.played:
            out.write("      not run: fix the errors above first\n")
        else:
            out.write("      path taken:\n" if result.steps else
                      "      path taken: none (the session did not start)\n")
        for number, step in enumerate(result.steps, start=1):
            out.write(f"        {number:>2}. {step}\n")
    out.write("\n" + run.coverage.table() + "\n\n")
    passed = sum(1 for r in run.results if r.passed)
    failed = len(run.results) - passed
    errors = f", {len(run.file_errors)} file error(s)" if run.file_errors else ""
    out.write(f"{passed} passed, {failed} failed{errors}\n")


def _as_json(run: Any) -> dict[str, Any]:
    return {
        "scenarios": [
            {"file": r.scenario.path, "line": r.scenario.mark[0], "script": r.scenario.script,
             "name": r.scenario.name, "passed": r.passed, "failures": r.failures,
             "errors": [e.format() for e in r.errors], "played": r.played, "steps": r.steps,
             "actual": r.actual}
            for r in run.results
        ],
        "file_errors": [e.format() for e in run.file_errors],
        "coverage": run.coverage.to_dict(),
        "summary": {"passed": sum(1 for r in run.results if r.passed),
                    "failed": sum(1 for r in run.results if not r.passed),
                    "file_errors": len(run.file_errors)},
    }
