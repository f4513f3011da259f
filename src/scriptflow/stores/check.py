"""Which stored sessions a new version of the library would strand.

Run before publishing changed scripts: a session in progress stands on a node; if
that node (or its script, or a call node it will return to) is gone or now asks
something else, the customer's next answer would fail. Finished sessions never strand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.serial import resume_problem
from ..errors import ResumeError, StoreError

if TYPE_CHECKING:
    from ..library import Library
    from .base import Store


@dataclass(frozen=True, slots=True)
class Stranded:
    """A stored active session that would not resume, and why."""

    id: str
    script: str   # where it stands now
    node: str
    reason: str
    corrupt: bool = False   # unreadable stored data rather than a changed library


def stranded(store: Store, library: Library, script: str | None = None) -> list[Stranded]:
    """Every active session in ``store`` (that started in ``script``, if given) that
    ``library`` would strand, oldest update first. Reads only the heads."""
    out: list[Stranded] = []
    for info in reversed(store.list(script=script, status="active")):
        try:
            reason = resume_problem(library, store.head(info.id))
        except (ResumeError, StoreError) as exc:
            out.append(Stranded(info.id, info.current_script, info.node, str(exc), True))
            continue
        if reason is not None:
            out.append(Stranded(info.id, info.current_script, info.node, reason))
    return out
