"""The lint cache: same problems with and without it, hits, misses, corruption, concurrency."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import scriptflow
from scriptflow.cache import Cache
from scriptflow.checks import files as files_module
from scriptflow.checks.context import LintConfig
from scriptflow.checks.runner import lint_documents, lint_files
from scriptflow.format.reader import find_script_files
from scriptflow.format.yamlload import load_text
from scriptflow.problems import Problem

from .conftest import ROOT, WriteFiles, dedent, run_cli
from .test_lint_properties import valid_scripts

INTAKE = """\
    scriptflow: 1
    id: intake
    start: ask
    facts:
      colour:
        type: choice
        options: [red, green]
    nodes:
      ask:  # scriptflow: ignore[SF301]
        type: question
        prompt: "Colour? {colour}"
        fact: colour
        branches:
          red: printer
          green: done
      printer:
        type: handoff
        script: printer
      done:
        type: outcome
        result: resolved
      orphan:  # scriptflow: ignore[SF301]
        type: outcome
        result: resolved
"""

PRINTER = """\
    scriptflow: 1
    id: printer
    start: power
    facts:
      printer_on:
        type: boolean
      colour:
        type: choice
        options: [red, green]
    nodes:
      power:
        type: question
        prompt: Is the printer on?
        fact: printer_on
        branches:
          yes: done
          no: nowhere
      done:
        type: outcome
        result: resolved
      lonely:
        type: outcome
        result: resolved
"""


def reference(folder: Path, config: LintConfig | None = None) -> list[Problem]:
    """Problems found the plain way: every file parsed, no cache involved."""
    documents = [load_text(Path(p).read_text("utf-8"), p)
                 for p in find_script_files([folder])]
    report, _ctx = lint_documents(documents, config)
    return report.problems


def cached(folder: Path, cache_dir: Path, config: LintConfig | None = None, *,
           need_scripts: bool = False, jobs: int | None = 1) -> list[Problem]:
    report, _ctx = lint_files(find_script_files([folder]), config, cache=Cache(cache_dir),
                              jobs=jobs, need_scripts=need_scripts)
    return report.problems


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths parsed in this process (lint with ``jobs=1`` parses here)."""
    seen: list[str] = []
    original = files_module._parse_here

    def spy(job: tuple[str, bytes], keep_blob: bool) -> Any:
        seen.append(job[0])
        return original(job, keep_blob)

    monkeypatch.setattr(files_module, "_parse_here", spy)
    return seen


# --- the same problems with and without the cache ---------------------------------------

def _mutate(text: str, data: st.DataObject) -> str:
    """Break a valid file in one of the ways authors do."""
    lines = text.splitlines()
    where = data.draw(st.integers(0, len(lines) - 1))
    how = data.draw(st.sampled_from(["drop", "repeat", "unknown-key", "tab", "cut", "colon",
                                     "bracket", "id"]))
    if how == "drop":
        del lines[where]
    elif how == "repeat":
        lines.insert(where, lines[where])
    elif how == "unknown-key":
        indent = len(lines[where]) - len(lines[where].lstrip())
        lines.insert(where + 1, " " * indent + "promt: typo")
    elif how == "tab":
        lines[where] = "\t" + lines[where]
    elif how == "cut":
        return text[:data.draw(st.integers(0, len(text)))]
    elif how == "colon":
        lines[where] += ": x: y"
    elif how == "bracket":
        lines[where] += " ["
    else:
        lines = [line.replace("id: gen", "id: shared") for line in lines]
    return "\n".join(lines) + "\n"


@st.composite
def libraries(draw: st.DrawFn) -> dict[str, str]:
    """A few files: valid scripts, broken ones, duplicates and handoffs between them."""
    texts: dict[str, str] = {}
    for index in range(draw(st.integers(1, 4))):
        script = draw(valid_scripts())
        script["id"] = f"gen{index}"
        text = yaml.safe_dump(script, sort_keys=False)
        if draw(st.booleans()):
            text = _mutate(text, draw(st.data()))
        texts[f"s{index}.yaml"] = text
    if draw(st.booleans()):
        texts["intake.yaml"] = dedent(INTAKE)
        texts["sub/printer.yaml"] = dedent(PRINTER)
    if draw(st.booleans()) and texts:
        first = sorted(texts)[0]
        texts["copy.yml"] = texts[first]  # same bytes, another name: one entry, two paths
    return texts


def _write(folder: Path, texts: dict[str, str]) -> Path:
    for rel, text in texts.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow
@given(libraries(), st.sampled_from([None, LintConfig(max_questions=2),
                                     LintConfig(ignore=frozenset({"SF301"}))]))
def test_same_problems_with_and_without_the_cache(texts: dict[str, str],
                                                  config: LintConfig | None) -> None:
    with tempfile.TemporaryDirectory() as raw:
        base = Path(raw)
        lib = _write(base / "lib", texts)
        cache_dir = base / "cache"
        expected = reference(lib, config)
        assert cached(lib, cache_dir, config) == expected  # cold: every file parsed
        assert cached(lib, cache_dir, config) == expected  # warm: the whole report reused
        assert cached(lib, cache_dir, config, need_scripts=True) == expected
        # per-file entries with the library rules run again (another configuration)
        assert cached(lib, cache_dir, LintConfig(max_questions=1)) == \
            reference(lib, LintConfig(max_questions=1))
        # the same bytes under other names hit, and problems name the new paths
        moved = base / "moved"
        shutil.copytree(lib, moved)
        assert cached(moved, cache_dir, config) == reference(moved, config)


def test_the_bundled_library_is_the_same_through_the_cache(tmp_path: Path) -> None:
    scripts = ROOT / "scripts"
    expected = reference(scripts)
    assert cached(scripts, tmp_path) == expected
    assert cached(scripts, tmp_path, need_scripts=True) == expected


# --- hits and misses --------------------------------------------------------------------

def test_unchanged_files_are_not_parsed_again(write_files: WriteFiles, tmp_path: Path,
                                              parses: list[str]) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER})
    cache_dir = tmp_path / "cache"
    first = cached(lib, cache_dir)
    assert len(parses) == 2
    assert cached(lib, cache_dir, need_scripts=True) == first
    assert len(parses) == 2


def test_one_changed_file_is_the_only_one_parsed_and_a_revert_hits(
        write_files: WriteFiles, tmp_path: Path, parses: list[str]) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER,
                       "other.yaml": INTAKE.replace("id: intake", "id: other")})
    cache_dir = tmp_path / "cache"
    before = cached(lib, cache_dir)
    assert len(parses) == 3
    printer = lib / "printer.yaml"
    original = printer.read_text("utf-8")
    printer.write_text(original.replace("no: nowhere", "no: done"), encoding="utf-8")
    after_edit = cached(lib, cache_dir)
    assert parses[3:] == [str(printer)]
    assert after_edit == reference(lib)
    assert {p.code for p in after_edit} != {p.code for p in before}  # SF201 went away
    printer.write_text(original, encoding="utf-8")
    assert cached(lib, cache_dir) == before
    assert len(parses) == 4  # the revert parsed nothing: its bytes were cached


def test_load_library_uses_the_same_cache(write_files: WriteFiles, tmp_path: Path,
                                          parses: list[str]) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER.replace("nowhere", "done")})
    cache_dir = tmp_path / "cache"
    lint_report = scriptflow.lint([lib], cache_dir=cache_dir)
    assert len(parses) == 2
    library = scriptflow.load_library(lib, cache_dir=cache_dir)
    assert len(parses) == 2  # lint filled the cache; loading parsed nothing
    assert library.problems == lint_report.problems
    assert sorted(library) == ["intake", "printer"]
    assert library["printer"].path == str(lib / "printer.yaml")
    fresh = scriptflow.load_library(lib, cache=False)
    assert fresh["printer"].content_hash == library["printer"].content_hash
    assert fresh["printer"].nodes == library["printer"].nodes


# --- a broken cache is a miss, never an error -------------------------------------------

# INTAKE and PRINTER: per file its result and outline, per unit (one script each: a
# handoff to a start links nothing) its problems, the pack of the last run's outlines
# and units, and the library's report.
ENTRIES = 8


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*-*") if p.is_file())


@pytest.mark.parametrize("damage", [
    lambda blob: b"",
    lambda blob: blob[: len(blob) // 2],
    lambda blob: b"not a pickle at all",
    lambda blob: pickle.dumps({"a": "dict, not a result"}),
    lambda blob: bytes(reversed(blob)),
], ids=["empty", "truncated", "garbage", "wrong-type", "scrambled"])
def test_a_corrupt_entry_is_ignored_and_rewritten(write_files: WriteFiles, tmp_path: Path,
                                                  parses: list[str],
                                                  damage: Callable[[bytes], bytes]) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER})
    cache_dir = tmp_path / "cache"
    expected = cached(lib, cache_dir)
    entries = _entries(cache_dir)
    assert len(entries) == ENTRIES
    for entry in entries:
        entry.write_bytes(damage(entry.read_bytes()))
    assert cached(lib, cache_dir, need_scripts=True) == expected
    assert len(parses) == 4  # both files parsed again
    for entry in _entries(cache_dir):  # ... and their entries rewritten whole
        assert pickle.loads(entry.read_bytes()) is not None
    assert cached(lib, cache_dir, need_scripts=True) == expected
    assert len(parses) == 4


def test_an_unusable_cache_folder_is_no_error(write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER})
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("I am a file", encoding="utf-8")
    assert cached(lib, not_a_folder) == reference(lib)
    result = run_cli("lint", "--cache-dir", str(not_a_folder / "below"), str(lib))
    assert result.returncode == 1, result.stderr
    assert "SF201" in result.stdout and not result.stderr


# --- the command line -------------------------------------------------------------------

def _cache_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SCRIPTFLOW_NO_CACHE", "SCRIPTFLOW_CACHE_DIR")}
    return {**env, "PYTHONIOENCODING": "utf-8", **extra}


def _lint(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptflow", "lint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=_cache_env(**env))


def test_no_cache_writes_nothing(write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER})
    work = tmp_path / "work"
    work.mkdir()
    plain = _lint(work, "--no-cache", str(lib))
    assert plain.returncode == 1 and "SF201" in plain.stdout
    assert list(work.iterdir()) == []
    by_env = _lint(work, str(lib), SCRIPTFLOW_NO_CACHE="1")
    assert by_env.stdout == plain.stdout
    assert list(work.iterdir()) == []
    cached_run = _lint(work, str(lib))
    assert cached_run.stdout == plain.stdout
    folder = work / ".scriptflow-cache"
    assert (folder / ".gitignore").read_text("utf-8").splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text("utf-8").startswith("Signature: 8a477f59")
    assert len(_entries(folder)) == ENTRIES
    assert _lint(work, str(lib)).stdout == plain.stdout


def test_cache_dir_option_and_variable(write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({"intake.yaml": INTAKE, "printer.yaml": PRINTER})
    work = tmp_path / "work"
    work.mkdir()
    assert _lint(work, "--cache-dir", str(tmp_path / "opt"), str(lib)).returncode == 1
    assert len(_entries(tmp_path / "opt")) == ENTRIES
    assert _lint(work, str(lib), SCRIPTFLOW_CACHE_DIR=str(tmp_path / "var")).returncode == 1
    assert len(_entries(tmp_path / "var")) == ENTRIES
    assert list(work.iterdir()) == []


# --- two processes at once --------------------------------------------------------------

WRITER = """
import sys
from scriptflow.cache import Cache
cache = Cache(sys.argv[1], salt="race")
blob = sys.argv[2].encode() * 200_000
for _ in range(60):
    cache.put("file", "same", blob)
"""


def test_two_processes_writing_one_entry_never_leave_half_of_it(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), letter])
               for letter in "ab"]
    reader = Cache(tmp_path, salt="race")
    seen: set[bytes] = set()
    while any(w.poll() is None for w in writers):
        blob = reader.get("file", "same")
        if blob is not None:
            assert blob in (b"a" * 200_000, b"b" * 200_000)  # whole, never torn
            seen.add(blob[:1])
    assert all(w.wait() == 0 for w in writers)
    assert reader.get("file", "same") in (b"a" * 200_000, b"b" * 200_000)
    assert seen
    assert [p.name for p in (tmp_path / "v1-race").iterdir()] == ["file-same"]  # no temp


@pytest.mark.slow
def test_two_lint_processes_share_one_cache(write_files: WriteFiles, tmp_path: Path) -> None:
    texts = {f"s{i}.yaml": INTAKE.replace("id: intake", f"id: s{i}") for i in range(30)}
    lib = write_files({**texts, "printer.yaml": PRINTER})
    cache_dir = tmp_path / "cache"
    expected = _lint(tmp_path, "--no-cache", "--format", "json", str(lib)).stdout
    for _round in range(3):
        runs = [subprocess.Popen([sys.executable, "-m", "scriptflow", "lint", "--format",
                                  "json", "--cache-dir", str(cache_dir), str(lib)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=_cache_env())
                for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=60)
            assert run.returncode == 1 and not err
            assert out == expected
    assert all(".tmp" not in p.name for p in _entries(cache_dir))


# --- parsing on both cores --------------------------------------------------------------

def test_parallel_parse_finds_the_same_problems(write_files: WriteFiles, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "PARALLEL_MIN_FILES", 2)
    texts = {f"s{i}.yaml": INTAKE.replace("id: intake", f"id: s{i}") for i in range(6)}
    lib = write_files({**texts, "printer.yaml": PRINTER, "bad.yaml": "id: [unclosed\n"})
    expected = reference(lib)
    report, _ctx = lint_files(find_script_files([lib]), jobs=2)
    assert report.problems == expected
    assert cached(lib, tmp_path / "cache", jobs=2) == expected
    assert cached(lib, tmp_path / "cache", jobs=2, need_scripts=True) == expected


@pytest.fixture(autouse=True)
def _no_cache_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SCRIPTFLOW_NO_CACHE", raising=False)
    monkeypatch.delenv("SCRIPTFLOW_CACHE_DIR", raising=False)
    yield


DAY = 86_400.0


def _age(path: Path, days: float) -> None:
    moment = os.stat(path).st_mtime - days * DAY
    os.utime(path, (moment, moment))


def test_prune_deletes_entries_unused_for_30_days_and_keeps_the_rest(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", salt="test")
    cache.put("parsed", "old", b"old")
    cache.put("parsed", "fresh", b"fresh")
    cache.put("parsed", "used", b"used")
    folder = Path(cache.folder)
    _age(folder / "parsed-old", 31)
    _age(folder / "parsed-fresh", 29)
    _age(folder / "parsed-used", 31)
    assert cache.get("parsed", "used") == b"used"  # a read marks it used again
    assert cache.prune() == 1
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "parsed-fresh", "parsed-used"]
    assert cache.get("parsed", "old") is None


def test_prune_runs_at_most_once_a_day(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache", salt="test")
    cache.put("parsed", "a", b"a")
    assert cache.prune() == 0  # nothing old yet; the stamp is written
    _age(Path(cache.folder) / "parsed-a", 40)
    assert cache.prune() == 0  # pruned less than a day ago: not again
    _age(Path(cache.folder) / ".pruned", 2)
    assert cache.prune() == 1


def test_prune_of_a_missing_or_unwritable_cache_does_not_raise(tmp_path: Path) -> None:
    assert Cache(tmp_path / "never-made", salt="test").prune() == 0


def test_lint_prunes_its_cache(write_files: WriteFiles, tmp_path: Path) -> None:
    folder = write_files({"intake.yaml": INTAKE})
    cache_dir = tmp_path / "lint-cache"
    first = run_cli("lint", "--cache-dir", str(cache_dir), str(folder))
    assert first.returncode in (0, 1) and not first.stderr, first.stderr
    (salted,) = [p for p in cache_dir.iterdir() if p.is_dir()]
    stale = salted / "parsed-0123abcd"
    stale.write_bytes(b"a file edited away long ago")
    _age(stale, 45)
    _age(salted / ".pruned", 2)
    again = run_cli("lint", "--cache-dir", str(cache_dir), str(folder))
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert not stale.exists()
    assert any(p.name.startswith("outline-") or p.name.startswith("pack-")
               for p in salted.iterdir())  # the entries in use are kept
