"""Lint through the cache: after an edit, only the edited file and the files whose
problems depend on it (:mod:`.groups`) are checked again.

Three kinds of entries besides each file's parse result (:mod:`.files`):

- ``outline``, by the file's content: the small part of its result that grouping and
  the library-wide rules need (:class:`.groups.Outline`), so that an unchanged file's
  whole result is not even loaded;
- ``group``, per *unit*: scripts that depend on each other (a strongly connected part
  of the dependencies), or a file without a script of its own (none built, or its id
  taken by an earlier file). The entry holds the unit's problems, configured, per-file
  problems included; its key hashes the configuration, the paths and contents of the
  unit's files, and the keys of the units it depends on (so a change reaches every
  unit that depends on it, and nothing else);
- ``pack``, by the configuration and the list of paths: every outline and unit entry
  of the last run over these paths, in one blob, so that a run after an edit reads one
  file instead of two per file (entries not in it are looked up one by one);
- the library's report (:mod:`.runner`), for a rerun with nothing changed.

The library-scope rules run over the outlines every time: they are quick.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..format.document import Document
from ..format.model import Fact, Script
from ..problems import Problem
from .context import LintConfig, LintContext
from .files import FileResult, check_files, decode
from .graphalg import strongly_connected
from .groups import (
    Dependencies,
    Outline,
    dependencies,
    outline,
    outline_facts,
    reads_library,
)
from .runner import configure, run_groups, run_rules

if TYPE_CHECKING:
    from ..cache import Cache

OUTLINE_KIND = "outline"
GROUP_KIND = "group"
PACK_KIND = "pack"


@dataclass(slots=True)
class Unit:
    """Files whose problems are cached together: scripts that depend on each other, or a
    file without a script of its own (none built, or its id taken by an earlier file)."""

    files: list[int]  # indices into the run's paths
    scripts: list[str]
    key: str | None  # None: not reused (its hints name other scripts, which may change)


class CachedLint:
    """One lint run over files already read; results are loaded only when needed."""

    def __init__(self, paths: Sequence[str], raws: Sequence[bytes], keys: Sequence[str],
                 cache: Cache, config: LintConfig, jobs: int | None) -> None:
        self.paths, self.raws, self.keys = paths, raws, keys
        self.cache, self.config, self.jobs = cache, config, jobs
        self.results: dict[int, FileResult] = {}
        self.pack_key = _digest(config, "\0".join(paths))
        self.pack = Pack({}, {})  # read by outlines(): a rerun with nothing changed never is
        self.packed_units: dict[str, list[Problem]] = {}
        self.repack = True  # the pack is missing something: write it anew

    def load(self, indices: Iterable[int]) -> None:
        """The results of these files, from the cache or parsed, into ``results``."""
        todo = [i for i in dict.fromkeys(indices) if i not in self.results]
        if todo:
            found = check_files([self.paths[i] for i in todo], [self.raws[i] for i in todo],
                                [self.keys[i] for i in todo], self.cache, self.jobs)
            self.results.update(zip(todo, found, strict=True))

    def outlines(self) -> list[Outline]:
        """Each file's outline: from the pack, its own entry, or its (parsed) result."""
        pack = _load(self.cache.get(PACK_KIND, self.pack_key), Pack)
        if pack is not None:
            self.pack, self.packed_units, self.repack = pack, pack.units, False
        found: list[Outline | None] = []
        blobs = self.pack.outlines
        self.pack = Pack({}, {})  # the next one: this run's outlines and units
        for path, key in zip(self.paths, self.keys, strict=True):
            blob = blobs.get(key)
            item = _load(blob, Outline) if isinstance(blob, bytes) else None
            if item is None:
                blob = self.cache.get(OUTLINE_KIND, key)
                item = _load(blob, Outline)
                self.repack = True
            if item is not None and blob is not None:
                self.pack.outlines[key] = blob
            found.append(item.moved_to(path) if item is not None else None)
        missing = [i for i, item in enumerate(found) if item is None]
        self.load(missing)
        for i in missing:
            result = self.results[i]
            made = found[i] = outline(result.path, result.script, result.ignores)
            blob = self.pack.outlines[self.keys[i]] = pickle.dumps(made, pickle.HIGHEST_PROTOCOL)
            self.cache.put(OUTLINE_KIND, self.keys[i], blob)
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
        needs = dependencies(unique)
        units = self._units(outlines, owner, needs)
        problems: list[Problem] = []
        missed: list[Unit] = []
        entries = self.pack.units
        for unit in units:
            found = self._unit_entry(unit.key) if unit.key is not None else None
            if found is None or unit.key is None:
                missed.append(unit)
            else:
                entries[unit.key] = found
                problems += found
        # Every declaration only for SF202's hints, which a reusable unit never has.
        library_facts = outline_facts(outlines, unique,
                                      shared_only=all(u.key is not None for u in missed))
        if missed:
            problems += self._check(missed, unique, owner, needs, library_facts, entries)
        problems += self._library_problems(outlines, unique, library_facts)
        problems.sort(key=Problem.sort_key)
        if self.repack:
            self.cache.put(PACK_KIND, self.pack_key,
                           pickle.dumps(self.pack, pickle.HIGHEST_PROTOCOL))
        return problems

    def _unit_entry(self, key: str) -> list[Problem] | None:
        found = self.packed_units.get(key)
        if isinstance(found, list) and all(isinstance(p, Problem) for p in found):
            return found
        self.repack = True
        found = _load(self.cache.get(GROUP_KIND, key), list)
        return found if isinstance(found, list) else None

    def _units(self, outlines: list[Outline], owner: dict[str, int], found: Dependencies
               ) -> list[Unit]:
        """Scripts that need each other, each with a key that changes when their files,
        or any file they depend on, change; then each file without a script of its own."""
        units: list[Unit] = []
        key_of: dict[str, str] = {}
        unique = {sid: outlines[i].script for sid, i in owner.items()}
        for component in strongly_connected(found.needs):  # what it needs comes first
            members = sorted(component, key=owner.__getitem__)
            inside = set(members)
            below = sorted({key_of[o] for sid in members for o in found.needs[sid]
                            if o not in inside})
            below += sorted({outlines[owner[o]].node_names for sid in members
                             for o in found.peeks[sid]})
            files = [owner[sid] for sid in members]
            key = self._unit_key(files, below)
            key_of.update(dict.fromkeys(members, key))
            reusable = not reads_library((outlines[i] for i in files), unique)
            units.append(Unit(files, members, key if reusable else None))
        scripted = set(owner.values())
        units += [Unit([i], [], self._unit_key([i], None)) for i in range(len(outlines))
                  if i not in scripted]
        return units

    def _unit_key(self, files: list[int], below: list[str] | None) -> str:
        return _digest(self.config, repr(below), *(f"{self.paths[i]}\0{self.keys[i]}"
                                                   for i in files))

    def _documents(self, files: Iterable[int], text: bool = True) -> dict[str, Document]:
        return {self.paths[i]: self.results[i].document(decode(self.raws[i]) if text else "")
                for i in files}

    def _check(self, missed: list[Unit], unique: dict[str, Script], owner: dict[str, int],
               found_dependencies: Dependencies, library_facts: dict[str, list[Fact]],
               stored: dict[str, list[Problem]]) -> list[Problem]:
        """The configured problems of the units not in the cache, which are stored.

        The rules run over these units' scripts and every script they need (a set closed
        under needs, so each of their problems comes out as in the whole library) and
        peek at; only the problems of the units' own files are kept.
        """
        needs, peeks = found_dependencies.needs, found_dependencies.peeks
        wanted = [sid for unit in missed for sid in unit.scripts]
        closure = set(wanted)
        todo = list(wanted)
        while todo:
            for other in needs[todo.pop()]:
                if other not in closure:
                    closure.add(other)
                    todo.append(other)
        closure.update(other for sid in wanted for other in peeks[sid])
        files = [i for unit in missed for i in unit.files]
        self.load([*files, *(owner[sid] for sid in closure)])
        documents = self._documents(files)
        found = [p for i in files for p in self.results[i].problems]
        scripts: dict[str, Script] = {}
        for sid in unique:
            script = self.results[owner[sid]].script if sid in closure else None
            if script is not None:
                scripts[sid] = script
        checked = run_groups(scripts, documents, self.config, unique.keys(), library_facts)
        found += [p for p in checked if p.path in documents]
        found = configure(found, self.config, documents)
        unit_of = {self.paths[i]: n for n, unit in enumerate(missed) for i in unit.files}
        by_unit: list[list[Problem]] = [[] for _unit in missed]
        for problem in found:
            by_unit[unit_of[problem.path]].append(problem)
        for unit, problems in zip(missed, by_unit, strict=True):
            if unit.key is not None:
                stored[unit.key] = problems
                self.cache.put(GROUP_KIND, unit.key,
                               pickle.dumps(problems, pickle.HIGHEST_PROTOCOL))
        return found

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


@dataclass(slots=True)
class Pack:
    """The outlines (by content key) and unit entries (by key) of the last run."""

    outlines: dict[str, bytes]  # pickled: the next pack copies them without pickling
    units: dict[str, list[Problem]]


def _digest(config: LintConfig, *parts: str) -> str:
    digest = hashlib.sha256(repr((sorted(config.ignore), sorted(config.severity.items()),
                                  config.max_questions)).encode())
    for part in parts:
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()


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
    if kind is Pack and not (isinstance(found, Pack) and isinstance(found.outlines, dict)
                             and isinstance(found.units, dict)):
        return None  # its items are checked when used
    return found if isinstance(found, kind) else None
