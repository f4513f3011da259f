"""``scriptflow report``: the figures a support manager reads, over a session store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .run_cmd import default_store_hint, store_url


def register(sub: Any) -> None:
    """Add ``scriptflow report`` to the CLI's subcommands."""
    parser = sub.add_parser(
        "report", help="outcomes, funnels, answer shares and questions spared, from a store",
        description="Report on the sessions in a store: outcomes and reason codes, the "
                    "funnel of each node, the share of each answer week by week, handoffs, "
                    "common paths, questions spared and agents' notes.")
    parser.add_argument("--store", metavar="URL",
                        help="the session store: sqlite:///relative.db, "
                             "sqlite:////absolute.db (or a path to the file) or "
                             "redis://host:port/db (default: $SCRIPTFLOW_STORE, else "
                             f"{default_store_hint()})")
    parser.add_argument("--library", metavar="DIR",
                        help="the scripts: adds titles, unreached nodes, the full graph, "
                             "and tells reask: always and stale facts from repeated questions")
    parser.add_argument("--since", metavar="DATE", help="sessions started at or after "
                        "DATE (YYYY-MM-DD or ISO time, UTC)")
    parser.add_argument("--until", metavar="DATE", help="sessions started before DATE")
    parser.add_argument("--script", metavar="ID",
                        help="only sessions that started in or passed through this script")
    parser.add_argument("--abandoned-after", default="30m", metavar="DURATION",
                        help="an active session quiet this long counts as abandoned "
                             "(default 30m)")
    parser.add_argument("--as-of", metavar="DATE",
                        help="judge abandonment as of this time (default: now)")
    parser.add_argument("--notes", metavar="WORD", help="show agents' notes containing WORD")
    parser.add_argument("--top", type=int, default=5, metavar="N",
                        help="how many paths and answer values to name (default 5); "
                             "answer shares count kept answers and \"still true?\" "
                             "confirmations (by the value confirmed)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``scriptflow report``; 0 on success, 1 for a store that fails or holds a
    corrupt session, 2 for usage (a store URL that cannot be parsed, no store file there,
    a ``memory://`` store, a missing redis extra)."""
    from ..errors import StoreError
    from ..reports import (
        ReportOptions,
        StoreUsageError,
        make_report,
        parse_duration,
        parse_time,
        render,
    )
    from .main import fail as _fail
    from .main import open_library

    # As the sessions commands: --store, else $SCRIPTFLOW_STORE, else the default file.
    store = store_url(args.store)

    try:
        options = ReportOptions(
            since=parse_time(args.since, "--since") if args.since else None,
            until=parse_time(args.until, "--until") if args.until else None,
            script=args.script, abandoned_after=parse_duration(args.abandoned_after),
            as_of=parse_time(args.as_of, "--as-of") if args.as_of else None,
            notes=args.notes, top=max(args.top, 1))
    except ValueError as exc:
        return _fail(str(exc), 2)
    if options.since is not None and options.until is not None and \
            options.since >= options.until:
        return _fail(f"--since {args.since} is not before --until {args.until}: no session "
                     "can have started in between", 2)
    library = open_library([args.library], args.script) if args.library else None
    try:
        text = render(make_report(store, options, library), args.format)
    except StoreUsageError as exc:
        return _fail(_where_from(args.store, store) + str(exc), 2)
    except StoreError as exc:
        return _fail(str(exc), 1)
    except ImportError as exc:  # a redis:// store without the redis extra: the hint says how
        return _fail(str(exc), 2)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            return _fail(f"cannot write {args.output}: {exc.strerror}", 1)
    else:
        sys.stdout.write(text)
    return 0


def _where_from(given: str | None, store: str) -> str:
    """Where the store URL came from, as the start of a message about it."""
    import os

    if given:
        return "--store: "
    if os.environ.get("SCRIPTFLOW_STORE"):
        return "$SCRIPTFLOW_STORE: "
    return f"no --store given and $SCRIPTFLOW_STORE unset, so {store}: "
