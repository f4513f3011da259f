"""``scriptflow run``: walk a script in the terminal, as an agent (or an author) would.

Interactive by default: the prompt, numbered options, and the commands ``back``,
``note TEXT``, ``facts``, ``summary``, ``quit``. ``--answers FILE.yaml`` answers from a
file instead (``fact: answer``, or ``fact: [first, second]`` for facts asked more than
once); ``--json`` prints the session (``Session.to_dict()``) at the end, on stdout, and
moves everything else to stderr so the JSON can be piped.

With ``--store URL`` the session is saved after every step (compare-and-set, so a
second agent on the same session gets a clear conflict instead of overwriting), and
``--resume ID`` continues a stored session where it stands; ``--customer KEY`` starts
knowing what the store remembers of that customer (within each fact's ttl) and saves
what is learned back.

Exit status: 0 when the session ends (or the user quits), 1 on errors (the scripts
loop, a file answer is missing or not accepted, input ends early, the library has
errors, the store fails or someone else saved the session meanwhile), 2 on usage errors
(no such library, unknown script or stored session, a bad ``--fact`` or store URL).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..engine.flow import Prompt
    from ..engine.session import Session
    from ..library import Library
    from ..stores import Store

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
HELP = ("answer with an option's number or its value; commands: back (undo the last "
        "answer), note TEXT, facts, summary, quit, help; start with = to answer a command "
        "word literally (=back)")


class RunError(Exception):
    """Stops the run with a message and an exit status."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        self.status = status
        super().__init__(message)


def register(sub: Any) -> None:
    """Add ``scriptflow run`` to the CLI's subcommands."""
    run = sub.add_parser(
        "run", help="walk a script interactively (or from an answers file)",
        description="Walk a script as a session: questions already answered are skipped, "
                    "and the reason is shown. " + HELP + ".")
    run.add_argument("script", metavar="SCRIPT", nargs="?",
                     help="id of the script to start (not with --resume)")
    run.add_argument("--library", default="scripts", metavar="DIR",
                     help="folder of scripts (default: scripts/)")
    run.add_argument("--fact", action="append", default=[], metavar="KEY=VALUE",
                     help="a fact known before the first question (repeatable)")
    run.add_argument("--answers", metavar="FILE.yaml",
                     help="answer from this file (fact: answer, or fact: [answers…]) "
                          "instead of asking")
    run.add_argument("--json", action="store_true",
                     help="print the session as JSON at the end (other output on stderr)")
    run.add_argument("--actor", choices=("customer", "agent"), default="customer",
                     help="who gives the answers (the source recorded for each fact)")
    run.add_argument("--store", metavar="URL",
                     help="save the session after every step: memory://, "
                          "sqlite:///relative.db, sqlite:////absolute.db or "
                          "redis://host:port/db (default with --resume or --customer: "
                          f"$SCRIPTFLOW_STORE, else {default_store_hint()})")
    run.add_argument("--resume", metavar="ID",
                     help="continue the stored session ID where it stands")
    run.add_argument("--customer", metavar="KEY",
                     help="start knowing what the store remembers of this customer and "
                          "remember what this session learns")
    run.set_defaults(func=cmd_run)


def default_store_hint() -> str:
    from ..stores import DEFAULT_URL

    return DEFAULT_URL


def store_url(given: str | None) -> str:
    """``--store`` as given, else $SCRIPTFLOW_STORE, else the SQLite file in this folder."""
    import os

    return given or os.environ.get("SCRIPTFLOW_STORE") or default_store_hint()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the ``run`` command; returns the exit status."""
    out: TextIO = sys.stderr if args.json else sys.stdout
    store: Store | None = None
    session: Session | None = None
    try:
        if args.resume and args.script:
            raise RunError("give SCRIPT or --resume ID, not both", EXIT_USAGE)
        if not args.resume and not args.script:
            raise RunError("which script? give SCRIPT (or --resume ID)", EXIT_USAGE)
        if args.store or args.resume or args.customer:
            store = open_store_or_fail(store_url(args.store))
        answers = _Answers(args.answers) if args.answers else None
        session, shown = _resume(args, store, out) if args.resume else (_start(args, store), 0)
        save = None
        if store is not None:
            save = _saver(store, out)
            if not args.resume:
                save(session)
                out.write(f"session {session.id} is saved in {store.url} (continue it "
                          f"with: scriptflow run --resume {session.id})\n")
        status = _play(session, answers, out, save, shown)
    except RunError as exc:
        sys.stderr.write(f"scriptflow: {exc}\n")
        if session is not None and session.version:
            sys.stderr.write(f"scriptflow: the session is saved as it was after the last "
                             f"step: scriptflow run --resume {session.id}\n")
        return exc.status
    finally:
        if store is not None:
            store.close()
    if args.json:
        import json

        sys.stdout.write(json.dumps(session.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return status


def open_store_or_fail(url: str, *, create: bool = True, missing: str = "") -> Store:
    """The store at ``url``, or RunError: a usage error for a URL that cannot be used or,
    with ``create=False``, for no store there (its message after ``missing``)."""
    from ..errors import StoreError
    from ..stores import NoStoreError, open_store

    try:
        return open_store(url, create=create)
    except (ValueError, ImportError) as exc:
        raise RunError(f"--store: {exc}", EXIT_USAGE) from None
    except NoStoreError as exc:
        raise RunError(f"{missing}{exc}", EXIT_USAGE) from None
    except StoreError as exc:
        raise RunError(str(exc)) from None


def _saver(store: Store, out: TextIO) -> Callable[[Session], None]:
    """Save after a step; a conflict or a store failure stops the run, losing nothing
    that was saved before."""
    from ..errors import ConflictError, StoreError

    def save(session: Session) -> None:
        try:
            store.save(session)
        except ConflictError as exc:
            raise RunError(f"{exc} (scriptflow run --resume {session.id})") from None
        except StoreError as exc:
            raise RunError(f"not saved: {exc}") from None

    return save


def load_library_or_fail(args: argparse.Namespace) -> Library:
    from ..errors import LibraryError
    from ..library import load_library

    try:
        return load_library(args.library)
    except FileNotFoundError as exc:
        raise RunError(f"no library at {args.library}: {exc}", EXIT_USAGE) from None
    except LibraryError as exc:
        raise RunError(str(exc)) from None


def _resume(args: argparse.Namespace, store: Store | None,
            out: TextIO) -> tuple[Session, int]:
    """The stored session, and how many of its events were shown before (all)."""
    from ..errors import SessionError, StoreError
    from ..stores import SessionNotFoundError

    assert store is not None
    library = load_library_or_fail(args)
    try:
        session = store.load(library, args.resume)
    except SessionNotFoundError as exc:
        raise RunError(f"--resume: {exc}", EXIT_USAGE) from None
    except (SessionError, StoreError) as exc:  # changed scripts, corrupt data, store down
        raise RunError(str(exc)) from None
    if args.customer:
        raise RunError("--customer goes with a new session; a resumed one keeps the "
                       "customer it was saved with", EXIT_USAGE)
    done = session.outcome
    where = f"finished: {done.result}" + (f" ({done.code})" if done.code else "") \
        if done is not None else "in progress"
    out.write(f"resumed session {session.id} (version {session.version}) at "
              f"{session.script}:{session.node}, {where}\n")
    for event in session.events:
        if event.type == "resumed":  # the library changed compatibly: say how
            out.write(f"resumed: {event.detail}\n")
    return session, len(session.events)


def _start(args: argparse.Namespace, store: Store | None) -> Session:
    from ..errors import AnswerError, SessionError, StoreError
    from .main import library_missing

    library = load_library_or_fail(args)
    if args.script not in library:
        raise RunError(library_missing(library, args.script), EXIT_USAGE)
    facts: dict[str, str] = {}
    for item in args.fact:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RunError(f"--fact {item!r}: expected KEY=VALUE", EXIT_USAGE)
        facts[key.strip()] = value
    try:
        if store is not None and args.customer:
            return store.start(library, args.script, facts, customer=args.customer,
                               actor=args.actor)
        return library.start(args.script, facts, actor=args.actor)
    except AnswerError as exc:
        raise RunError(f"--fact: {exc}", EXIT_USAGE) from None
    except (SessionError, StoreError) as exc:
        raise RunError(str(exc)) from None


class _Answers:
    """Answers from a YAML file: ``fact: answer`` or ``fact: [answer, answer, …]``."""

    def __init__(self, path: str) -> None:
        from ..format.yamlload import load_text

        self.path = path
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise RunError(f"cannot read {path}: {exc.strerror}", EXIT_USAGE) from None
        doc = load_text(text, path)  # YAML 1.2 core, no object-building tags
        if doc.problems:
            raise RunError(doc.problems[0].format(), EXIT_USAGE)
        if not isinstance(doc.data, dict):
            raise RunError(f"{path}: expected a mapping of fact: answer", EXIT_USAGE)
        self.answers: dict[str, Any] = doc.data
        self.used: dict[str, int] = {}

    def peek(self, prompt: Prompt) -> Any:
        """The next answer for the prompt's fact (RunError when the file has none)."""
        if prompt.fact not in self.answers:
            raise RunError(f"the script asks {prompt.fact!r} at {prompt.script}:{prompt.node} "
                           f"but {self.path} has no answer for it")
        given = self.answers[prompt.fact]
        if not isinstance(given, list):
            return given
        count = self.used.get(prompt.fact, 0)
        if count >= len(given):
            raise RunError(f"the script asks {prompt.fact!r} a time more ({count + 1}) "
                           f"than the {len(given)} answer(s) {self.path} gives")
        return given[count]

    def take(self, prompt: Prompt) -> Any:
        value = self.peek(prompt)
        self.used[prompt.fact] = self.used.get(prompt.fact, 0) + 1
        return value

    def reply(self, session: Session, prompt: Prompt) -> Any:
        """What to answer: the file's value, or yes/no to a confirm prompt (yes when the
        file's next value is the one already known)."""
        if prompt.kind != "confirm":
            return self.take(prompt)
        from ..engine.answers import check
        from ..engine.flow import fact_decl
        from ..errors import AnswerError

        decl = fact_decl(session.library, prompt.script, prompt.fact)
        entry = session.tracker.get(prompt.fact)
        try:
            same = decl is not None and entry is not None and \
                check(decl, self.peek(prompt)) == entry.value
        except AnswerError:
            same = False
        if same:
            self.take(prompt)
            return "yes"
        return "no"


def _show_prompt(prompt: Prompt, out: TextIO) -> None:
    kind = {"action": "action: ", "confirm": "confirm: "}.get(prompt.kind, "")
    out.write(f"\n[{prompt.script}:{prompt.node}] {kind}{prompt.text}\n")
    for number, option in enumerate(prompt.options, 1):
        out.write(f"  {number}) {option}\n")
    if not prompt.options and prompt.allowed:
        out.write(f"  ({prompt.allowed})\n")


def _choose(prompt: Prompt, line: str) -> Any:
    """An option by number or value; anything else is passed on as typed."""
    if line in prompt.options:
        return line
    if line.isdigit() and prompt.options and 1 <= int(line) <= len(prompt.options):
        return prompt.options[int(line) - 1]
    return line


def _show_facts(session: Session, out: TextIO) -> None:
    from ..engine.answers import shown
    from ..engine.flow import fact_decl
    from ..engine.summary import ago, label_of

    now = session.clock.now()
    if not len(session.tracker):
        out.write("no facts known yet\n")
    for key, entry in session.tracker.items():
        decl = fact_decl(session.library, entry.script or session.script, key)
        where = f" in {entry.script}:{entry.node}" if entry.script else ""
        stale = "" if entry.fresh(now) else " (stale)"
        out.write(f"  {label_of(session.library, entry.script, key)}: "
                  f"{shown(decl, entry.value)} — {entry.source}{where}, "
                  f"{ago(now - entry.learned_at)}{stale}\n")


def _play(session: Session, answers: _Answers | None, out: TextIO,
          save: Callable[[Session], None] | None = None, printed: int = 0) -> int:
    """Show prompts and take answers until the session ends; returns the exit status.

    ``save`` is called after every change (answer, back, note); events before
    ``printed`` were shown already (a resumed session)."""
    from ..engine.summary import describe
    from ..errors import AnswerError, SessionError

    lib = session.library
    script = lib.scripts[session.script]
    out.write(f"{script.title or script.id} ({script.id})"
              + ("" if answers else f" — {HELP}") + "\n")
    echo = answers is None and not sys.stdin.isatty()  # piped input: show what was read
    last: Prompt | None = None
    while True:
        now = session.clock.now()
        for event in session.events[printed:]:
            line = describe(event, lib, now)
            if line is not None and event.type not in ("answered", "note"):
                out.write(line + "\n")
        printed = len(session.events)
        prompt = session.prompt
        if prompt is None:
            return EXIT_OK
        if prompt is not last:  # a command (facts, note…) leaves the prompt as it was
            _show_prompt(prompt, out)
            last = prompt
        if answers is not None:
            value = answers.reply(session, prompt)
            out.write(f"> {value}\n")
        else:
            out.write("> ")
            out.flush()
            raw = sys.stdin.readline()
            if not raw:
                out.write("\n")
                raise RunError(f"input ended before the session finished (at "
                               f"{prompt.script}:{prompt.node})")
            line = raw.strip()
            if echo:
                out.write(line + "\n")
            word, _, rest = line.partition(" ")
            if word == "quit":
                out.write(f"quit: the session is left at {prompt.script}:{prompt.node}\n")
                if save is not None:
                    out.write(f"(continue it with: scriptflow run --resume {session.id})\n")
                return EXIT_OK
            if word in ("help", "?"):
                out.write(HELP + "\n")
                continue
            if word == "facts":
                _show_facts(session, out)
                continue
            if word == "summary":
                out.write(session.summary())
                continue
            if word == "note":
                if rest.strip():
                    session.note(rest, actor="agent")
                    if save is not None:
                        save(session)
                    out.write("noted\n")
                else:
                    out.write("note what? (note TEXT)\n")
                continue
            if word == "back":
                try:
                    session.back()
                except SessionError as exc:
                    out.write(f"{exc}\n")
                    continue
                if save is not None:
                    save(session)
                continue
            value = line[1:] if line.startswith("=") else _choose(prompt, line)
        try:
            session.answer(value)
        except AnswerError as exc:
            if answers is not None:
                raise RunError(f"{answers.path}: {exc}") from None
            out.write(f"not accepted: {exc}\n")
        except SessionError as exc:
            if answers is not None:
                raise RunError(str(exc)) from None
            out.write(f"error: {exc}\n(nothing changed: answer differently, or back)\n")
        else:
            if save is not None:
                save(session)
