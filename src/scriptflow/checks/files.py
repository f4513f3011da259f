"""The per-file stage of lint: each file read, parsed and checked on its own.

What a file says about itself (syntax, schema, its model, its bad conditions) depends
only on its bytes, so the result is cached by content (:mod:`scriptflow.cache`), and
files that miss are parsed on every core when there are enough of them to pay for the
worker processes. The library-wide rules then run over the results (with a cache, only
for the files whose problems may have changed: :mod:`.incremental`).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..format.document import Document, Mark, Path
from ..format.model import Script
from ..problems import Problem

if TYPE_CHECKING:
    from ..cache import Cache

FILE_KIND = "file"
# Below this many files to parse, worker processes cost more than they save: a pool of
# forked workers takes 30-70 ms to start here and ships each result back pickled
# (~0.5 ms a file), while a 50-node file parses in a few milliseconds.
PARALLEL_MIN_FILES = 48


@dataclass(slots=True)
class FileResult:
    """Everything later stages need from one file, without its parse tree."""

    path: str
    script: Script | None
    problems: list[Problem]
    ignores: dict[int, frozenset[str]] = field(default_factory=dict)
    # Positions that inline `# scriptflow: ignore[...]` comments are matched against:
    # the key of each node, and the `nodes:` mapping and the top as fallbacks.
    key_marks: dict[Path, Mark] = field(default_factory=dict)
    value_marks: dict[Path, Mark] = field(default_factory=dict)

    def moved_to(self, path: str) -> FileResult:
        """The same result for the same bytes found under another name."""
        if path == self.path:
            return self
        script = replace(self.script, path=path) if self.script is not None else None
        return replace(self, path=path, script=script,
                       problems=[replace(p, path=path) for p in self.problems])

    def document(self, text: str) -> Document:
        """A light Document: enough for rules, ignore comments and reporters."""
        return Document(path=self.path, text=text, key_marks=self.key_marks,
                        value_marks=self.value_marks, ignores=self.ignores)


def result_of(doc: Document) -> FileResult:
    from .runner import check_document

    script, problems = check_document(doc)
    key_marks: dict[Path, Mark] = {p: m for p, m in doc.key_marks.items()
                                   if len(p) == 2 and p[0] == "nodes"}
    tops: tuple[Path, ...] = ((), ("nodes",))
    value_marks = {p: doc.value_marks[p] for p in tops if p in doc.value_marks}
    return FileResult(doc.path, script, problems, doc.ignores, key_marks, value_marks)


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""  # as the loader does: the problem was reported when it was parsed


def _parse_here(job: tuple[str, bytes], keep_blob: bool) -> tuple[FileResult, bytes | None]:
    from ..format.yamlload import load_bytes

    path, raw = job
    result = result_of(load_bytes(raw, path))
    return result, pickle.dumps(result, pickle.HIGHEST_PROTOCOL) if keep_blob else None


def _parse_shipped(job: tuple[str, bytes]) -> bytes:
    """In a worker process: parse and check one file, and ship the result pickled."""
    result, _blob = _parse_here(job, False)
    return pickle.dumps(result, pickle.HIGHEST_PROTOCOL)


def _unpickle(blob: bytes) -> FileResult | None:
    try:
        result = pickle.loads(blob)
    except Exception:  # a corrupt or foreign entry is a miss, never an error
        return None
    return result if isinstance(result, FileResult) else None


def read_files(paths: Sequence[str]) -> tuple[list[bytes], list[str]]:
    """The bytes of each file and their content keys; ``OSError`` when one is unreadable."""
    from ..cache import content_key

    raws: list[bytes] = []
    for path in paths:
        with open(path, "rb") as handle:
            raws.append(handle.read())
    return raws, [content_key(raw) for raw in raws]


def check_files(paths: Sequence[str], raws: Sequence[bytes], keys: Sequence[str],
                cache: Cache | None = None, jobs: int | None = None) -> list[FileResult]:
    """The result of each file, from the cache or parsed (on every core when it pays).

    ``jobs``: worker processes to parse with (``None`` or ``0``: one per idle core,
    ``1``: none). On the 2-core project machine two workers parse 1,000 files 32%
    faster when both cores are free, and no faster (for ~15% more CPU) when other work
    holds one: hence "idle" (benchmarks/lint_speed.py).
    """
    results: list[FileResult | None] = [None] * len(paths)
    if cache is not None:
        for index, key in enumerate(keys):
            blob = cache.get(FILE_KIND, key)
            found = _unpickle(blob) if blob is not None else None
            if found is not None:
                results[index] = found.moved_to(paths[index])
    missing = [i for i, r in enumerate(results) if r is None]
    parsed = _parse_all([(paths[i], raws[i]) for i in missing], jobs, cache is not None)
    for index, (result, blob) in zip(missing, parsed, strict=True):
        if cache is not None and blob is not None:
            cache.put(FILE_KIND, keys[index], blob)
        results[index] = result
    done = [r for r in results if r is not None]
    assert len(done) == len(paths)
    return done


def _free_cores() -> int:
    """Cores this process may use that are not already busy (load average, 1 minute):
    on a machine whose cores are all taken, worker processes only add their overhead."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not on every platform
        busy = 0.0
    return max(1, min(cores, round(cores - busy + 1)))


def _parse_all(todo: list[tuple[str, bytes]], jobs: int | None, keep_blobs: bool
               ) -> list[tuple[FileResult, bytes | None]]:
    """Parse ``todo``; blobs (the pickled results) are kept only for the cache."""
    workers = min(jobs or _free_cores(), len(todo))
    if workers < 2 or len(todo) < PARALLEL_MIN_FILES:
        return [_parse_here(job, keep_blobs) for job in todo]
    import multiprocessing

    # fork: the workers start with every module already imported (and the GC paused)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    chunk = max(1, len(todo) // (workers * 8))
    with context.Pool(workers) as pool:
        # imap: results are unpickled here while the workers parse the next ones
        return [(pickle.loads(blob), blob if keep_blobs else None)
                for blob in pool.imap(_parse_shipped, todo, chunksize=chunk)]
