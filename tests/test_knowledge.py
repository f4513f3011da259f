"""The numbered-graph data flow in checks/knowledge.py agrees with the generic
`graphalg.must_dataflow` formulation of the same analysis, on random libraries."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from scriptflow.checks.context import LintConfig, LintContext, NodeKey
from scriptflow.checks.graphalg import must_dataflow
from scriptflow.checks.knowledge import analyse
from scriptflow.checks.runner import check_document
from scriptflow.format.model import Node, Script
from scriptflow.format.reader import find_script_files, read_document
from scriptflow.format.yamlload import load_text

from .conftest import SCRIPTS


def reference(ctx: LintContext) -> tuple[dict[str, int], dict[NodeKey, int]]:
    """The analysis written plainly over tuple keys and the generic fixpoint."""
    bits: dict[str, int] = {}
    for script in ctx.scripts.values():
        for key in script.facts:
            bits.setdefault(key, 1 << len(bits))
    universe = (1 << len(bits)) - 1
    nodes: dict[NodeKey, Node] = {}
    adj: dict[NodeKey, list[NodeKey]] = {}
    entries: dict[NodeKey, int] = {}
    for script in ctx.scripts.values():
        if not script.complete:
            continue
        if script.start in script.nodes:
            entries[(script.id, script.start)] = 0
        for node in script.nodes.values():
            here = (script.id, node.id)
            nodes[here] = node
            succ = [(script.id, t) for t in ctx.intra_adjacency[script.id][node.id]]
            target = ctx.target_entry(node)
            if node.type == "handoff" and target is not None:
                succ.append(target)
            elif node.type == "call" and node.target_node and target is not None:
                entries[target] = 0
            adj[here] = succ
    for vertex in list(adj):
        adj[vertex] = [s for s in adj[vertex] if s in adj]

    def mask(keys: tuple[str, ...]) -> int:
        return sum(bits.get(k, 0) for k in set(keys))

    may_invalidate = dict.fromkeys(ctx.scripts, 0)
    for (sid, _nid), node in nodes.items():
        may_invalidate[sid] |= mask(node.invalidates)
    summary = dict.fromkeys(ctx.scripts, universe)

    def transfer(key: NodeKey, known: int) -> int:
        node = nodes[key]
        if node.asks:
            return (known & ~mask(node.invalidates)) | bits.get(node.fact or "", 0)
        if node.type == "call":
            callee = node.target_script or ""
            return (known & ~may_invalidate.get(callee, universe)) | summary.get(callee, 0)
        return known

    while True:
        known_at = must_dataflow(adj, entries, transfer, universe)
        at_outcomes: dict[str, int] = {}
        for key, node in nodes.items():
            if node.type == "outcome" and key in known_at:
                at_outcomes[key[0]] = at_outcomes.get(key[0], universe) & known_at[key]
        new_summary = {sid: at_outcomes.get(sid, 0) for sid in ctx.scripts}
        if new_summary == summary:
            return bits, known_at
        summary = new_summary


def context(scripts: list[Script]) -> LintContext:
    return LintContext({s.id: s for s in scripts}, scripts, {}, LintConfig())


FACTS = [f"f{i}" for i in range(4)]


@st.composite
def libraries(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Scripts with loops, invalidations, handoffs (to starts and to nodes) and calls."""
    count = draw(st.integers(1, 4))
    sizes = [draw(st.integers(2, 6)) for _ in range(count)]
    library = []
    for index, size in enumerate(sizes):
        names = [f"n{i}" for i in range(size)]
        nodes: dict[str, Any] = {}
        for name in names:
            kind = draw(st.sampled_from(["question", "action", "decision", "handoff", "call",
                                         "outcome"]))
            other = draw(st.integers(0, count - 1))
            if kind in ("question", "action"):
                node: dict[str, Any] = {"type": kind, "fact": draw(st.sampled_from(FACTS)),
                                        "prompt" if kind == "question" else "instruction": "?",
                                        "branches": {"yes": draw(st.sampled_from(names)),
                                                     "no": draw(st.sampled_from(names))}}
                forgets = draw(st.lists(st.sampled_from(FACTS), max_size=2, unique=True))
                if forgets:
                    node["invalidates"] = forgets
            elif kind == "decision":
                node = {"type": "decision", "routes": [
                    {"when": f"known({draw(st.sampled_from(FACTS))})",
                     "goto": draw(st.sampled_from(names))},
                    {"goto": draw(st.sampled_from(names))}]}
            elif kind == "handoff":
                node = {"type": "handoff", "script": f"s{other}"}
                if draw(st.booleans()):
                    node["node"] = f"n{draw(st.integers(0, sizes[other] - 1))}"
            elif kind == "call":
                node = {"type": "call", "script": f"s{other}",
                        "next": draw(st.sampled_from(names))}
                if draw(st.booleans()):
                    node["node"] = f"n{draw(st.integers(0, sizes[other] - 1))}"
            else:
                node = {"type": "outcome", "result": "resolved"}
            nodes[name] = node
        library.append({"scriptflow": 1, "id": f"s{index}", "start": "n0",
                        "facts": {f: {"type": "boolean"} for f in FACTS}, "nodes": nodes})
    return library


def _scripts(texts: list[str]) -> list[Script]:
    built = [check_document(load_text(text, f"s{i}.yaml"))[0] for i, text in enumerate(texts)]
    return [s for s in built if s is not None]


@given(libraries())
def test_numbered_analysis_agrees_with_the_generic_fixpoint(
        library: list[dict[str, Any]]) -> None:
    ctx = context(_scripts([yaml.safe_dump(s, sort_keys=False) for s in library]))
    found = analyse(ctx)
    bits, known_at = reference(ctx)
    assert found.bits == bits
    assert found.known_at == known_at


def test_bundled_library_agrees() -> None:
    scripts = [check_document(read_document(p))[0] for p in find_script_files([SCRIPTS])]
    ctx = context([s for s in scripts if s is not None])
    found = analyse(ctx)
    bits, known_at = reference(ctx)
    assert found.bits == bits
    assert found.known_at == known_at
    assert any(found.known_at.values())  # something is known somewhere: not a vacuous match


@given(libraries())
def test_group_by_group_knows_what_the_whole_library_knows(
        library: list[dict[str, Any]]) -> None:
    """Facts are numbered per group: nothing flows between groups, so each script's own
    facts are known at the same nodes as in one analysis of the whole library."""
    from scriptflow.checks.groups import script_groups

    scripts = _scripts([yaml.safe_dump(s, sort_keys=False) for s in library])
    whole = analyse(context(scripts))
    by_id = {s.id: s for s in scripts}
    seen: dict[NodeKey, set[str]] = {}
    for group in script_groups(by_id):
        part = analyse(context([by_id[sid] for sid in group]))
        for key in part.known_at:
            seen[key] = part.known(key) & by_id[key[0]].facts.keys()
    assert seen.keys() == whole.known_at.keys()
    for key, known in seen.items():
        assert known == whole.known(key) & by_id[key[0]].facts.keys()
