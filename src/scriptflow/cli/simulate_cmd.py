"""``scriptflow simulate``: fill a store with random but plausible sessions of a script."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any


def register(sub: Any) -> None:
    """Add ``scriptflow simulate`` to the CLI's subcommands."""
    parser = sub.add_parser(
        "simulate", help="play random but plausible sessions into a store (for reports, "
                         "benchmarks and demos)",
        description="Play N sessions of SCRIPT through the engine with random answers "
                    "(weighted per fact with --answers-weights) and save them in a store. "
                    "Some customers leave mid-way, go back or get an agent's note; "
                    "contacts are spread over the last --days days.")
    parser.add_argument("script", metavar="SCRIPT", help="id of the script to start")
    parser.add_argument("--sessions", type=int, required=True, metavar="N")
    parser.add_argument("--store", required=True, metavar="URL",
                        help="sqlite:///path/sessions.db or redis://host:port/db")
    parser.add_argument("--library", default="scripts", metavar="DIR",
                        help="folder of scripts (default: scripts/)")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="random seed: the same seed plays the same sessions")
    parser.add_argument("--answers-weights", metavar="FILE",
                        help="YAML or JSON: {fact: {value: weight}} or {fact: [values]}")
    parser.add_argument("--days", type=float, default=28.0, metavar="D",
                        help="spread contacts over the last D days (default 28)")
    parser.add_argument("--leave", type=float, default=0.04, metavar="P",
                        help="chance a customer leaves at each prompt (default 0.04)")
    parser.add_argument("--customers", type=int, default=0, metavar="N",
                        help="contacts come from N customers, remembered between contacts "
                             "(default 0: every contact is a new, anonymous caller)")
    parser.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run ``scriptflow simulate``; 0 on success, 1 on store or library errors, 2 usage
    (a store URL that cannot be parsed, a missing redis extra, answers it cannot make
    up)."""
    from ..errors import StoreError
    from ..reports.simulate import Plan, clock_for, parse_weights, simulate
    from ..stores import open_store, parse_url
    from .main import fail as _fail
    from .main import open_library

    if args.sessions < 0 or args.customers < 0 or not 0 <= args.leave <= 1 or args.days <= 0:
        return _fail("--sessions and --customers must be >= 0, --leave between 0 and 1, "
                     "--days above 0", 2)
    library = open_library([args.library], args.script)
    weights = {}
    if args.answers_weights:
        import yaml

        try:
            with open(args.answers_weights, encoding="utf-8") as handle:
                weights = parse_weights(yaml.safe_load(handle), library)
        except OSError as exc:
            return _fail(f"cannot read {args.answers_weights}: {exc.strerror}", 2)
        except (yaml.YAMLError, ValueError) as exc:
            return _fail(f"{args.answers_weights}: {exc}", 2)
    plan = Plan(sessions=args.sessions, seed=args.seed, weights=weights, leave=args.leave,
                days=args.days, end=time.time(), customers=args.customers)
    clock = clock_for(plan)
    try:
        parsed = parse_url(args.store)
    except ValueError as exc:  # the URL: nothing was opened or written
        return _fail(f"--store: {exc}", 2)
    folder = os.path.dirname(parsed.path) or "."
    if parsed.scheme == "sqlite" and not os.path.isdir(folder):
        return _fail(f"--store {args.store}: the folder {folder} does not exist; create it "
                     "or name a file in an existing folder", 2)
    try:
        store = open_store(args.store, clock=clock)
    except ValueError as exc:  # a URL its backend cannot parse (redis://host:port)
        return _fail(f"--store: {exc}", 2)
    except ImportError as exc:  # a redis:// store without the redis extra: the hint says how
        return _fail(str(exc), 2)
    except StoreError as exc:
        return _fail(str(exc), 1)
    try:
        with store:
            counts = simulate(library, args.script, store, plan, clock)
    except StoreError as exc:
        return _fail(str(exc), 1)
    except ValueError as exc:  # an answer it cannot make up: the message says what to give
        return _fail(str(exc), 2)
    sys.stdout.write(f"{counts['sessions']} sessions of {args.script} saved in {args.store}: "
                     f"{counts['finished']} finished, {counts['left']} left unfinished, "
                     f"{counts['events']} events\n")
    if parsed.scheme == "memory":  # fine for timing the engine, useless for a report
        sys.stderr.write("scriptflow: note: a memory:// store is gone when this command "
                         "ends; save in sqlite:///sessions.db to report on the sessions\n")
    return 0


