"""What every rule can look at: the scripts of the library and quick lookups over them."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from functools import cached_property

from ..codes import make_problem
from ..format.document import Document, Mark
from ..format.model import PLACEHOLDER_RE, Fact, Node, Script
from ..problems import Problem

NodeKey = tuple[str, str]  # (script id, node id)


@dataclass(slots=True)
class LintConfig:
    """``[tool.scriptflow.lint]``: codes to ignore, severity overrides, limits."""

    ignore: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)
    max_questions: int = 15


@dataclass
class LintContext:
    """The scripts a rule checks: the whole library, or one group of it (see
    :mod:`.groups`), with library-wide lookups either way."""

    scripts: dict[str, Script]  # one per id: the first file that declared it
    all_scripts: list[Script]  # every script built, duplicates included
    documents: dict[str, Document]
    config: LintConfig
    memo: dict[str, object] = field(default_factory=dict)  # results shared between rules
    # For a group: every script id and fact declaration of the library (None: the
    # library is ``scripts`` itself).
    library_names: Set[str] | None = None
    library_facts: dict[str, list[Fact]] | None = None

    def problem(self, code: str, script: Script, mark: Mark | None, message: str, *,
                node: str | None = None, hint: str = "") -> Problem:
        line, column = mark if mark is not None else (1, 1)
        return make_problem(code, script.path, line, column, message, hint=hint,
                            script=script.id, node=node)

    @property
    def names(self) -> Set[str]:
        """Every script id in the library."""
        return self.library_names if self.library_names is not None else self.scripts.keys()

    @cached_property
    def facts_by_key(self) -> dict[str, list[Fact]]:
        """Declarations of each fact key across the library, in library order."""
        if self.library_facts is not None:
            return self.library_facts
        return facts_by_key(self.scripts.values())

    def fact(self, script: Script, key: str | None) -> Fact | None:
        return script.facts.get(key) if key is not None else None

    def target_entry(self, node: Node) -> NodeKey | None:
        """The node a handoff or call leads to, when it exists."""
        target = self.scripts.get(node.target_script or "")
        if target is None:
            return None
        entry = node.target_node or target.start
        return (target.id, entry) if entry in target.nodes else None

    @cached_property
    def intra_adjacency(self) -> dict[str, dict[str, list[str]]]:
        """Per script: node → nodes it can go to inside that script (known targets only)."""
        result: dict[str, dict[str, list[str]]] = {}
        for script in self.scripts.values():
            adj: dict[str, list[str]] = {}
            for node in script.nodes.values():
                seen: list[str] = []
                for target, _label, _mark in node.targets():
                    if target in script.nodes and target not in seen:
                        seen.append(target)
                adj[node.id] = seen
            result[script.id] = adj
        return result

    @cached_property
    def external_entries(self) -> dict[str, set[str]]:
        """Per script: nodes other than start that a handoff or call enters."""
        result: dict[str, set[str]] = {}
        for script in self.scripts.values():
            for node in script.nodes.values():
                if node.type in ("handoff", "call") and node.target_node:
                    entry = self.target_entry(node)
                    if entry is not None:
                        result.setdefault(entry[0], set()).add(entry[1])
        return result

    def is_open(self, script: Script) -> bool:
        """True when the script has a reference that goes nowhere: an unknown start or
        target, or branches missing a value. Its author's intent is unclear, so rules
        that would only echo that mistake (unreachable, unused) stay quiet."""
        found = self.memo.setdefault("open", {})
        assert isinstance(found, dict)
        if script.id not in found:
            found[script.id] = script.start not in script.node_order or any(
                self.has_unknown_target(script, node) or self._misses_branch(script, node)
                for node in script.nodes.values())
        return bool(found[script.id])

    def _misses_branch(self, script: Script, node: Node) -> bool:
        if not node.branches or "*" in node.branches or node.type == "call":
            return False
        fact = self.fact(script, node.fact)
        return fact is not None and any(v not in node.branches for v in fact.values)

    def has_unknown_fact(self, script: Script) -> bool:
        return has_unknown_fact(script)

    def has_unknown_target(self, script: Script, node: Node) -> bool:
        return any(t not in script.nodes and t not in script.broken_nodes
                   for t, _l, _m in node.targets())


def facts_by_key(scripts: Iterable[Script]) -> dict[str, list[Fact]]:
    found: dict[str, list[Fact]] = {}
    for script in scripts:
        for fact in script.facts.values():
            found.setdefault(fact.key, []).append(fact)
    return found


def has_unknown_fact(script: Script) -> bool:
    """True when a node names a fact its script does not declare."""
    declared = script.facts.keys() | script.broken_facts
    for node in script.nodes.values():
        keys = [node.fact] if node.fact else []
        keys += node.invalidates
        for route in node.routes:
            keys += route.when.facts if route.when is not None else ()
        keys += PLACEHOLDER_RE.findall(node.text)
        if any(k not in declared for k in keys):
            return True
    return False
