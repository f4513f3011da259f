"""``scriptflow graph`` beyond plain drawings: coverage and traffic overlays, and SVG
through Graphviz's ``dot``."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..format.model import Script
    from ..library import Library
    from .overlay import Overlay

DOT_MISSING = (
    "--format svg needs Graphviz's `dot` program, which is not on PATH. Install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; "
    "macOS: brew install graphviz; Windows: winget install graphviz), or write DOT with "
    "--format dot and render it elsewhere.")


class PictureError(Exception):
    """Why a picture cannot be drawn; ``code`` is the exit status (2 usage, 1 data)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--coverage", nargs="?", const="", metavar="FILE.json",
                       help="mark what no scenario reaches: runs the *.scenarios.yaml "
                            "beside the scripts, or reads `scriptflow test --format json` "
                            "output")
    group.add_argument("--traffic", metavar="STORE_URL",
                       help="label and thicken edges by how often recorded sessions took "
                            "them (e.g. sqlite:///sessions.db)")


def render_graph(args: argparse.Namespace, library: Library, scripts: list[Script],
                 drawers: dict[str, Any]) -> str:
    """The picture ``args`` ask for; raises :class:`PictureError`."""
    overlay = _overlay(args, library, scripts)
    if args.format != "svg":
        text: str = drawers[args.format](scripts, overlay)
        return text
    return to_svg(drawers["dot"](scripts, overlay))


def to_svg(dot_text: str) -> str:
    """SVG from DOT text by running Graphviz's ``dot``."""
    program = shutil.which("dot")
    if program is None:
        raise PictureError(DOT_MISSING)
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True,
                              text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PictureError(f"Graphviz `dot` failed to run: {exc}", 1) from None
    if done.returncode != 0:
        raise PictureError(f"Graphviz `dot` failed: {done.stderr.strip()}", 1)
    return done.stdout


def _overlay(args: argparse.Namespace, library: Library,
             scripts: list[Script]) -> Overlay | None:
    from .overlay import coverage_overlay, read_coverage_file

    if args.coverage is not None:
        try:
            if args.coverage:
                data = read_coverage_file(args.coverage)
            else:
                data = _run_scenarios(args.paths, library)
            return coverage_overlay(scripts, library.scripts, data)
        except OSError as exc:
            raise PictureError(f"cannot read {args.coverage}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise PictureError(f"--coverage {args.coverage}: {exc}") from None
    if args.traffic:
        return _traffic(args.traffic, library, scripts)
    return None


def _run_scenarios(paths: list[str], library: Library) -> dict[str, Any]:
    from ..testing.runner import find_scenario_files, run_files

    folders = [p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths]
    files = find_scenario_files(folders)
    if not files:
        raise PictureError(f"--coverage: no *.scenarios.yaml under {', '.join(folders)}; "
                           "write scenarios beside the scripts or give a coverage file "
                           "(scriptflow test PATH --format json > cov.json)")
    coverage: dict[str, Any] = run_files(library, files).coverage.to_dict()
    return coverage


def _traffic(url: str, library: Library, scripts: list[Script]) -> Overlay:
    from ..errors import StoreError
    from .overlay import traffic_from_events, traffic_overlay

    try:
        from ..stores import open_store, parse_url

        parsed = parse_url(url)
        if parsed.scheme == "sqlite" and not os.path.isfile(parsed.path):
            raise PictureError(f"--traffic {url}: no session store at {parsed.path}")
        with open_store(url) as store:
            traffic = traffic_from_events(library.scripts, store.events())
    except ImportError as exc:
        raise PictureError(str(exc)) from None
    except ValueError as exc:
        raise PictureError(f"--traffic {url}: {exc}") from None
    except StoreError as exc:
        raise PictureError(f"--traffic {url}: {exc}", 1) from None
    return traffic_overlay(scripts, library.scripts, traffic)
