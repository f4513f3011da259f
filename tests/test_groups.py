"""Checking the library group by group, and reusing unchanged groups from the cache,
finds exactly the problems one pass over the whole library finds: after any edit."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scriptflow.cache import Cache
from scriptflow.checks.context import LintConfig, LintContext
from scriptflow.checks.groups import script_groups
from scriptflow.checks.runner import (
    check_document,
    configure,
    lint_documents,
    lint_files,
    run_rules,
)
from scriptflow.format.model import Script
from scriptflow.format.reader import find_script_files
from scriptflow.format.yamlload import load_text
from scriptflow.problems import Problem

from .conftest import SCRIPTS, dedent
from .test_cache import _write
from .test_cache import libraries as broken_libraries
from .test_knowledge import libraries as linked_libraries


def whole(folder: Path, config: LintConfig | None = None) -> list[Problem]:
    """Every rule over one context holding the whole library: no groups, no cache."""
    config = config or LintConfig()
    documents = [load_text(Path(p).read_text("utf-8"), p) for p in find_script_files([folder])]
    problems: list[Problem] = []
    scripts: list[Script] = []
    for doc in documents:
        script, found = check_document(doc)
        problems += found
        if script is not None:
            scripts.append(script)
    unique: dict[str, Script] = {}
    for script in scripts:
        unique.setdefault(script.id, script)
    ctx = LintContext(unique, scripts, {d.path: d for d in documents}, config)
    return configure(problems + run_rules(ctx), config, ctx.documents)


def grouped(folder: Path, config: LintConfig | None = None) -> list[Problem]:
    documents = [load_text(Path(p).read_text("utf-8"), p) for p in find_script_files([folder])]
    return lint_documents(documents, config)[0].problems


def cached(folder: Path, cache_dir: Path, config: LintConfig | None = None, *,
           need_scripts: bool = False) -> list[Problem]:
    report, _ctx = lint_files(find_script_files([folder]), config, cache=Cache(cache_dir),
                              jobs=1, need_scripts=need_scripts)
    return report.problems


# --- groups give what the whole library gives -------------------------------------------

@given(linked_libraries(), st.sampled_from([None, LintConfig(max_questions=2)]))
def test_groups_find_what_one_pass_finds_in_linked_scripts(library: list[dict[str, object]],
                                                           config: LintConfig | None) -> None:
    with tempfile.TemporaryDirectory() as raw:
        texts = {f"s{i}.yaml": yaml.safe_dump(s, sort_keys=False) for i, s in enumerate(library)}
        lib = _write(Path(raw), texts)
        assert grouped(lib, config) == whole(lib, config)


@settings(max_examples=30)
@given(broken_libraries())
def test_groups_find_what_one_pass_finds_in_broken_libraries(texts: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as raw:
        lib = _write(Path(raw), texts)
        assert grouped(lib) == whole(lib)


def test_the_bundled_library_in_groups() -> None:
    assert grouped(SCRIPTS) == whole(SCRIPTS)


# --- a library of linked scripts, and versions of each file -----------------------------

BASE = {
    # intake hands off into printer's `check`, which reads colour
    "intake.yaml": """\
        scriptflow: 1
        id: intake
        start: colour
        facts:
          colour: {type: choice, options: [red, green]}
        nodes:
          colour:
            type: question
            prompt: Colour?
            fact: colour
            branches: {red: to-printer, green: to-printer}
          to-printer: {type: handoff, script: printer, node: check}
        """,
    "printer.yaml": """\
        scriptflow: 1
        id: printer
        start: ask
        facts:
          colour: {type: choice, options: [red, green]}
        nodes:
          ask:
            type: question
            prompt: Colour?
            fact: colour
            branches: {red: check, green: check}
          check:
            type: decision
            routes:
              - when: "colour == 'red'"
                goto: red
              - goto: done
          red: {type: outcome, result: escalated}
          done: {type: outcome, result: resolved}
        """,
    # caller calls helper, which learns power and may hand off to closer
    "caller.yaml": """\
        scriptflow: 1
        id: caller
        start: help
        facts:
          power: {type: boolean}
        nodes:
          help:
            type: call
            script: helper
            branches: {resolved: power, escalated: power}
          power:
            type: question
            prompt: Power on?
            fact: power
            branches: {yes: done, no: done}
          done: {type: outcome, result: resolved}
        """,
    "helper.yaml": """\
        scriptflow: 1
        id: helper
        start: check
        facts:
          power: {type: boolean}
        nodes:
          check:
            type: decision
            routes:
              - when: "known(power)"
                goto: fixed
              - goto: power
          power:
            type: question
            prompt: Power?
            fact: power
            branches: {yes: fixed, no: closer}
          fixed: {type: outcome, result: resolved}
          closer: {type: handoff, script: closer}
        """,
    "closer.yaml": """\
        scriptflow: 1
        id: closer
        start: end
        nodes:
          end: {type: outcome, result: escalated}
        """,
    "lonely.yaml": """\
        scriptflow: 1
        id: lonely
        start: end
        nodes:
          end: {type: outcome, result: resolved}
        """,
}

EDITS: dict[str, list[tuple[str, str]]] = {
    "intake.yaml": [  # colour no longer known on the way into printer's check (SF404)
        ("branches: {red: to-printer, green: to-printer}", "branches: {red: to-printer}"),
        ("start: colour", "start: to-printer"),
        ("colour: {type: choice, options: [red, green]}", "colour: {type: boolean}"),  # SF401
    ],
    "printer.yaml": [
        ("id: printer", "id: printer2"),  # intake's handoff goes nowhere (SF203, a hint)
        ("start: ask", "start: ask  # new bytes, same script"),
        ("  check:\n", "  checks:\n"),  # the entered node is gone (SF201 in intake)
        ("scriptflow: 1", "scriptflow: [1"),  # broken
    ],
    "caller.yaml": [
        ("branches: {resolved: power, escalated: power}", "branches: {resolved: power}"),
        ("script: helper", "script: helpr"),
    ],
    "helper.yaml": [
        # helper learns power before each of its ends (SF402 in caller)
        ("goto: fixed\n      - goto: power", "goto: power\n      - goto: power"),
        ("closer: {type: handoff, script: closer}", "closer: {type: handoff, script: lonely}"),
    ],
    "closer.yaml": [
        ("result: escalated", "result: referred"),  # a result caller has no branch for
        ("id: closer", "id: lonely"),  # a second `lonely` (SF204)
    ],
    "lonely.yaml": [
        ("end: {type: outcome, result: resolved}",
         "end: {type: outcome, result: resolved}\n  spare: {type: outcome, result: resolved}"),
        ("result: resolved}", "result: resolved, code: '{colour}'}"),
        ("start: end", "start: end\nfacts:\n  power: {type: choice, options: [on]}"),  # SF401
        ("start: end", "start: end\nfacts:\n  power: {type: choice, options: [on]}"
                       "  # scriptflow: ignore[SF401]"),  # ... silenced in the file
    ],
}


def _version(name: str, edit: int | None) -> str | None:
    """File ``name`` as first written (``-1``), after edit ``edit``, or deleted (None)."""
    if edit is None:
        return None
    text = dedent(BASE[name])
    if edit >= 0:
        old, new = EDITS[name][edit]
        assert old in text, (name, old)
        text = text.replace(old, new)
    return text


def _apply(lib: Path, name: str, edit: int | None) -> None:
    text = _version(name, edit)
    if text is None:
        (lib / name).unlink(missing_ok=True)
    else:
        (lib / name).write_text(text, encoding="utf-8")


def _agree(lib: Path, cache_dir: Path, need_scripts: bool = False) -> list[Problem]:
    expected = whole(lib)
    assert grouped(lib) == expected
    assert cached(lib, cache_dir, need_scripts=need_scripts) == expected
    return expected


def test_the_base_library_is_in_three_groups(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in BASE:
        _apply(lib, name, -1)
    scripts = [check_document(load_text(dedent(BASE[n]), n))[0] for n in sorted(BASE)]
    groups = script_groups({s.id: s for s in scripts if s is not None})
    assert sorted(map(sorted, groups)) == [["caller", "closer", "helper"], ["intake", "printer"],
                                           ["lonely"]]
    assert _agree(lib, tmp_path / "cache") == []


Step = tuple[str, int | None]
SEQUENCES: dict[str, list[Step]] = {
    "a fact the handoff target needs": [("intake.yaml", 0), ("intake.yaml", 1),
                                        ("intake.yaml", -1)],
    "delete the target, then restore it": [("printer.yaml", None), ("printer.yaml", -1)],
    "rename a script id": [("printer.yaml", 0), ("intake.yaml", 1), ("printer.yaml", -1),
                           ("intake.yaml", -1)],
    "the entered node goes": [("printer.yaml", 2), ("printer.yaml", 3), ("printer.yaml", -1)],
    "edit in another group": [("lonely.yaml", 0), ("lonely.yaml", 1), ("intake.yaml", 0),
                              ("lonely.yaml", -1), ("intake.yaml", -1)],
    "the callee changes": [("helper.yaml", 0), ("closer.yaml", 0), ("helper.yaml", 1),
                           ("helper.yaml", -1), ("closer.yaml", -1)],
    "the caller changes": [("caller.yaml", 0), ("caller.yaml", 1), ("caller.yaml", -1)],
    "a duplicate id appears and goes": [("closer.yaml", 1), ("lonely.yaml", None),
                                        ("lonely.yaml", -1), ("closer.yaml", -1)],
    "fact declarations disagree": [("intake.yaml", 2), ("lonely.yaml", 2), ("intake.yaml", -1),
                                   ("lonely.yaml", 3), ("lonely.yaml", -1)],
}


@pytest.mark.parametrize("steps", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_an_edit_sequence_through_the_cache(tmp_path: Path, steps: list[Step]) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in BASE:
        _apply(lib, name, -1)
    cache_dir = tmp_path / "cache"
    seen = [_agree(lib, cache_dir)]
    for number, (name, edit) in enumerate(steps):
        _apply(lib, name, edit)
        seen.append(_agree(lib, cache_dir, need_scripts=number % 2 == 1))
    assert seen[-1] == seen[0] == []  # every sequence ends where it began
    assert any(seen[1:-1]), "the edits found nothing: the sequence tests little"


@pytest.mark.slow
@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(sorted(BASE)), st.integers(-2, 3)), min_size=1,
                max_size=6))
def test_random_edit_sequences_through_the_cache(steps: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as raw:
        lib = Path(raw) / "lib"
        lib.mkdir()
        for name in BASE:
            _apply(lib, name, -1)
        cache_dir = Path(raw) / "cache"
        _agree(lib, cache_dir)
        for name, edit in steps:
            version = None if edit == -2 else min(edit, len(EDITS[name]) - 1)
            _apply(lib, name, version)
            _agree(lib, cache_dir)


# --- only what changed is checked again -------------------------------------------------

@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files of each unit checked (not reused from the cache) in this process."""
    from scriptflow.checks import incremental

    seen: list[list[str]] = []
    original = incremental.CachedLint._check

    def spy(self: incremental.CachedLint, missed: list[incremental.Unit],
            *args: object) -> list[Problem]:
        seen.extend(sorted(Path(self.paths[i]).name for i in unit.files) for unit in missed)
        return original(self, missed, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(incremental.CachedLint, "_check", spy)
    return seen


def test_only_the_edited_file_and_what_depends_on_it_is_checked_again(
        tmp_path: Path, checked: list[list[str]]) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in BASE:
        _apply(lib, name, -1)
    cache_dir = tmp_path / "cache"
    _agree(lib, cache_dir)
    assert len(checked) == 6  # every file, the first time
    checked.clear()
    _apply(lib, "caller.yaml", 0)  # nothing depends on a caller
    _agree(lib, cache_dir)
    assert checked == [["caller.yaml"]]
    checked.clear()
    _apply(lib, "closer.yaml", 0)  # what helper, and so caller, can end with
    _agree(lib, cache_dir)
    assert sorted(checked) == [["caller.yaml"], ["closer.yaml"], ["helper.yaml"]]
    checked.clear()
    _apply(lib, "intake.yaml", 0)  # what is known where intake enters printer
    _agree(lib, cache_dir, need_scripts=True)
    assert sorted(checked) == [["intake.yaml"], ["printer.yaml"]]
    checked.clear()
    _apply(lib, "printer.yaml", 1)  # intake reads only printer's node names
    _agree(lib, cache_dir)
    assert checked == [["printer.yaml"]]
    checked.clear()
    # A hint that names other scripts is checked again every time: they may have changed.
    _apply(lib, "printer.yaml", 0)
    _agree(lib, cache_dir)
    assert sorted(checked) == [["intake.yaml"], ["printer.yaml"]]
    checked.clear()
    _apply(lib, "caller.yaml", -1)  # caller, helper and closer as first written: hits
    _apply(lib, "closer.yaml", -1)
    _agree(lib, cache_dir)
    assert checked == [["intake.yaml"]]
    checked.clear()
    _agree(lib, cache_dir)  # nothing changed: the library's report is reused whole
    assert checked == []


@pytest.mark.slow
@settings(max_examples=60)
@given(linked_libraries(), linked_libraries(), st.data())
def test_random_linked_libraries_edited_through_the_cache(
        before: list[dict[str, object]], after: list[dict[str, object]],
        data: st.DataObject) -> None:
    """Handoffs into named nodes, calls, loops: some files replaced, some deleted."""
    with tempfile.TemporaryDirectory() as raw:
        lib = Path(raw) / "lib"
        lib.mkdir()
        first = {f"s{i}.yaml": yaml.safe_dump(s, sort_keys=False) for i, s in enumerate(before)}
        second = {f"s{i}.yaml": yaml.safe_dump(s, sort_keys=False) for i, s in enumerate(after)}
        _write(lib, first)
        cache_dir = Path(raw) / "cache"
        _agree(lib, cache_dir)
        for name in sorted(first.keys() | second.keys()):
            how = data.draw(st.sampled_from(["keep", "replace", "delete"]), label=name)
            if how == "delete":
                (lib / name).unlink(missing_ok=True)
            elif how == "replace" and name in second:
                (lib / name).write_text(second[name], encoding="utf-8")
        _agree(lib, cache_dir)
        for name in second.keys() - first.keys():
            (lib / name).unlink(missing_ok=True)
        _write(lib, first)
        _agree(lib, cache_dir, need_scripts=True)


def test_an_inline_ignore_silences_a_library_wide_problem_through_the_cache(
        tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name in BASE:
        _apply(lib, name, -1)
    cache_dir = tmp_path / "cache"
    _apply(lib, "lonely.yaml", 2)
    assert [p.code for p in _agree(lib, cache_dir)] == ["SF401", "SF403"]  # and unused
    _apply(lib, "lonely.yaml", 3)
    assert [p.code for p in _agree(lib, cache_dir)] == ["SF403"]
