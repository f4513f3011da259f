"""``scriptflow sessions list|show|check|expire|export`` and ``scriptflow events export``.

Every command reads the store named by ``--store URL`` (default: $SCRIPTFLOW_STORE, else
``sqlite:///scriptflow-sessions.db`` in the current folder, the file ``scriptflow run
--store`` writes by default).

Exit status: 0 done; 1 ``sessions check`` found stranded sessions, or the store failed
or holds corrupt data; 2 usage errors (a bad URL, an unknown session, no library).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from .run_cmd import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    RunError,
    default_store_hint,
    load_library_or_fail,
    open_store_or_fail,
    store_url,
)

if TYPE_CHECKING:
    from ..stores import SessionInfo, Store

STORE_HELP = ("the session store: memory://, sqlite:///relative.db, sqlite:////absolute.db "
              f"or redis://host:port/db (default: $SCRIPTFLOW_STORE, else "
              f"{default_store_hint()})")


def register(sub: Any) -> None:
    """Add ``scriptflow sessions`` and ``scriptflow events``."""
    sessions = sub.add_parser("sessions", help="list, show and check stored sessions",
                              description="Stored sessions: " + STORE_HELP + ".")
    actions = sessions.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser("list", help="stored sessions, most recently updated first")
    _store_arg(listing)
    listing.add_argument("--script", metavar="ID", help="only those that started in ID")
    listing.add_argument("--status", choices=("active", "finished"))
    listing.add_argument("--older-than", type=float, metavar="SECONDS",
                         help="only those not updated for SECONDS")
    listing.add_argument("--limit", type=int, metavar="N")
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(func=cmd_list)

    show = actions.add_parser("show", help="a session's summary and transcript")
    show.add_argument("id", metavar="ID")
    _store_arg(show)
    _library_arg(show)
    show.set_defaults(func=cmd_show)

    check = actions.add_parser(
        "check", help="active sessions the library would strand (run before publishing)",
        description="List every stored session in progress that the library as it is now "
                    "would strand: its script gone, the node it stands on (or a call node "
                    "it returns to) removed, or the fact asked there changed. Exit 1 when "
                    "there is any.")
    _store_arg(check)
    _library_arg(check)
    check.add_argument("--script", metavar="ID", help="only sessions that started in ID")
    check.set_defaults(func=cmd_check)

    expire = actions.add_parser("expire", help="delete sessions not updated for SECONDS")
    expire.add_argument("seconds", type=float, metavar="SECONDS")
    _store_arg(expire)
    expire.set_defaults(func=cmd_expire)

    export = actions.add_parser("export", help="copy every session into a SQLite file "
                                               "with the reports schema")
    export.add_argument("path", metavar="FILE.db")
    _store_arg(export)
    export.set_defaults(func=cmd_export)

    events = sub.add_parser("events", help="the event log of stored sessions")
    what = events.add_subparsers(dest="action", metavar="ACTION")
    what.required = True
    dump = what.add_parser("export", help="every event as JSON lines (with session_id, seq)")
    _store_arg(dump)
    dump.add_argument("--format", choices=("jsonl",), default="jsonl")
    dump.add_argument("--session", metavar="ID", help="only this session's events")
    dump.add_argument("--since", type=float, metavar="EPOCH", help="events at or after")
    dump.add_argument("--until", type=float, metavar="EPOCH", help="events before")
    dump.set_defaults(func=cmd_events)


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)


def _library_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--library", default="scripts", metavar="DIR",
                        help="folder of scripts (default: scripts/)")


def _run(args: argparse.Namespace, body: Any) -> int:
    """Open the store, run ``body(store)``, turn errors into messages and statuses."""
    from ..errors import ScriptflowError
    from ..stores import SessionNotFoundError

    try:
        store = open_store_or_fail(store_url(args.store))
    except RunError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return exc.status
    try:
        status: int = body(store)
        return status
    except RunError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return exc.status
    except SessionNotFoundError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return EXIT_USAGE
    except ScriptflowError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        return EXIT_ERROR
    finally:
        store.close()


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


# -- sessions list -----------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    def body(store: Store) -> int:
        infos = store.list(script=args.script, status=args.status,
                           older_than=args.older_than, limit=args.limit)
        if args.json:
            sys.stdout.write(json.dumps([_info_dict(i) for i in infos], indent=2) + "\n")
            return EXIT_OK
        if not infos:
            sys.stdout.write(f"no sessions in {store.url}\n")
            return EXIT_OK
        for info in infos:
            sys.stdout.write(_info_line(info) + "\n")
        sys.stdout.write(f"{len(infos)} session(s) in {store.url}\n")
        return EXIT_OK

    return _run(args, body)


def _info_dict(info: SessionInfo) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(info)


def _info_line(info: SessionInfo) -> str:
    if info.status == "finished":
        state = f"finished {info.result}" + (f" ({info.code})" if info.code else "")
    else:
        state = "active"
    customer = f"  customer {info.customer}" if info.customer else ""
    return (f"{info.id}  {state:<28} {info.script:<18} at {info.current_script}:"
            f"{info.node}  updated {_when(info.updated_at)}  v{info.version}{customer}")


# -- sessions show -----------------------------------------------------------------------

def cmd_show(args: argparse.Namespace) -> int:
    from ..engine.summary import describe, label_of
    from ..errors import CorruptSessionError, ResumeError

    def body(store: Store) -> int:
        library = load_library_or_fail(args)
        info = store.info(args.id)
        try:
            session = store.load(library, args.id)
        except (ResumeError, CorruptSessionError) as exc:
            # Still show what is stored: that is what someone fixing it needs to see.
            sys.stdout.write(f"cannot rebuild session {args.id}: {exc}\n")
            sys.stdout.write(_info_line(info) + "\n")
            sys.stdout.write("Transcript (as stored):\n")
            for raw in store.events(args.id):
                sys.stdout.write(f"  {_when(raw['at'])}  {_raw_line(raw)}\n")
            return EXIT_ERROR
        sys.stdout.write(_info_line(info) + "\n")
        sys.stdout.write(session.summary())
        sys.stdout.write("Transcript:\n")
        now = session.clock.now()
        for event in session.events:
            line = describe(event, library, now)
            if line is None:
                line = f"asked: {label_of(library, event.script, event.fact)}" \
                    if event.fact else event.type
            sys.stdout.write(f"  {_when(event.at)}  {event.actor:<8} {line}\n")
        return EXIT_OK

    return _run(args, body)


def _raw_line(event: dict[str, Any]) -> str:
    where = f"{event.get('script')}:{event.get('node')}" if event.get("script") else ""
    what = f" {event['fact']}" if event.get("fact") else ""
    value = f" = {event['value']!r}" if "value" in event else ""
    detail = f" — {event['detail']}" if event.get("detail") else ""
    return f"{event.get('actor', ''):<8} {event['type']} {where}{what}{value}{detail}"


# -- sessions check ----------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from ..stores import stranded

    def body(store: Store) -> int:
        library = load_library_or_fail(args)
        found = stranded(store, library, script=args.script)
        active = len(store.list(script=args.script, status="active"))
        if not found:
            sys.stdout.write(f"{active} active session(s) in {store.url}: none stranded by "
                             f"the library at {args.library}\n")
            return EXIT_OK
        for item in found:
            kind = "corrupt" if item.corrupt else "stranded"
            sys.stdout.write(f"{item.id}  {item.script}:{item.node}  {kind}: "
                             f"{item.reason}\n")
        sys.stdout.write(f"{len(found)} of {active} active session(s) would not resume "
                         f"with the library at {args.library}\n")
        return EXIT_ERROR

    return _run(args, body)


# -- sessions expire / export, events export ---------------------------------------------

def cmd_expire(args: argparse.Namespace) -> int:
    def body(store: Store) -> int:
        count = store.expire(args.seconds)
        sys.stdout.write(f"deleted {count} session(s) not updated for {args.seconds:g} s\n")
        return EXIT_OK

    return _run(args, body)


def cmd_export(args: argparse.Namespace) -> int:
    from ..stores import export_sqlite

    def body(store: Store) -> int:
        count = export_sqlite(store, args.path)
        sys.stdout.write(f"exported {count} session(s) from {store.url} to {args.path}\n")
        return EXIT_OK

    return _run(args, body)


def cmd_events(args: argparse.Namespace) -> int:
    from ..stores import export_jsonl

    def body(store: Store) -> int:
        export_jsonl(store.events(args.session, args.since, args.until), sys.stdout)
        return EXIT_OK

    return _run(args, body)
