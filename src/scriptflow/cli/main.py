"""``scriptflow`` command line: a thin layer over the library's pipeline.

Exit status: 0 success, 1 problems found (lint errors, failed tests), 2 usage error or
unreadable path.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..library import Library

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Say what went wrong on stderr; returns the exit status ``code``."""
    sys.stderr.write(f"scriptflow: {message}\n")
    return code


class CommandFailed(Exception):
    """Ends a command: :func:`main` prints the message and exits with ``status``."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def open_library(paths: Sequence[str], script: str | None = None) -> Library:
    """``load_library`` for a command, and the ``script`` it needs checked to be there.

    A missing path or an unknown script is a usage error (exit 2); a library with
    errors exits 1. Raises :class:`CommandFailed` saying which.
    """
    from ..errors import LibraryError
    from ..library import load_library

    try:
        library = load_library(*paths)
    except FileNotFoundError as exc:
        raise CommandFailed(str(exc)) from None
    except OSError as exc:  # a folder that cannot be listed, a file that cannot be read
        message = str(exc) if exc.filename is None else f"cannot read {exc.filename}: " \
            f"{exc.strerror}"
        raise CommandFailed(message) from None
    except LibraryError as exc:
        raise CommandFailed(str(exc), EXIT_PROBLEMS) from None
    if script is not None and script not in library:
        raise CommandFailed(library_missing(library, script))
    return library


def cmd_lint(args: argparse.Namespace) -> int:
    from ..cache import open_cache
    from ..checks.config import ConfigError, load_config, load_config_file
    from ..checks.runner import lint_files
    from ..format.reader import MissingPathError, UnreadableFolderError, find_script_files
    from .reporters import REPORTERS

    try:
        files = find_script_files(args.paths)
        if args.config:
            config = load_config_file(args.config)
        else:
            start = os.path.commonpath([os.path.abspath(p) for p in args.paths])
            config, _source = load_config(start)
        if args.max_questions is not None:
            config.max_questions = args.max_questions
        cache = open_cache(not args.no_cache, args.cache_dir)
        report, ctx = lint_files(files, config, cache=cache, jobs=args.jobs,
                                 need_scripts=False)
        if cache is not None:
            cache.prune()  # at most daily: entries unused for 30 days
    except (MissingPathError, UnreadableFolderError, ConfigError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror}")
    REPORTERS[args.format](report, ctx.documents, sys.stdout)
    if report.errors or (args.strict and report.problems):
        return EXIT_PROBLEMS
    return EXIT_OK


def positive_int(text: str) -> int:
    """argparse type for a count of at least 1; anything else is a usage error (exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give one of at "
                                         "least 1, e.g. 15") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1; give a whole number of at "
                                         "least 1, e.g. 15") from None
    return value


def cmd_schema(args: argparse.Namespace) -> int:
    from ..format.schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


def cmd_rule(args: argparse.Namespace) -> int:
    from ..codes import CODES, NAMES

    if args.code is None:
        for row in CODES.values():
            sys.stdout.write(f"{row.code}  {row.name:<22} {row.severity:<8} {row.summary}\n")
        return EXIT_OK
    code = NAMES.get(args.code, args.code.upper())
    if code not in CODES:
        return fail(f"no rule {args.code!r}; `scriptflow rule` lists them all")
    info = CODES[code]
    sys.stdout.write(f"{info.code} {info.name} (default: {info.severity})\n\n"
                     f"{info.summary[0].upper()}{info.summary[1:]}.\n\n{info.explanation}\n\n"
                     f"Silence it for one node with a comment on the node's line:\n"
                     f"    # scriptflow: ignore[{info.code}]\n")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from .draw import DRAWERS

    library = open_library(args.paths, args.script)
    chosen = [args.script] if args.script else sorted(library)
    scripts = [library[s] for s in chosen]
    from .pictures import PictureError, render_graph

    try:
        text = render_graph(args, library, scripts, DRAWERS)
    except PictureError as exc:
        return fail(str(exc), exc.code)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def library_missing(library: object, script_id: str) -> str:
    from ..errors import ScriptNotFoundError
    from ..format.schema import did_you_mean

    return str(ScriptNotFoundError(script_id, hint=did_you_mean(script_id, library)))


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``modules`` limits which COMMAND_MODULES are registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="scriptflow",
        description="Guided troubleshooting scripts: lint them, run them, report on them.")
    parser.add_argument("--version", action="version", version=f"scriptflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    lint = sub.add_parser("lint", help="check scripts for every problem at once")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="script files or folders")
    lint.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    lint.add_argument("--strict", action="store_true", help="fail on warnings too")
    lint.add_argument("--config", metavar="PYPROJECT",
                      help="read [tool.scriptflow.lint] from this file instead of the "
                           "nearest pyproject.toml")
    lint.add_argument("--max-questions", type=positive_int, metavar="N",
                      help="override max-questions for SF501")
    lint.add_argument("--no-cache", action="store_true",
                      help="parse every file again and write no cache "
                           "(also SCRIPTFLOW_NO_CACHE=1)")
    lint.add_argument("--cache-dir", metavar="DIR",
                      help="keep the cache here (default: $SCRIPTFLOW_CACHE_DIR or "
                           ".scriptflow-cache in the current folder)")
    lint.add_argument("--jobs", type=int, metavar="N",
                      help="parse with N worker processes when there are enough files "
                           "(default: one per idle core; 1: no workers)")
    lint.set_defaults(func=cmd_lint)

    schema = sub.add_parser("schema", help="print the JSON Schema of a script file")
    schema.set_defaults(func=cmd_schema)

    rule = sub.add_parser("rule", help="explain a lint rule (or list them all)")
    rule.add_argument("code", nargs="?", help="SF301 or unreachable-node")
    rule.set_defaults(func=cmd_rule)

    graph = sub.add_parser("graph", help="draw scripts as Mermaid, Graphviz DOT or SVG")
    graph.add_argument("paths", nargs="+", metavar="PATH")
    graph.add_argument("--script", metavar="ID", help="draw only this script")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid",
                       help="svg runs Graphviz's dot")
    graph.add_argument("-o", "--output", metavar="FILE")
    from .pictures import add_arguments as add_picture_arguments

    add_picture_arguments(graph)
    graph.set_defaults(func=cmd_graph)

    from importlib import import_module

    for module_name in COMMAND_MODULES if modules is None else modules:
        # Each module adds its subcommands; modules import their heavy parts lazily.
        import_module(f".{module_name}", __package__).register(sub)
    return parser


# Commands of the higher layers (engine, stores, reports), each in its own module.
COMMAND_MODULES: tuple[str, ...] = ("run_cmd", "test_cmd", "report_cmd", "paths_cmd",
                                     "simulate_cmd", "sessions_cmd")


BUILTIN_COMMANDS = ("lint", "schema", "rule", "graph")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # A built-in command needs none of the other commands' modules: `scriptflow lint`
    # (run by pre-commit on every commit) must not pay for importing them.
    builtin = bool(argv) and argv[0] in BUILTIN_COMMANDS
    parser = build_parser(modules=() if builtin else None)
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except CommandFailed as exc:
        return fail(str(exc), exc.status)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
