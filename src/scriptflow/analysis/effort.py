"""Customer effort from enumerated paths: how many answers each outcome costs, and which
questions what is already known spares the customer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any

from .paths import Path

RESULT_ORDER = {"resolved": 0, "referred": 1, "escalated": 2, "unresolved": 3}


@dataclass(frozen=True, slots=True)
class Effort:
    """Answers the customer gives over some paths: fewest, median, most."""

    paths: int
    least: int
    median: float
    most: int

    def to_dict(self) -> dict[str, Any]:
        return {"paths": self.paths, "min": self.least, "median": self.median,
                "max": self.most}

    def text(self) -> str:
        return f"{self.least}/{self.median:g}/{self.most}"


@dataclass(frozen=True, slots=True)
class OutcomeEffort:
    script: str
    node: str
    result: str
    code: str | None
    effort: Effort

    @property
    def key(self) -> tuple[str, str]:
        return (self.script, self.node)


@dataclass(frozen=True, slots=True)
class Skip:
    """A question spared: ``fact`` at ``script:node``, on ``paths`` of the paths."""

    fact: str
    script: str
    node: str
    paths: int


def effort_of(paths: Iterable[Path]) -> Effort | None:
    counts = sorted(p.questions for p in paths)
    if not counts:
        return None
    return Effort(len(counts), counts[0], float(median(counts)), counts[-1])


def effort_by_outcome(paths: Iterable[Path]) -> list[OutcomeEffort]:
    """One row per outcome reached, resolved first, then by where the outcome is."""
    groups: dict[tuple[str, str], list[Path]] = {}
    for path in paths:
        groups.setdefault(path.outcome_key, []).append(path)
    rows = []
    for (script, node), group in groups.items():
        effort = effort_of(group)
        assert effort is not None  # every group has a path
        rows.append(OutcomeEffort(script, node, group[0].result, group[0].code, effort))
    return sorted(rows, key=lambda r: (RESULT_ORDER.get(r.result, 9), r.script, r.node))


def skipped_questions(paths: Iterable[Path]) -> list[Skip]:
    """Each question skipped on some path (its fact already known), most paths first."""
    counts: dict[tuple[str, str, str], int] = {}
    for path in paths:
        for step in {(s.fact or "", s.script, s.node) for s in path.skipped}:
            counts[step] = counts.get(step, 0) + 1
    return [Skip(fact, script, node, n) for (fact, script, node), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
