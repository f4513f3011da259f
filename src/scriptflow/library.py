"""A loaded library of scripts: what a helpdesk app serves sessions from."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .checks.context import LintConfig
from .checks.runner import lint_files
from .errors import LibraryError, ScriptNotFoundError
from .format.model import Fact, Node, Script
from .format.reader import find_script_files
from .format.schema import did_you_mean
from .problems import Problem

if TYPE_CHECKING:
    import networkx as nx

    from .engine.session import Session


def _shared_declarations(scripts: Iterable[Script]) -> list[Script]:
    """``scripts``, with what makes a fact's value private or short-lived shared by every
    declaration of it: ``sensitive`` in any script is sensitive in all, and its ``ttl``
    is the shortest any script gives it.

    A value travels between scripts with the tracker. Without this, a script declaring
    the fact plainly would show in its messages, events and summaries what the script
    that asked for it masks (an audit found an account number in clear that way), and a
    script whose author said the value goes stale after 30 minutes would skip its
    question on a value learned hours before in a script without a ttl. A script whose
    declarations change is a new object; the others stay as they are.
    """
    listed = list(scripts)
    sensitive: set[str] = set()
    shortest: dict[str, float] = {}
    for script in listed:
        for key, fact in script.facts.items():
            if fact.sensitive:
                sensitive.add(key)
            if fact.ttl is not None and fact.ttl < shortest.get(key, float("inf")):
                shortest[key] = fact.ttl
    shared = []
    for script in listed:
        changed = {key: replace(fact, sensitive=fact.sensitive or key in sensitive,
                                ttl=shortest.get(key))
                   for key, fact in script.facts.items()
                   if (key in sensitive and not fact.sensitive)
                   or shortest.get(key) != fact.ttl}
        shared.append(replace(script, facts={**script.facts, **changed}) if changed
                      else script)
    return shared


class Library(Mapping[str, Script]):
    """Scripts by id, checked as a whole. Use :func:`load_library` to make one."""

    def __init__(self, scripts: Iterable[Script], problems: Iterable[Problem] = ()) -> None:
        self.scripts: dict[str, Script] = {s.id: s for s in _shared_declarations(scripts)}
        self.problems: list[Problem] = list(problems)  # warnings left after loading
        self._graph: nx.DiGraph | None = None
        self._facts: dict[str, Fact] | None = None

    # Mapping protocol: lib["router-no-internet"], "id" in lib, iteration over ids
    def __getitem__(self, script_id: str) -> Script:
        try:
            return self.scripts[script_id]
        except KeyError:
            raise ScriptNotFoundError(script_id, sorted(self.scripts),
                                      did_you_mean(script_id, self.scripts)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.scripts)

    def __len__(self) -> int:
        return len(self.scripts)

    def __repr__(self) -> str:
        return f"<Library of {len(self.scripts)} scripts>"

    def node(self, script_id: str, node_id: str) -> Node:
        return self[script_id].nodes[node_id]

    @property
    def facts(self) -> dict[str, Fact]:
        """Every fact key in the library (declarations agree, so the first one speaks)."""
        if self._facts is None:
            facts: dict[str, Fact] = {}
            for script in self.scripts.values():
                for key, fact in script.facts.items():
                    facts.setdefault(key, fact)
            self._facts = facts
        return self._facts

    @property
    def graph(self) -> nx.DiGraph:
        """The whole library as a networkx DiGraph keyed ``"script-id:node-id"``."""
        if self._graph is None:
            from .graph import build_graph  # networkx is slow to import; only when asked

            self._graph = build_graph(self)
        return self._graph

    def start(self, script_id: str, facts: Mapping[str, Any] | None = None,
              **options: Any) -> Session:
        """Start a session at ``script_id``'s start node. See :class:`scriptflow.Session`."""
        from .engine.session import Session

        return Session.start(self, script_id, facts=facts, **options)


def load_library(*paths: str | os.PathLike[str], config: LintConfig | None = None,
                 cache: bool = True, cache_dir: str | os.PathLike[str] | None = None
                 ) -> Library:
    """Load and check every script under ``paths`` (folders are searched recursively).

    Raises :class:`LibraryError` (with ``.problems``) when any error is found, and
    ``FileNotFoundError`` for a path that does not exist. Files are read the way
    ``scriptflow lint`` reads them, through the same cache (``.scriptflow-cache/`` in
    the current folder unless ``cache_dir`` or ``$SCRIPTFLOW_CACHE_DIR`` say otherwise;
    ``cache=False`` or ``SCRIPTFLOW_NO_CACHE=1`` turn it off).
    """
    from .cache import open_cache

    if not paths:
        raise TypeError("load_library() needs at least one path")
    report, ctx = lint_files(find_script_files(paths), config,
                             cache=open_cache(cache, cache_dir))
    if report.errors:
        where = ", ".join(os.fspath(p) for p in paths)
        raise LibraryError(f"the library at {where} has {len(report.errors)} error(s)",
                           report.problems)
    return Library(ctx.scripts.values(), report.problems)
