"""The docs site builds with ``--strict`` and every example on its pages runs as shown.

Each page in ``docs/`` runs in a fresh folder holding copies of ``scripts/`` and
``docs/examples/``, its blocks in page order:

- a block after a line ``File: `path``` is written to that path (any language), so a
  page can create the script or scenario file that its later commands use;
- ```` ```console ```` blocks: each ``$ command`` runs in bash (``scriptflow`` is this
  checkout's) and must print exactly the lines that follow it, as in tests/test_readme.py;
- ```` ```python ```` blocks run in one namespace per page, ```` ```pycon ```` blocks are
  doctests in that same namespace;
- a block after the line ``<!-- docs: not run -->`` is not run; ``bash``/``sh`` blocks
  must carry it (write ``console`` with the output instead).

The CLI reference (docs/cli.md below its marker) is generated from the argparse parser;
``python -m tests.test_docs_site`` rewrites it after a command or option changes.
"""

from __future__ import annotations

import argparse
import doctest
import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from scriptflow.codes import CODES

from .conftest import ROOT
from .test_docs import fences

DOCS = ROOT / "docs"
NOT_RUN = "<!-- docs: not run -->"
FILE_LINE = re.compile(r"File:\s*`([^`]+)`")
RUN_LANGS = {"console", "python", "pycon"}
SHELL_LANGS = {"bash", "sh", "shell", "zsh"}
# The lead's page: its commands are benchmarks that take minutes and install tools.
NOT_RUN_PAGES = {"performance.md"}
CLI_MARKER = ("<!-- Generated from scriptflow's argparse parser by `python -m "
              "tests.test_docs_site`: edit the parser, not this. -->")
USAGE_WIDTH = 88


@dataclass
class Block:
    lang: str
    text: str
    line: int
    file: str | None  # the path it is written to, for a `File:` block
    run: bool


def page_blocks(page: Path) -> list[Block]:
    blocks = []
    for fence in fences(page.read_text("utf-8").splitlines()):
        last = fence.before[-1] if fence.before else ""
        named = FILE_LINE.fullmatch(last)
        blocks.append(Block(fence.lang, fence.text, fence.line,
                            named.group(1) if named else None, last != NOT_RUN))
    return blocks


PAGES = sorted(p for p in DOCS.rglob("*.md")
               if p.relative_to(DOCS).as_posix() not in NOT_RUN_PAGES)
RUNNABLE = [p for p in PAGES
            if any(b.lang in RUN_LANGS | SHELL_LANGS or b.file for b in page_blocks(p))]


def page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


# --- running a page's examples ------------------------------------------------------------

@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder like the repository root as a reader has it: the bundled scripts and
    example files, and `scriptflow` on PATH."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "scripts", work / "scripts")
    shutil.copytree(ROOT / "docs" / "examples", work / "docs" / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # As in a reader's activated venv: `scriptflow` and `python3` are this checkout's.
    for name, run in (("scriptflow", " -m scriptflow"), ("python3", ""), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}"{run} "$@"\n', "utf-8")
        shim.chmod(0o755)
    return work


def run_console(block: Block, where: str, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{cwd.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    chunks = re.split(r"^\$ ", block.text, flags=re.M)
    assert not chunks[0].strip(), f"{where}: a console block starts with `$ command`"
    for chunk in chunks[1:]:
        command, *expected = chunk.rstrip("\n").split("\n")
        result = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True,
                                text=True, timeout=60, env=env)
        # Trailing spaces are invisible on the page (and editors strip them): not compared.
        shown = [line.rstrip() for line in result.stdout.rstrip("\n").split("\n")
                 if result.stdout.strip()]
        assert shown == [line.rstrip() for line in expected], \
            f"{where}: `{command}` printed other output\n{result.stderr}"


def run_python(block: Block, where: str, namespace: dict[str, object]) -> None:
    # Padding with newlines makes a traceback name the page's own line numbers.
    code = compile("\n" * block.line + block.text, where.rsplit(":", 1)[0], "exec")
    exec(code, namespace)


def run_pycon(block: Block, where: str, namespace: dict[str, object]) -> None:
    test = doctest.DocTestParser().get_doctest(block.text, namespace, where,
                                               where.rsplit(":", 1)[0], block.line)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # a DocTest runs in a copy: later blocks see its names
    assert test.examples, f"{where}: a pycon block without `>>>` examples"
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_examples_run_as_shown(page: Path, workdir: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.syspath_prepend(str(workdir))  # a page may write a module and import it
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        ran = _run_blocks(page, workdir, namespace)
    finally:  # modules a page wrote must not leak into the next page's imports
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", "") or "").startswith(str(workdir)):
                del sys.modules[name]
    assert ran or any(b.file for b in page_blocks(page))


def _run_blocks(page: Path, workdir: Path, namespace: dict[str, object]) -> int:
    ran = 0
    for block in page_blocks(page):
        where = f"docs/{page_id(page)}:{block.line}"
        if block.file:
            target = workdir / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, "utf-8")
            continue
        if block.lang in SHELL_LANGS:
            assert not block.run, (f"{where}: a {block.lang} block is not run; write it as "
                                   f"console with its output, or put {NOT_RUN} before it")
            continue
        if not block.run or block.lang not in RUN_LANGS:
            continue
        if block.lang == "console":
            run_console(block, where, workdir)
        elif block.lang == "python":
            run_python(block, where, namespace)
        else:
            run_pycon(block, where, namespace)
        ran += 1
    return ran


def test_the_runner_finds_the_examples() -> None:
    """Guard against a parsing slip that would quietly run nothing."""
    langs = {b.lang for p in RUNNABLE for b in page_blocks(p) if b.run and not b.file}
    assert {"console", "python", "pycon"} <= langs
    assert {page_id(p) for p in RUNNABLE} >= {"index.md", "authoring.md", "testing.md",
                                              "sessions.md", "integrating.md", "cli.md"}
    skipped = [b for p in PAGES for b in page_blocks(p) if not b.run]
    assert len(skipped) <= 5, "mark blocks that must not run sparingly"


# --- the site ---------------------------------------------------------------------------

def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                             "--config-file", str(ROOT / "mkdocs.yml"),
                             "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for code in CODES:
        assert (site / "rules" / code / "index.html").is_file()
    api = (site / "api" / "index.html").read_text("utf-8")
    # The API reference really comes from the docstrings, with Sphinx roles dropped.
    assert "Undo the last answer" in api
    assert "A clock that only moves when told to" in api
    assert ":class:" not in api and ":meth:" not in api and "<code>~" not in api
    cli = (site / "cli" / "index.html").read_text("utf-8")
    for command in subcommands(build_parser()):
        assert f'id="{_anchor(command)}"' in cli


def test_nav_lists_every_rule_under_its_name() -> None:
    import yaml

    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))["nav"]
    [rules] = [entry["Lint rules"] for entry in nav if "Lint rules" in entry]
    listed = {page: title for entry in rules for title, page in entry.items()}
    assert listed.pop("rules/index.md") == "Overview"
    assert listed == {f"rules/{code}.md": f"{code} {info.name}" for code, info in CODES.items()}


# --- the CLI reference ------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from scriptflow.cli.main import build_parser as build

    return build()


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0] if found else None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every command under ``parser``, nested ones as ``"sessions list"``, in order."""
    action = _subparsers(parser)
    found: dict[str, argparse.ArgumentParser] = {}
    for name, sub in (action.choices if action else {}).items():
        found[name] = sub
        found.update({f"{name} {inner}": p for inner, p in subcommands(sub).items()})
    return found


def _helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    """The one-line help of each command, by the same names as :func:`subcommands`."""
    action = _subparsers(parser)
    if action is None:
        return {}
    helps = {a.dest: a.help or "" for a in action._choices_actions}
    for name, sub in action.choices.items():
        helps.update({f"{name} {inner}": text for inner, text in _helps(sub).items()})
    return helps


def _argument(action: argparse.Action) -> str:
    name = str(action.metavar or (
        "{" + ",".join(map(str, action.choices)) + "}" if action.choices and
        action.option_strings else action.dest if not action.option_strings
        else action.dest.upper()))
    value = {"?": f"[{name}]", "+": f"{name} …", "*": f"[{name} …]"}.get(
        str(action.nargs), name)
    if not action.option_strings:
        return f"`{value}`"
    value = "" if action.nargs == 0 else " " + value
    return ", ".join(f"`{option}{value}`" for option in action.option_strings)


def _what(action: argparse.Action) -> str:
    parts = [action.help or ""] if action.help != argparse.SUPPRESS else []
    if action.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in action.choices))
    said = (action.help or "").lower()
    if isinstance(action, argparse._AppendAction) and "repeat" not in said:
        parts.append("repeatable")
    if action.default not in (None, False, [], argparse.SUPPRESS) and action.option_strings \
            and "default" not in said:
        parts.append(f"default `{action.default}`")
    return _markdown("; ".join(p for p in parts if p))


def _markdown(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


def _anchor(name: str) -> str:
    return "scriptflow-" + name.replace(" ", "-")


def render_cli_reference() -> str:
    """The generated part of docs/cli.md."""
    parser = build_parser()
    commands, helps = subcommands(parser), _helps(parser)
    out = [CLI_MARKER, "", "## Commands", "", "| command | what it does |", "|---|---|"]
    out += [f"| [`scriptflow {name}`](#{_anchor(name)}) | {_markdown(helps.get(name, ''))} |"
            for name in commands]
    out += ["", "`scriptflow --version` prints the version; `scriptflow COMMAND --help` the "
            "options of one command."]
    for name, sub in commands.items():
        sub.formatter_class = functools.partial(argparse.HelpFormatter, width=USAGE_WIDTH)
        about = (sub.description or helps.get(name) or "").strip()
        level = "##" if " " not in name else "###"
        out += ["", f"{level} scriptflow {name}", "", _markdown(about[:1].upper() + about[1:]),
                "", "```text", sub.format_usage().strip(), "```", ""]
        rows = [a for a in sub._actions if not isinstance(a, argparse._HelpAction)]
        if rows:
            out += ["| argument | what it is |", "|---|---|"]
            out += [f"| {_argument(a)} | {_what(a)} |" for a in rows]
    return "\n".join(out) + "\n"


def _cli_page_parts() -> tuple[str, str]:
    text = (DOCS / "cli.md").read_text("utf-8")
    assert CLI_MARKER in text, "docs/cli.md lost its generated-reference marker"
    head, _, tail = text.partition(CLI_MARKER)
    return head, CLI_MARKER + tail


def test_cli_reference_matches_the_parser() -> None:
    _head, generated = _cli_page_parts()
    assert generated == render_cli_reference(), (
        "docs/cli.md is out of date with the CLI: run `python -m tests.test_docs_site`")


def test_cli_reference_names_every_option() -> None:
    _head, generated = _cli_page_parts()
    for name, sub in subcommands(build_parser()).items():
        heading = f"# scriptflow {name}\n"
        assert heading in generated, f"`scriptflow {name}` has no section in docs/cli.md"
        section = re.split(r"\n#+ ", generated.split(heading, 1)[1], maxsplit=1)[0]
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in section, f"{option} of {name} is not documented"


if __name__ == "__main__":  # regenerate the CLI reference
    head = (DOCS / "cli.md").read_text("utf-8").partition(CLI_MARKER)[0]
    (DOCS / "cli.md").write_text(head + render_cli_reference(), "utf-8")
    print("wrote docs/cli.md")
