"""A loaded file: its values, where each was written, and what went wrong.

Kept apart from the YAML loader so that code which only reads results (the cache, the
reporters) does not import PyYAML.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..problems import Problem

Path = tuple[str | int, ...]
Mark = tuple[int, int]  # (line, column), both counted from 1


@dataclass(slots=True)
class Document:
    """One loaded file: its values, where each came from, and what went wrong."""

    path: str
    text: str
    data: Any = None
    value_marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ignores: dict[int, frozenset[str]] = field(default_factory=dict)
    rejected: set[Path] = field(default_factory=set)  # values dropped by SF102 / SF104

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def mark(self, path: Path) -> Mark:
        """Position of the value at ``path``, or of its nearest parent that has one."""
        while True:
            found = self.value_marks.get(path)
            if found is not None:
                return found
            if not path:
                return (1, 1)
            path = path[:-1]

    def key_mark(self, path: Path) -> Mark:
        """Position of the key that holds ``path`` (falls back to the value)."""
        return self.key_marks.get(path) or self.mark(path)

    def locate(self, mark: Mark, needle: str, offset: int = 0, within: int = 4096) -> Mark:
        """Where ``needle`` (a part of the value written at ``mark``) appears in the source,
        moved on by ``offset`` characters; ``mark`` itself when it cannot be found."""
        if not needle or not self.text:
            return mark
        starts = self._line_starts()
        line, column = mark
        if not 0 < line <= len(starts):
            return mark
        begin = starts[line - 1] + column - 1
        found = self.text.find(needle, begin, begin + within + len(needle))
        if found < 0:
            return mark
        absolute = found + offset
        if "\n" in self.text[found:absolute]:
            return mark  # the part sits across a folded line: keep the value's start
        from bisect import bisect_right

        index = bisect_right(starts, absolute) - 1
        return (index + 1, absolute - starts[index] + 1)

    def _line_starts(self) -> list[int]:
        starts = [0]
        position = self.text.find("\n")
        while position >= 0:
            starts.append(position + 1)
            position = self.text.find("\n", position + 1)
        return starts

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


# Above this many new objects, re-enabling the collector would first scan them all.
FREEZE_ABOVE = 200_000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Loading a large library allocates millions of objects that all stay alive; the
    collector would scan them again and again for nothing (quadratic in practice).
    After a large load they are moved to the collector's permanent generation:
    otherwise the first collection after re-enabling scans every one of them at once
    (0.8 s for a 1,000-file library). Small loads skip that, so that the few reference
    cycles alive at that moment (which freezing would keep forever) stay collectable.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > FREEZE_ABOVE:
                gc.freeze()
            gc.enable()
