"""A problem found in a script, and the report that collects them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a script, pointing at the offending value.

    ``line`` and ``column`` count from 1; 0 means the position is unknown.
    """

    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    script: str | None = None
    node: str | None = None

    def format(self) -> str:
        """``path:line:col: severity CODE message`` on one line."""
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.code} {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


@dataclass(slots=True)
class LintReport:
    """Every problem found in one lint run, sorted by place."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def summary(self) -> dict[str, int]:
        return {"errors": len(self.errors), "warnings": len(self.warnings), "files": self.files}
