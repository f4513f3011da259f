"""The exception tree. Every error carries the context a caller needs to act on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .problems import Problem


class ScriptflowError(Exception):
    """Base class of every error scriptflow raises on purpose."""


class LibraryError(ScriptflowError):
    """A library could not be loaded because its scripts have errors.

    ``problems`` lists every problem found (errors and warnings), each with
    path, line, column, code and message.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        detail = "".join(f"\n  {p.format()}" for p in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(message + detail + more)


class ScriptNotFoundError(ScriptflowError, KeyError):
    """A script id that the library does not have."""

    def __init__(self, script_id: str, known: Sequence[str] = (), hint: str = "") -> None:
        self.script_id = script_id
        self.known = list(known)
        msg = f"no script {script_id!r} in the library"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class AnswerError(ScriptflowError, ValueError):
    """An answer that does not fit the fact asked; nothing in the session changed."""

    def __init__(self, message: str, *, fact: str | None, answer: Any, allowed: str = "") -> None:
        self.fact = fact
        self.answer = answer
        self.allowed = allowed
        super().__init__(message)


class SessionError(ScriptflowError):
    """The session cannot go on: a loop with nothing learned, a finished session, …"""


class ResumeError(SessionError):
    """A stored session cannot be resumed against the library as it is now."""


class StoreError(ScriptflowError):
    """A session store failed or holds data it cannot read."""


class ConflictError(StoreError):
    """A save lost a compare-and-set race: someone else saved this session first."""


class CorruptSessionError(StoreError):
    """Stored session data that cannot be read back (truncated, wrong format, …).

    ``session_id`` and ``store`` (the store's URL) say which session, where, when known;
    the message then also says how to inspect and remove it.
    """

    def __init__(self, message: str, *, session_id: str | None = None,
                 store: str | None = None) -> None:
        self.session_id = session_id
        self.store = store
        super().__init__(message)
