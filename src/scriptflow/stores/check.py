"""Which stored sessions a new version of the library would strand.

Run before publishing changed scripts: a session in progress stands on a node; if
that node (or its script, or a call node it will return to) is gone or now asks
something else, the customer's next answer would fail. Finished sessions never strand.
A session whose stored data cannot be read would fail just the same, so it is listed
too (as corrupt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.serial import resume_problem
from ..errors import CorruptSessionError, ResumeError, StoreError
from .base import SessionNotFoundError

if TYPE_CHECKING:
    from ..library import Library
    from .base import SessionInfo, Store


@dataclass(frozen=True, slots=True)
class Stranded:
    """A stored active session that would not resume, and why."""

    id: str
    script: str   # where it stands now ('' when its listing cannot be read)
    node: str
    reason: str
    corrupt: bool = False   # unreadable stored data rather than a changed library


def stranded(store: Store, library: Library, script: str | None = None,
             listed: list[SessionInfo] | None = None) -> list[Stranded]:
    """Every active session in ``store`` (that started in ``script``, if given) that
    ``library`` would strand, oldest update first, then those whose listing fields cannot
    be read (their status and script unknown, they are listed whatever ``script``).

    Reads each session whole, events and state log too: a session whose head is fine
    but whose events are corrupt fails on its next answer as surely as a stranded one.
    ``listed``, when given, receives the active sessions that were checked."""
    unlisted: list[Stranded] = []

    def unreadable(exc: CorruptSessionError) -> None:
        unlisted.append(Stranded(exc.session_id or "?", "", "", str(exc), True))

    infos = store.list(script=script, status="active", on_corrupt=unreadable)
    if listed is not None:
        listed.extend(infos)
    out: list[Stranded] = []
    for info in reversed(infos):
        try:
            # The head alone names what changed in the library, in a person's words;
            # resume_problem raises ResumeError only for a head it cannot read.
            reason = resume_problem(library, store.head(info.id))
        except SessionNotFoundError:
            continue  # deleted or expired since it was listed
        except (ResumeError, StoreError) as exc:
            out.append(Stranded(info.id, info.current_script, info.node, str(exc), True))
            continue
        if reason is None:
            try:
                store.load(library, info.id)
            except SessionNotFoundError:
                continue
            except ResumeError as exc:  # saved again meanwhile, onto a changed node
                reason = str(exc)
            except StoreError as exc:
                out.append(Stranded(info.id, info.current_script, info.node, str(exc),
                                    True))
                continue
        if reason is not None:
            out.append(Stranded(info.id, info.current_script, info.node, reason))
    return out + unlisted
