"""The docs are executable: every rule page's examples lint exactly as the page says, and
every complete script in the format reference lints clean.

A rule page (docs/rules/SFnnn.md) has the sections Bad, Message, Good and Configuration.
Under Bad and Good, each ```yaml block is one file; a line `File: name.yaml` before a block
names it (multi-file pages), and a line `Config: max-questions = N` under Bad sets the
limit used for both examples. The Message block holds the lint lines for the Bad files,
`LINE:COL: severity CODE message`, prefixed with `name.yaml:` on multi-file pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scriptflow.checks.context import LintConfig
from scriptflow.checks.runner import lint_documents
from scriptflow.codes import CODES
from scriptflow.format.yamlload import load_text
from scriptflow.problems import Problem

from .conftest import ROOT

DOCS = ROOT / "docs"
RULES = DOCS / "rules"
PAGES = sorted(RULES.glob("SF*.md"))
SECTIONS = ["Bad", "Message", "Good", "Configuration"]
WARNINGS_OK = "<!-- lint: warnings ok -->"

File = tuple[str | None, str]  # (file name or None, text)


@dataclass
class Fence:
    lang: str
    text: str
    line: int  # line number of the opening ``` (from 1)
    before: list[str]  # the non-blank lines between the previous fence and this one


@dataclass
class RulePage:
    title: str
    severity: str
    sections: list[str] = field(default_factory=list)
    bad: list[File] = field(default_factory=list)
    good: list[File] = field(default_factory=list)
    message: list[str] = field(default_factory=list)
    max_questions: int | None = None


def fences(lines: list[str]) -> list[Fence]:
    """Every fenced block in ``lines``, with the plain lines that precede it."""
    found: list[Fence] = []
    before: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            start, body = i, []
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"unclosed code block at line {start + 1}"
            text = "\n".join(body) + "\n" if body else ""
            found.append(Fence(line[3:].strip(), text, start + 1, before))
            before = []
        elif line.strip():
            before.append(line.strip())
        i += 1
    return found


def split_sections(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """The page's preamble lines, and the lines under each `## Heading`."""
    preamble: list[str] = []
    sections: dict[str, list[str]] = {}
    current = preamble
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            heading = line[3:].strip()
            assert heading not in sections, f"section {heading!r} appears twice"
            current = sections[heading] = []
            continue
        current.append(line)
    return preamble, sections


def files_of(section: list[str]) -> tuple[list[File], int | None]:
    files: list[File] = []
    max_questions: int | None = None
    for fence in fences(section):
        assert fence.lang == "yaml", f"only yaml blocks belong here, not {fence.lang!r}"
        name: str | None = None
        for line in fence.before:
            if line.startswith("File:"):
                name = line.removeprefix("File:").strip()
            elif line.startswith("Config:"):
                match = re.fullmatch(r"Config:\s*max-questions\s*=\s*(\d+)", line)
                assert match, f"unsupported Config line: {line!r}"
                max_questions = int(match.group(1))
        files.append((name, fence.text))
    return files, max_questions


def parse_page(path: Path) -> RulePage:
    preamble, sections = split_sections(path.read_text(encoding="utf-8"))
    title = next(line for line in preamble if line.strip())
    severity = re.search(r"^\*\*Default severity:\*\* (\w+)\s*$", "\n".join(preamble), re.M)
    page = RulePage(title=title, severity=severity.group(1) if severity else "",
                    sections=list(sections))
    page.bad, page.max_questions = files_of(sections.get("Bad", []))
    page.good, good_config = files_of(sections.get("Good", []))
    assert good_config is None, "put the Config line under Bad; it applies to both examples"
    messages = [f for f in fences(sections.get("Message", [])) if f.lang == "text"]
    assert len(messages) == 1, "the Message section holds one ```text block"
    page.message = messages[0].text.splitlines()
    return page


def lint_files(files: list[File], folder: Path, max_questions: int | None
               ) -> list[Problem]:
    """Write the files into ``folder`` and lint them together, as `scriptflow lint` would
    (files in path order); problems carry the bare file names as paths."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [name or "example.yaml" for name, _text in files]
    assert len(set(names)) == len(names), "file names on a page must differ"
    for name, (_n, text) in zip(names, files, strict=True):
        (folder / name).write_text(text, encoding="utf-8")
    docs = [load_text((folder / name).read_text(encoding="utf-8"), name)
            for name in sorted(names)]
    config = LintConfig() if max_questions is None else LintConfig(max_questions=max_questions)
    report, _ctx = lint_documents(docs, config)
    return report.problems


def shown(problem: Problem, *, with_path: bool) -> str:
    line = f"{problem.line}:{problem.column}: {problem.severity} {problem.code} {problem.message}"
    return f"{problem.path}:{line}" if with_path else line


def page_id(path: Path) -> str:
    return path.stem


# --- coverage ---------------------------------------------------------------------------

def test_every_code_has_a_page_and_nothing_else_does() -> None:
    assert {p.stem for p in PAGES} == set(CODES)


def test_the_index_lists_every_code_with_its_name_and_severity() -> None:
    index = (RULES / "index.md").read_text(encoding="utf-8")
    rows = {}
    for line in index.splitlines():
        match = re.match(r"\|\s*\[(SF\d{3})\]\((SF\d{3})\.md\)\s*\|\s*([\w-]+)\s*\|\s*(\w+)\s*\|",
                         line)
        if match:
            code, target, name, severity = match.groups()
            assert code == target, f"{code} links to {target}.md"
            rows[code] = (name, severity)
    assert rows == {code: (info.name, info.severity) for code, info in CODES.items()}


# --- rule pages -------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_rule_page_has_the_expected_structure(path: Path) -> None:
    code = path.stem
    page = parse_page(path)
    assert page.title == f"# {code} {CODES[code].name}"
    assert page.severity == CODES[code].severity
    assert page.sections == SECTIONS
    assert page.bad, "no Bad example"
    assert page.good, "no Good example"
    for files in (page.bad, page.good):
        named = [name is not None for name, _text in files]
        assert all(named) or named == [False], \
            "one unnamed file, or a `File:` line before every block"


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_bad_example_gives_exactly_the_documented_message(path: Path, tmp_path: Path
                                                          ) -> None:
    code = path.stem
    page = parse_page(path)
    multi = page.bad[0][0] is not None
    problems = lint_files(page.bad, tmp_path / "bad", page.max_questions)
    assert [shown(p, with_path=multi) for p in problems] == page.message
    assert code in {p.code for p in problems}
    # The example shows this rule and nothing else, so the page teaches one thing.
    assert {p.code for p in problems} == {code}


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_good_example_has_no_problems_at_all(path: Path, tmp_path: Path) -> None:
    page = parse_page(path)
    problems = lint_files(page.good, tmp_path / "good", page.max_questions)
    assert [shown(p, with_path=True) for p in problems] == []


# --- the format reference ---------------------------------------------------------------

def format_scripts() -> list[tuple[Fence, bool]]:
    """Complete scripts in format.md: yaml blocks whose first line that is not blank or a
    comment is `scriptflow: 1` (a trailing comment allowed); with whether warnings are
    allowed for the block."""
    lines = (DOCS / "format.md").read_text(encoding="utf-8").splitlines()
    found = []
    for fence in fences(lines):
        if fence.lang != "yaml":
            continue
        body = [ln for ln in fence.text.splitlines() if ln.strip() and not ln.startswith("#")]
        if body and re.fullmatch(r"scriptflow:\s*1\s*(#.*)?", body[0].strip()):
            found.append((fence, bool(fence.before) and fence.before[-1] == WARNINGS_OK))
    return found


def test_format_reference_has_complete_scripts() -> None:
    assert len(format_scripts()) >= 4


def test_every_script_in_the_format_reference_lints_clean(tmp_path: Path) -> None:
    # The page's scripts form one small library: handoffs and calls between them resolve,
    # ids must be unique and shared facts must agree, as in a real library.
    scripts = format_scripts()
    files: list[File] = [(f"format-md-line-{fence.line:04d}.yaml", fence.text)
                         for fence, _ok in scripts]
    problems = lint_files(files, tmp_path, None)
    allowed = {name for (name, _t), (_f, ok) in zip(files, scripts, strict=True) if ok}
    unexpected = [shown(p, with_path=True) for p in problems
                  if p.severity == "error" or p.path not in allowed]
    assert unexpected == []
