"""The figures each benchmark checks against issue 7's targets, kept for ``run.py``.

Each benchmark prints its own tables; it also calls :func:`record` with the few ratios
that have a target, so ``python benchmarks/run.py`` can end with one table of every
target, the figure measured in this run, and whether it is met.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "_data" / "results"


@dataclass(frozen=True)
class Figure:
    """One measured figure and its target: met when ``value <= limit`` (``at_most``)
    or ``value >= limit`` (otherwise)."""

    what: str
    value: float
    limit: float
    at_most: bool
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def target(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.limit:.3g}{self.unit}"


def at_most(what: str, value: float, limit: float, unit: str = "x") -> Figure:
    return Figure(what, value, limit, True, unit)


def at_least(what: str, value: float, limit: float, unit: str = "x") -> Figure:
    return Figure(what, value, limit, False, unit)


def record(benchmark: str, figures: list[Figure], note: str = "") -> None:
    """Keep ``figures`` as this benchmark's latest results (replacing earlier ones)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": benchmark, "at": time.time(), "note": note,
            "figures": [asdict(f) for f in figures]}
    (RESULTS / f"{benchmark}.json").write_text(json.dumps(data, indent=1) + "\n")


def recorded(benchmark: str, since: float = 0.0) -> list[Figure] | None:
    """The figures ``benchmark`` recorded at or after ``since`` (None: none)."""
    path = RESULTS / f"{benchmark}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("at", 0.0) < since:
        return None
    return [Figure(**f) for f in data["figures"]]
