"""Which scripts' problems depend on which other scripts, and outlines of scripts.

A script's problems depend on another script only through a few links (the rules that
follow them are in brackets):

- a handoff or call that enters another script at a named node: the entered script
  depends on the one entering (its node is entered from outside: SF301, SF302; what
  is known there comes from the entering script: SF402, SF404), and the entering one
  on the entered one's node names (the node must exist: SF201).
- a call: the caller depends on what the called script learns and forgets (SF402,
  SF404) and on the results it can end with, following its handoffs (SF304).

A handoff to another script's start carries nothing: a start is an entry where nothing
is known yet, so the handoff needs only the script to exist (SF203; and its node names
when it names the start). So a script's problems are a function of its file and the
files it depends on, directly or not, plus library-wide names in two hints: SF202's (a
fact declared elsewhere) and SF203's (a script with a similar name). The cache
(:mod:`.incremental`) reuses them on that basis.

Scripts joined by dependencies either way form a *group*: the group rules run one group
at a time (:func:`.runner.run_groups`), so the data flow numbers only a group's facts.

An *outline* keeps what the library-wide rules and the grouping need from a script: its
header, its handoff and call nodes, and the key, type, options and place of each fact.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ..format.document import Mark
from ..format.model import Fact, Node, Script, pickled_by_fields
from .context import has_unknown_fact

LINK_TYPES = ("handoff", "call")
# key, type, options, place: what SF401 compares and SF202's hint names. Plain tuples
# load ~8x faster than Fact objects, which are most of an outline otherwise.
FactOutline = tuple[str, str, tuple[str, ...], Mark]


@pickled_by_fields
@dataclass(slots=True)
class Outline:
    """What lint needs from a file to group it and run the library-wide rules."""

    path: str
    script: Script | None  # header and links only; None when no script was built
    facts: tuple[FactOutline, ...] = ()
    node_names: str = ""  # a digest of the script's node ids, what a named link reads
    unknown_fact: bool = False  # names an undeclared fact: SF202's hint looks elsewhere
    ignores: dict[int, frozenset[str]] = field(default_factory=dict)  # inline ignores

    def moved_to(self, path: str) -> Outline:
        if path == self.path:
            return self
        script = replace(self.script, path=path) if self.script is not None else None
        return replace(self, path=path, script=script)


def outline(path: str, script: Script | None, ignores: dict[int, frozenset[str]]) -> Outline:
    if script is None:
        return Outline(path, None, (), "", False, ignores)
    links = {n.id: n for n in script.nodes.values() if n.type in LINK_TYPES}
    facts = tuple((f.key, f.type, f.options, f.mark) for f in script.facts.values())
    names = hashlib.sha256("\0".join(script.node_order).encode()).hexdigest()
    return Outline(path, replace(script, nodes=links, node_order={}, facts={}), facts,
                   names, has_unknown_fact(script), ignores)


def outline_facts(outlines: Iterable[Outline], unique: Mapping[str, Script],
                  shared_only: bool = False) -> dict[str, list[Fact]]:
    """Declarations of each fact key in the scripts of ``unique``, in library order, as
    :func:`.context.facts_by_key` finds them in whole scripts (key, type, options and
    place filled in: all that the library-wide uses read). ``shared_only``: keys that
    more than one script declares, all that SF401 needs."""
    declared = [(item.script.id, item.facts) for item in outlines if item.script is not None
                and unique.get(item.script.id) is item.script]
    wanted: Container[str] | None = None
    if shared_only:
        counts = Counter(fact[0] for _sid, facts in declared for fact in facts)
        wanted = {key for key, count in counts.items() if count > 1}
    found: dict[str, list[Fact]] = {}
    for sid, facts in declared:
        for key, kind, options, mark in facts:
            if wanted is None or key in wanted:
                found.setdefault(key, []).append(Fact(key, kind, sid, mark, options))
    return found


def links(script: Script) -> Iterable[Node]:
    """The handoff and call nodes of a script (or of its outline), in order."""
    return (n for n in script.nodes.values() if n.type in LINK_TYPES)


@dataclass(slots=True)
class Dependencies:
    """For each script (unique ids, in library order), the scripts its problems read."""

    needs: dict[str, list[str]]  # whole scripts
    peeks: dict[str, list[str]]  # only their node names: a link's named node must exist


def dependencies(scripts: Mapping[str, Script]) -> Dependencies:
    """What each of ``scripts`` depends on directly (see the module's docstring).

    A call makes the caller need the callee, and every script the callee's handoffs
    lead to (through the callee and each of those needing the next: more than needed,
    simpler). Works as well on outlines as on whole scripts: only links are read.
    """
    needs: dict[str, list[str]] = {sid: [] for sid in scripts}
    peeks: dict[str, list[str]] = {sid: [] for sid in scripts}
    called: list[str] = []
    for script in scripts.values():
        for node in links(script):
            target = node.target_script or ""
            if target not in scripts:
                continue
            if node.type == "call":
                needs[script.id].append(target)
                called.append(target)
            if node.target_node is None:
                continue
            if node.target_node != scripts[target].start:  # a start is an entry anyway
                needs[target].append(script.id)  # entered there from outside
            if node.type != "call":
                peeks[script.id].append(target)
    seen = set(called)
    while called:
        script = scripts[called.pop()]
        for node in links(script):
            target = node.target_script or ""
            if node.type == "handoff" and target in scripts:
                needs[script.id].append(target)
                if target not in seen:
                    seen.add(target)
                    called.append(target)
    return Dependencies(needs, peeks)


def script_groups(scripts: Mapping[str, Script]) -> list[list[str]]:
    """Ids of ``scripts`` (unique ids, in library order) joined by dependencies either
    way, in that order: no script's problems depend on a script outside its group."""
    parent = {sid: sid for sid in scripts}

    def root(sid: str) -> str:
        while parent[sid] != sid:
            parent[sid] = parent[parent[sid]]
            sid = parent[sid]
        return sid

    found = dependencies(scripts)
    for edges in (found.needs, found.peeks):
        for sid, others in edges.items():
            for other in others:
                a, b = root(sid), root(other)
                if a != b:
                    parent[b] = a
    groups: dict[str, list[str]] = {}
    for sid in scripts:
        groups.setdefault(root(sid), []).append(sid)
    return list(groups.values())


def reads_library(scripts: Iterable[Outline], names: Mapping[str, object]) -> bool:
    """True when some problem of these scripts would quote library-wide names in a hint:
    an undeclared fact (SF202) or a script that does not exist (SF203)."""
    for item in scripts:
        if item.unknown_fact:
            return True
        if item.script is not None and any((n.target_script or "") not in names
                                           for n in links(item.script)):
            return True
    return False
