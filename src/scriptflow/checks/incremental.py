"""Lint through the cache: after an edit, only the edited file's group is checked again.

Three kinds of entries besides each file's parse result (:mod:`.files`):

- ``outline``, by the file's content: the small part of its result that grouping and
  the library-wide rules need (:class:`.groups.Outline`), so that an unchanged file's
  whole result is not even loaded;
- ``group``, by the configuration and the paths and contents of a group's files: the
  group's problems, configured (ignores applied), per-file problems included. A file
  that is in no group (no script built, or a repeated id) is a group of its own;
- the library's report (:mod:`.runner`), for a rerun with nothing changed.

The library-scope rules run over the outlines every time: they are quick.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..format.document import Document
from ..format.model import Fact, Script
from ..problems import Problem
from .context import LintConfig, LintContext
from .files import FileResult, check_files, decode
from .groups import Outline, outline, outline_facts, reads_library, script_groups
from .runner import configure, run_rules

if TYPE_CHECKING:
    from ..cache import Cache

OUTLINE_KIND = "outline"
GROUP_KIND = "group"


class CachedLint:
    """One lint run over files already read; results are loaded only when needed."""

    def __init__(self, paths: Sequence[str], raws: Sequence[bytes], keys: Sequence[str],
                 cache: Cache, config: LintConfig, jobs: int | None) -> None:
        self.paths, self.raws, self.keys = paths, raws, keys
        self.cache, self.config, self.jobs = cache, config, jobs
        self.results: dict[int, FileResult] = {}

    def load(self, indices: Iterable[int]) -> None:
        """The results of these files, from the cache or parsed, into ``results``."""
        todo = [i for i in dict.fromkeys(indices) if i not in self.results]
        if todo:
            found = check_files([self.paths[i] for i in todo], [self.raws[i] for i in todo],
                                [self.keys[i] for i in todo], self.cache, self.jobs)
            self.results.update(zip(todo, found, strict=True))

    def outlines(self) -> list[Outline]:
        found: list[Outline | None] = []
        for path, key in zip(self.paths, self.keys, strict=True):
            item = _load(self.cache.get(OUTLINE_KIND, key), Outline)
            found.append(item.moved_to(path) if item is not None else None)
        missing = [i for i, item in enumerate(found) if item is None]
        self.load(missing)
        for i in missing:
            result = self.results[i]
            made = found[i] = outline(result.path, result.script, result.ignores)
            self.cache.put(OUTLINE_KIND, self.keys[i], pickle.dumps(made, pickle.HIGHEST_PROTOCOL))
        return [item for item in found if item is not None]

    def problems(self) -> list[Problem]:
        """Every problem of the library, configured and sorted."""
        outlines = self.outlines()
        unique: dict[str, Script] = {}
        owner: dict[str, int] = {}
        for index, item in enumerate(outlines):
            if item.script is not None and item.script.id not in unique:
                unique[item.script.id] = item.script
                owner[item.script.id] = index
        units = [([owner[sid] for sid in group], True) for group in script_groups(unique)]
        grouped = set(owner.values())
        units += [([i], False) for i in range(len(outlines)) if i not in grouped]
        problems: list[Problem] = []
        todo: list[tuple[list[int], str | None]] = []
        for unit, is_group in units:
            reusable = not is_group or not reads_library((outlines[i] for i in unit), unique)
            key = self._unit_key(unit, is_group) if reusable else None
            found = _load(self.cache.get(GROUP_KIND, key), list) if key is not None else None
            if found is None:
                todo.append((unit, key))
            else:
                problems += found
        self.load(i for unit, _key in todo for i in unit)
        # Every declaration only for SF202's hints, which a reused group never has.
        library_facts = outline_facts(outlines, unique,
                                      shared_only=all(key is not None for _unit, key in todo))
        for unit, key in todo:
            found = self._check(unit, owner, unique, library_facts)
            if key is not None:
                self.cache.put(GROUP_KIND, key, pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
            problems += found
        problems += self._library_problems(outlines, unique, library_facts)
        problems.sort(key=Problem.sort_key)
        return problems

    def _unit_key(self, unit: list[int], grouped: bool) -> str:
        config = self.config
        digest = hashlib.sha256(repr((grouped, sorted(config.ignore),
                                      sorted(config.severity.items()),
                                      config.max_questions)).encode())
        for index in unit:
            digest.update(f"{self.paths[index]}\0{self.keys[index]}\n".encode())
        return digest.hexdigest()

    def _documents(self, unit: Iterable[int], text: bool = True) -> dict[str, Document]:
        return {self.paths[i]: self.results[i].document(decode(self.raws[i]) if text else "")
                for i in unit}

    def _check(self, unit: list[int], owner: dict[str, int], unique: dict[str, Script],
               library_facts: dict[str, list[Fact]]) -> list[Problem]:
        """The configured problems of one group's files (or of a file of its own)."""
        results = [self.results[i] for i in unit]
        documents = self._documents(unit)
        problems = [p for r in results for p in r.problems]
        members = {r.script.id: r.script for i, r in zip(unit, results, strict=True)
                   if r.script is not None and owner.get(r.script.id) == i}
        if members:
            ctx = LintContext(members, list(members.values()), documents, self.config,
                              library_names=unique.keys(), library_facts=library_facts)
            problems += run_rules(ctx, "group")
        return configure(problems, self.config, documents)

    def _library_problems(self, outlines: list[Outline], unique: dict[str, Script],
                          library_facts: dict[str, list[Fact]]) -> list[Problem]:
        everything = [item.script for item in outlines if item.script is not None]
        ctx = LintContext(unique, everything, {}, self.config, library_facts=library_facts)
        found = run_rules(ctx, "library")
        # Inline ignores need the files' node positions: loaded only where there are any.
        at = {path: i for i, path in enumerate(self.paths)}
        ignoring = {at[p.path] for p in found if p.path in at and outlines[at[p.path]].ignores}
        self.load(ignoring)
        return configure(found, self.config, self._documents(ignoring, text=False))


def _load(blob: bytes | None, kind: type) -> Any:
    """The entry unpickled when it is of ``kind``; ``None`` for a miss or a bad entry."""
    if blob is None:
        return None
    try:
        found = pickle.loads(blob)
    except Exception:  # a corrupt or foreign entry is a miss, never an error
        return None
    if kind is list and not (isinstance(found, list)
                             and all(isinstance(p, Problem) for p in found)):
        return None
    return found if isinstance(found, kind) else None
