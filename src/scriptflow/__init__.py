"""scriptflow: guided troubleshooting scripts that never ask a customer twice.

The public API is small and imported lazily, so ``scriptflow lint`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AnswerError",
    "ConflictError",
    "CorruptSessionError",
    "Library",
    "LibraryError",
    "LintReport",
    "ManualClock",
    "Outcome",
    "Problem",
    "Prompt",
    "ResumeError",
    "ScriptNotFoundError",
    "ScriptflowError",
    "Session",
    "SessionError",
    "StoreError",
    "Tracker",
    "__version__",
    "lint",
    "load_library",
    "open_store",
]

_WHERE = {
    "AnswerError": "errors",
    "ConflictError": "errors",
    "CorruptSessionError": "errors",
    "LibraryError": "errors",
    "ResumeError": "errors",
    "ScriptNotFoundError": "errors",
    "ScriptflowError": "errors",
    "SessionError": "errors",
    "StoreError": "errors",
    "LintReport": "problems",
    "Problem": "problems",
    "Library": "library",
    "load_library": "library",
    "lint": "checks.runner",
    "Session": "engine.session",
    "Prompt": "engine.flow",
    "Outcome": "engine.flow",
    "Tracker": "engine.tracker",
    "ManualClock": "engine.clock",
    "open_store": "stores",
}

if TYPE_CHECKING:
    from .checks.runner import lint
    from .engine.clock import ManualClock
    from .engine.flow import Outcome, Prompt
    from .engine.session import Session
    from .engine.tracker import Tracker
    from .errors import (
        AnswerError,
        ConflictError,
        CorruptSessionError,
        LibraryError,
        ResumeError,
        ScriptflowError,
        ScriptNotFoundError,
        SessionError,
        StoreError,
    )
    from .library import Library, load_library
    from .problems import LintReport, Problem
    from .stores import open_store


def __getattr__(name: str) -> Any:
    module_name = _WHERE.get(name)
    if module_name is None:
        raise AttributeError(f"module 'scriptflow' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value
