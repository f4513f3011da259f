"""The code → rule registry. A rule is a small function that yields problems.

Most rules look at one group of scripts at a time (scripts that enter or call each
other, see :mod:`.groups`), so lint can reuse a group's problems while its files are
unchanged. The few that compare every script with every other (``scope="library"``)
run over outlines of all scripts instead, on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..codes import CODES, CodeInfo

if TYPE_CHECKING:
    from ..problems import Problem
    from .context import LintContext

Check = Callable[["LintContext"], Iterator["Problem"]]
Scope = Literal["group", "library"]


@dataclass(frozen=True, slots=True)
class Rule:
    info: CodeInfo
    check: Check | None  # None: reported by the loader or schema step, not a graph check
    scope: Scope = "group"

    @property
    def code(self) -> str:
        return self.info.code


RULES: dict[str, Rule] = {code: Rule(info, None) for code, info in CODES.items()}


def rule(code: str, scope: Scope = "group") -> Callable[[Check], Check]:
    """Register ``check`` as the implementation of ``code``.

    A ``group`` rule sees one group of scripts (``ctx.scripts``) and may look up names
    library-wide (``ctx.names``, ``ctx.facts_by_key``); a ``library`` rule sees every
    script as an outline: its header, facts and handoff and call nodes only.
    """

    def register(check: Check) -> Check:
        if RULES[code].check is not None:
            raise ValueError(f"{code} is registered twice")
        RULES[code] = Rule(CODES[code], check, scope)
        return check

    return register
