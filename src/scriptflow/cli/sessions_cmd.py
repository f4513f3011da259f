"""``scriptflow sessions list|show|check|delete|expire|export`` and ``scriptflow events
export``.

Every command reads the store named by ``--store URL`` (default: $SCRIPTFLOW_STORE, else
``sqlite:///scriptflow-sessions.db`` in the current folder, the file ``scriptflow run
--store`` writes by default). None of them creates a store: a SQLite file that is not
there is an error, so a mistyped path never passes as an empty store.

``sessions list`` and ``sessions export`` go on past a session whose stored data cannot
be read: they name it on stderr and exit 1 at the end.

Exit status: 0 done; 1 ``sessions check`` found stranded sessions, or the store failed
or holds corrupt data; 2 usage errors (a bad URL, no store at that path, an unknown
session, no library).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

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
    from ..errors import CorruptSessionError
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
    listing.add_argument("--older-than", type=_seconds, metavar="SECONDS",
                         help="only those not updated for SECONDS")
    listing.add_argument("--limit", type=_count, metavar="N")
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

    delete = actions.add_parser(
        "delete", help="delete one stored session and its events",
        description="Delete one stored session, its events and its state log (a "
                    "session that cannot be repaired, say). What the store remembers of "
                    "its customer stays.")
    delete.add_argument("id", metavar="ID")
    _store_arg(delete)
    delete.set_defaults(func=cmd_delete)

    expire = actions.add_parser("expire", help="delete sessions not updated for SECONDS")
    expire.add_argument("seconds", type=_seconds, metavar="SECONDS")
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


def _seconds(text: str) -> float:
    """A duration argument: a number of seconds, 0 or more."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a duration: give 0 or more "
                                         "seconds (86400 is a day)")
    return value


def _count(text: str) -> int:
    """A count argument: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative: give 0 or more")
    return value


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
        store = _open(args.store)
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


def _open(given: str | None) -> Store:
    """The store of ``--store`` (or the default), which must exist: these commands read
    it, or remove from it, and never create one."""
    import os

    default = "" if given or os.environ.get("SCRIPTFLOW_STORE") else \
        "no --store given and $SCRIPTFLOW_STORE not set, so the default was read: "
    return open_store_or_fail(store_url(given), create=False, missing=default)


def _corrupt_reporter(out: TextIO) -> tuple[list[str], Any]:
    """A list of the corrupt sessions' ids, and the ``on_corrupt`` callback that names
    each on ``out`` as it is met and adds it there."""
    found: list[str] = []

    def report(exc: CorruptSessionError) -> None:
        found.append(exc.session_id or "?")
        out.write(f"scriptflow: skipped: {exc}\n")

    return found, report


def _corrupt_tail(found: list[str], store: Store, what: str) -> str:
    """The closing line when sessions were left out (named above it, one a line)."""
    ids = ", ".join(found)
    return (f"scriptflow: {len(found)} corrupt session(s) {what} ({ids}); see what is "
            f"stored with `scriptflow sessions show ID --store {store.url}`, remove what "
            f"cannot be repaired with `scriptflow sessions delete ID --store {store.url}`\n")


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


# -- sessions list -----------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    def body(store: Store) -> int:
        bad, on_corrupt = _corrupt_reporter(sys.stderr)
        infos = store.list(script=args.script, status=args.status,
                           older_than=args.older_than, limit=args.limit,
                           on_corrupt=on_corrupt)
        if args.json:
            sys.stdout.write(json.dumps([_info_dict(i) for i in infos], indent=2) + "\n")
        elif not infos:
            sys.stdout.write(f"no sessions in {store.url}\n")
        else:
            for info in infos:
                sys.stdout.write(_info_line(info) + "\n")
            sys.stdout.write(f"{len(infos)} session(s) in {store.url}\n")
        if bad:
            sys.stderr.write(_corrupt_tail(bad, store, "not listed"))
            return EXIT_ERROR
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
        info: SessionInfo | str
        try:
            info = store.info(args.id)
        except CorruptSessionError as exc:  # its listing fields: the rest may be fine
            info = f"{args.id}  listing unreadable: {exc}"
        try:
            session = store.load(library, args.id)
        except (ResumeError, CorruptSessionError) as exc:
            # Still show what is stored: that is what someone fixing it needs to see.
            sys.stdout.write(f"cannot rebuild session {args.id}: {exc}\n")
            sys.stdout.write((info if isinstance(info, str) else _info_line(info)) + "\n")
            sys.stdout.write("Transcript (as stored):\n")
            for item in store.salvage_events(args.id):
                if isinstance(item, str):
                    sys.stdout.write(f"  unreadable: {item}\n")
                else:
                    sys.stdout.write(f"  {_raw_when(item)}  {_raw_line(item)}\n")
            return EXIT_ERROR
        if isinstance(info, str):  # pragma: no cover - load reads what info could not
            sys.stdout.write(info + "\n")
        else:
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


def _raw_when(event: dict[str, Any]) -> str:
    """The time of a stored event, which may itself be damaged."""
    try:
        return _when(float(event["at"]))
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return f"(time {event.get('at')!r})"


def _raw_line(event: dict[str, Any]) -> str:
    where = f"{event.get('script')}:{event.get('node')}" if event.get("script") else ""
    what = f" {event['fact']}" if event.get("fact") else ""
    value = f" = {event['value']!r}" if "value" in event else ""
    detail = f" — {event['detail']}" if event.get("detail") else ""
    return (f"{event.get('actor', ''):<8} {event.get('type', '(no type)')} "
            f"{where}{what}{value}{detail}")


# -- sessions check ----------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from ..stores import stranded

    def body(store: Store) -> int:
        library = load_library_or_fail(args)
        listed: list[SessionInfo] = []
        found = stranded(store, library, script=args.script, listed=listed)
        # sessions whose listing cannot be read count too: they may well be active
        active = len(listed) + sum(1 for item in found if not item.script)
        if not found:
            sys.stdout.write(f"{active} active session(s) in {store.url}: none stranded by "
                             f"the library at {args.library}\n")
            return EXIT_OK
        for item in found:
            kind = "corrupt" if item.corrupt else "stranded"
            where = f"{item.script}:{item.node}" if item.script else "(listing unreadable)"
            sys.stdout.write(f"{item.id}  {where}  {kind}: {item.reason}\n")
        sys.stdout.write(f"{len(found)} of {active} active session(s) would not resume "
                         f"with the library at {args.library}\n")
        return EXIT_ERROR

    return _run(args, body)


# -- sessions delete / expire / export, events export ------------------------------------

def cmd_delete(args: argparse.Namespace) -> int:
    from ..stores import SessionNotFoundError

    def body(store: Store) -> int:
        if not store.delete(args.id):
            raise SessionNotFoundError(args.id, store.url)
        sys.stdout.write(f"deleted session {args.id} from {store.url}\n")
        return EXIT_OK

    return _run(args, body)


def cmd_expire(args: argparse.Namespace) -> int:
    def body(store: Store) -> int:
        count = store.expire(args.seconds)
        sys.stdout.write(f"deleted {count} session(s) not updated for {args.seconds:g} s\n")
        return EXIT_OK

    return _run(args, body)


def cmd_export(args: argparse.Namespace) -> int:
    from ..stores import export_sqlite

    def body(store: Store) -> int:
        bad, on_corrupt = _corrupt_reporter(sys.stderr)
        try:
            count = export_sqlite(store, args.path, on_corrupt=on_corrupt)
        except ValueError as exc:  # FILE.db cannot take it: a usage error
            raise RunError(str(exc), EXIT_USAGE) from None
        sys.stdout.write(f"exported {count} session(s) from {store.url} to {args.path}\n")
        if bad:
            sys.stderr.write(_corrupt_tail(bad, store, f"not exported to {args.path}"))
            return EXIT_ERROR
        return EXIT_OK

    return _run(args, body)


def cmd_events(args: argparse.Namespace) -> int:
    from ..stores import export_jsonl

    def body(store: Store) -> int:
        export_jsonl(store.events(args.session, args.since, args.until), sys.stdout)
        return EXIT_OK

    return _run(args, body)
