"""The lint pipeline: documents → schema → model → rules → configured report."""

from __future__ import annotations

import hashlib
import os
import pickle
from bisect import bisect_right
from collections.abc import Iterable, Sequence, Set
from dataclasses import replace
from typing import TYPE_CHECKING

from ..codes import make_problem
from ..format.document import Document, paused_gc
from ..format.model import Fact, Script, build_script
from ..format.reader import find_script_files
from ..format.schema import validate
from ..problems import LintReport, Problem
from . import rules_flow, rules_refs  # noqa: F401 - importing registers the rules
from .context import LintConfig, LintContext
from .files import check_files, decode, read_files
from .groups import script_groups
from .registry import RULES, Scope

if TYPE_CHECKING:
    from ..cache import Cache

LIBRARY_KIND = "library"

SUPPORTED_FORMATS = (1,)


def _format_version(doc: Document) -> list[Problem]:
    data = doc.data
    if "scriptflow" not in data:
        return [make_problem("SF103", doc.path, 1, 1, "missing `scriptflow: 1` (the format "
                             "version) at the top of the script",
                             hint="add `scriptflow: 1` as the first line")]
    version = data["scriptflow"]
    if isinstance(version, bool) or version not in SUPPORTED_FORMATS:
        line, column = doc.mark(("scriptflow",))
        return [make_problem("SF103", doc.path, line, column,
                             f"format version {version!r} is not supported (this scriptflow "
                             f"reads format {', '.join(map(str, SUPPORTED_FORMATS))})",
                             hint="write `scriptflow: 1`")]
    return []


def _attribute(doc: Document, problems: list[Problem]) -> list[Problem]:
    """Problems of one file, each with the script and node it lies in filled in.

    The loader and the schema check (SF101, SF102, SF104) only know positions. Without
    ``node`` the JSON and SARIF output cannot say where a problem is, and an inline
    ignore on the node's line (see :func:`configure`) would not reach it.
    """
    if not any(p.node is None or p.script is None for p in problems):
        return problems
    data = doc.data
    script_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(script_id, str):
        script_id = None
    # Where each node starts, and where the top-level keys after them end the last one.
    starts = sorted(((mark, path[1] if len(path) == 2 else None)
                     for path, mark in doc.key_marks.items()
                     if len(path) == 1 or (len(path) == 2 and path[0] == "nodes")),
                    key=lambda start: start[0])
    marks = [mark for mark, _node in starts]
    attributed = []
    for problem in problems:
        node = problem.node
        if node is None:
            node = _enclosing_node(marks, starts, (problem.line, problem.column))
        if node != problem.node or (problem.script is None and script_id is not None):
            problem = replace(problem, script=problem.script or script_id, node=node)
        attributed.append(problem)
    return attributed


def _enclosing_node(marks: list[tuple[int, int]],
                    starts: list[tuple[tuple[int, int], str | int | None]],
                    at: tuple[int, int]) -> str | None:
    """The node whose mapping holds position ``at``, given the sorted key starts."""
    index = bisect_right(marks, at) - 1
    if index < 0:
        return None
    (line, column), node = starts[index]
    if not isinstance(node, str):
        return None  # a top-level key, not inside `nodes`
    # Inside the node: its key itself, or deeper than it. A problem at the node keys'
    # own column on a later line (a repeated node id) belongs to no single node.
    if at == (line, column) or at[1] > column:
        return node
    return None


def check_document(doc: Document) -> tuple[Script | None, list[Problem]]:
    """Everything that can be said about one file on its own, and its model."""
    script, problems = _check_document(doc)
    return script, _attribute(doc, problems)


def _check_document(doc: Document) -> tuple[Script | None, list[Problem]]:
    problems = list(doc.problems)
    if doc.data is None:
        if not problems:
            problems.append(make_problem("SF101", doc.path, 1, 1, "the file is empty; a script "
                                         "is a mapping that starts with `scriptflow: 1`"))
        return None, problems
    if not isinstance(doc.data, dict):
        problems.append(make_problem("SF101", doc.path, 1, 1, "a script is a mapping of keys "
                                     "(scriptflow, id, start, facts, nodes), not a "
                                     f"{type(doc.data).__name__}"))
        return None, problems
    version_problems = _format_version(doc)
    if version_problems:
        return None, problems + version_problems
    schema_problems, broken = validate(doc)
    problems += schema_problems
    script, model_problems = build_script(doc, broken)
    return script, problems + model_problems


def _context(documents: Sequence[Document], scripts: Sequence[Script],
             config: LintConfig) -> LintContext:
    unique: dict[str, Script] = {}
    for script in scripts:
        unique.setdefault(script.id, script)
    return LintContext(unique, list(scripts), {d.path: d for d in documents}, config)


def run_rules(ctx: LintContext, scope: Scope | None = None) -> list[Problem]:
    """Problems the rules of ``scope`` (all rules: ``None``) find in ``ctx``."""
    config = ctx.config
    problems: list[Problem] = []
    for code, registered in RULES.items():
        if registered.check is None or code in config.ignore:
            continue
        if config.severity.get(code) == "off" or scope not in (None, registered.scope):
            continue
        problems.extend(registered.check(ctx))
    return problems


def run_groups(scripts: dict[str, Script], documents: dict[str, Document],
               config: LintConfig, names: Set[str], facts: dict[str, list[Fact]]
               ) -> list[Problem]:
    """The group rules over ``scripts`` (unique ids, in library order), group by group.

    One group at a time keeps the data-flow bit sets as small as a group's facts, and
    gives the same problems as one pass over the whole library (tests/test_groups.py).
    ``names`` and ``facts``: every script id and fact declaration of the library.
    """
    problems: list[Problem] = []
    for group in script_groups(scripts):
        members = {sid: scripts[sid] for sid in group}
        ctx = LintContext(members, list(members.values()), documents, config,
                          library_names=names, library_facts=facts)
        problems += run_rules(ctx, "group")
    return problems


def check_scripts(documents: Sequence[Document], scripts: Sequence[Script],
                  config: LintConfig) -> tuple[LintContext, list[Problem]]:
    """Library-wide rules over built scripts: group by group, then across groups."""
    ctx = _context(documents, scripts, config)
    problems = run_groups(ctx.scripts, ctx.documents, config, ctx.names, ctx.facts_by_key)
    problems += run_rules(ctx, "library")
    return ctx, problems


def _node_line(ctx: LintContext | None, doc: Document, problem: Problem) -> int | None:
    if problem.node is None:
        return None
    return doc.key_mark(("nodes", problem.node))[0]


def configure(problems: Iterable[Problem], config: LintConfig,
              documents: dict[str, Document]) -> list[Problem]:
    """Apply ignores (configured and inline) and severity overrides; sort by place."""
    kept: list[Problem] = []
    for problem in problems:
        if problem.code in config.ignore or config.severity.get(problem.code) == "off":
            continue
        doc = documents.get(problem.path)
        if doc is not None and doc.ignores:
            lines = {problem.line}
            node_line = _node_line(None, doc, problem)
            if node_line is not None:
                lines.add(node_line)
            if any(problem.code in doc.ignores.get(line, ()) for line in lines):
                continue
        level = config.severity.get(problem.code)
        if level in ("error", "warning") and level != problem.severity:
            problem = replace(problem, severity=level)  # type: ignore[arg-type]
        kept.append(problem)
    kept.sort(key=Problem.sort_key)
    return kept


def lint_documents(documents: Sequence[Document],
                   config: LintConfig | None = None) -> tuple[LintReport, LintContext]:
    """Lint documents already loaded (no cache: the files' bytes are not at hand)."""
    config = config or LintConfig()
    problems: list[Problem] = []
    scripts: list[Script] = []
    with paused_gc():
        for doc in documents:
            script, found = check_document(doc)
            problems += found
            if script is not None:
                scripts.append(script)
        ctx, library_problems = check_scripts(documents, scripts, config)
    problems += library_problems
    report = LintReport(configure(problems, config, ctx.documents), files=len(documents))
    return report, ctx


def lint_files(paths: Sequence[str], config: LintConfig | None = None, *,
               cache: Cache | None = None, jobs: int | None = None,
               need_scripts: bool = True) -> tuple[LintReport, LintContext]:
    """Lint script files: each file from the cache or parsed, then the library-wide rules.

    With a cache, the report of a library whose files, names and configuration are all
    unchanged is reused whole; otherwise the problems of each group of scripts whose
    files are unchanged are (:mod:`.incremental`). Without ``need_scripts`` the
    context holds only documents (for reporters), and a rerun loads no file's results.
    Raises ``OSError`` for an unreadable file.
    """
    config = config or LintConfig()
    with paused_gc():
        raws, keys = read_files(paths)
        if cache is None:
            results = check_files(paths, raws, keys, None, jobs)
            documents = [r.document(decode(raw)) for r, raw in zip(results, raws, strict=True)]
            problems = [p for r in results for p in r.problems]
            scripts = [r.script for r in results if r.script is not None]
            del results  # the scripts and documents are all that is kept
            ctx, library_problems = check_scripts(documents, scripts, config)
            problems = configure(problems + library_problems, config, ctx.documents)
            return LintReport(problems, files=len(paths)), ctx
        from .incremental import CachedLint

        library_key = _library_key(paths, keys, config)
        lint = CachedLint(paths, raws, keys, cache, config, jobs)
        if need_scripts:
            lint.load(range(len(paths)))  # in one batch: on every core when it pays
        found = _reused_report(cache, library_key)
        if found is None:
            found = lint.problems()
            cache.put(LIBRARY_KIND, library_key, pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
        if need_scripts:
            results = [lint.results[i] for i in range(len(paths))]
            documents = [r.document(decode(raw)) for r, raw in zip(results, raws, strict=True)]
            ctx = _context(documents, [r.script for r in results if r.script is not None],
                           config)
        else:
            ctx = _context([Document(path=p, text=decode(r)) for p, r in zip(paths, raws,
                                                                                strict=True)],
                           [], config)
    return LintReport(found, files=len(paths)), ctx


def _library_key(paths: Sequence[str], keys: Sequence[str], config: LintConfig) -> str:
    digest = hashlib.sha256(repr((sorted(config.ignore), sorted(config.severity.items()),
                                  config.max_questions)).encode())
    for path, key in zip(paths, keys, strict=True):
        digest.update(f"{path}\0{key}\n".encode())
    return digest.hexdigest()


def _reused_report(cache: Cache | None, key: str) -> list[Problem] | None:
    blob = cache.get(LIBRARY_KIND, key) if cache is not None else None
    if blob is None:
        return None
    try:
        problems = pickle.loads(blob)
    except Exception:  # a corrupt entry is a miss; the run rewrites it
        return None
    if isinstance(problems, list) and all(isinstance(p, Problem) for p in problems):
        return problems
    return None


def lint(paths: Iterable[str | os.PathLike[str]], config: LintConfig | None = None, *,
         cache: bool = True, cache_dir: str | os.PathLike[str] | None = None) -> LintReport:
    """Lint every script under ``paths``; raises ``MissingPathError`` for a missing path.

    Unchanged files are not parsed again (see :mod:`scriptflow.cache`); ``cache=False``
    or ``SCRIPTFLOW_NO_CACHE=1`` turn that off.
    """
    from ..cache import open_cache

    report, _ctx = lint_files(find_script_files(paths), config,
                              cache=open_cache(cache, cache_dir), need_scripts=False)
    return report
