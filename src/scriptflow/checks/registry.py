"""The code → rule registry. A rule is a small function that yields problems."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..codes import CODES, CodeInfo

if TYPE_CHECKING:
    from ..problems import Problem
    from .context import LintContext

Check = Callable[["LintContext"], Iterator["Problem"]]


@dataclass(frozen=True, slots=True)
class Rule:
    info: CodeInfo
    check: Check | None  # None: reported by the loader or schema step, not a graph check

    @property
    def code(self) -> str:
        return self.info.code


RULES: dict[str, Rule] = {code: Rule(info, None) for code, info in CODES.items()}


def rule(code: str) -> Callable[[Check], Check]:
    """Register ``check`` as the implementation of ``code``."""

    def register(check: Check) -> Check:
        if RULES[code].check is not None:
            raise ValueError(f"{code} is registered twice")
        RULES[code] = Rule(CODES[code], check)
        return check

    return register
