"""Reference rules: every name a script uses must point at something that exists."""

from __future__ import annotations

from collections.abc import Iterator

from ..format.model import PLACEHOLDER_RE, RESULTS, Node, Script
from ..format.schema import did_you_mean
from ..problems import Problem
from .context import LintContext
from .registry import rule


def _fact_hint(ctx: LintContext, script: Script, key: str) -> str:
    hint = did_you_mean(key, script.facts)
    if hint:
        return hint
    elsewhere = ctx.facts_by_key.get(key)
    if elsewhere:
        return f"it is declared in script {elsewhere[0].script!r}; declare it here too"
    return "declare it under `facts:`"


@rule("SF201")
def unknown_node(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        known = script.node_order
        if script.start not in known:
            yield ctx.problem("SF201", script, script.start_mark,
                              f"start names no node: {script.start!r}",
                              hint=did_you_mean(script.start, known))
        for node in script.nodes.values():
            for target, label, mark in node.targets():
                if target not in known:
                    via = "next" if label == "next" else (
                        f"branch {label!r}" if label in node.branches else "route")
                    yield ctx.problem("SF201", script, mark,
                                      f"{via} of node {node.id!r} goes to {target!r}, "
                                      "which is not a node of this script",
                                      node=node.id, hint=did_you_mean(target, known))
            if node.target_node is not None:
                target_script = ctx.scripts.get(node.target_script or "")
                if target_script is not None and node.target_node not in target_script.node_order:
                    yield ctx.problem(
                        "SF201", script, node.target_node_mark,
                        f"{node.type} {node.id!r} enters script {target_script.id!r} at "
                        f"{node.target_node!r}, which is not a node of that script",
                        node=node.id, hint=did_you_mean(node.target_node,
                                                        target_script.node_order))


def _fact_uses(node: Node) -> Iterator[tuple[str, object, str]]:
    """(fact key, mark, where) for every fact a node names."""
    if node.fact is not None:
        yield node.fact, node.fact_mark, "fact"
    for key, mark in zip(node.invalidates, node.invalidates_marks, strict=True):
        yield key, mark, "invalidates"
    for route in node.routes:
        if route.when is not None:
            for key in sorted(route.when.facts):
                yield key, route.when_mark, "condition"
    for key in PLACEHOLDER_RE.findall(node.text):
        yield key, node.text_mark, "placeholder"


def _where_used(ctx: LintContext, script: Script, mark: object, key: str, where: str) -> object:
    """Point at the placeholder itself rather than at the start of the text."""
    doc = ctx.documents.get(script.path)
    if where != "placeholder" or doc is None or mark is None:
        return mark
    return doc.locate(mark, "{" + key + "}")  # type: ignore[arg-type]


@rule("SF202")
def unknown_fact(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        declared = script.facts.keys() | script.broken_facts
        for node in script.nodes.values():
            for key, mark, where in _fact_uses(node):
                if key not in declared:
                    mark = _where_used(ctx, script, mark, key, where)
                    what = {"fact": "asks", "invalidates": "invalidates",
                            "condition": "reads", "placeholder": "shows"}[where]
                    shown = f"{{{key}}}" if where == "placeholder" else repr(key)
                    yield ctx.problem("SF202", script, mark,  # type: ignore[arg-type]
                                      f"node {node.id!r} {what} {shown}, which is not a "
                                      "declared fact", node=node.id,
                                      hint=_fact_hint(ctx, script, key))


@rule("SF203")
def unknown_script(ctx: LintContext) -> Iterator[Problem]:
    names = ctx.names
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            if node.target_script is not None and node.target_script not in names:
                yield ctx.problem("SF203", script, node.target_script_mark,
                                  f"{node.type} {node.id!r} names script "
                                  f"{node.target_script!r}, which is not in the library",
                                  node=node.id, hint=did_you_mean(node.target_script, names))


@rule("SF204", scope="library")
def duplicate_script(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.all_scripts:
        first = ctx.scripts.get(script.id)
        if first is not None and first is not script:
            line, _col = first.id_mark
            yield ctx.problem("SF204", script, script.id_mark,
                              f"script id {script.id!r} is already used; first defined at "
                              f"{first.path}:{line}", hint="give this script another id")


@rule("SF205")
def bad_expression(ctx: LintContext) -> Iterator[Problem]:
    # Reported while the script is built (the parse error carries the position).
    return iter(())


def callee_results(ctx: LintContext, node: Node) -> set[str] | None:
    """Results the script a call enters can end with (following its handoffs)."""
    entry = ctx.target_entry(node)
    if entry is None:
        return None
    results: set[str] = set()
    seen: set[tuple[str, str]] = set()
    todo = [entry]
    while todo:
        sid, start = todo.pop()
        if (sid, start) in seen:
            continue
        seen.add((sid, start))
        script = ctx.scripts[sid]
        if not script.complete:
            return None
        adj = ctx.intra_adjacency[sid]
        stack, visited = [start], {start}
        while stack:
            current = script.nodes[stack.pop()]
            if current.type == "outcome" and current.result:
                results.add(current.result)
            elif current.type == "handoff":
                nxt = ctx.target_entry(current)
                if nxt is None:
                    return None
                todo.append(nxt)
            for target in adj[current.id]:
                if target not in visited:
                    visited.add(target)
                    stack.append(target)
    return results


@rule("SF304")
def missing_branch(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            if not node.branches or "*" in node.branches:
                continue
            if node.type == "call":
                can_end = callee_results(ctx, node)
                if can_end is None:
                    continue
                values: tuple[str, ...] = tuple(r for r in RESULTS if r in can_end)
                what = f"script {node.target_script!r} can end with"
            else:
                fact = ctx.fact(script, node.fact)
                if fact is None or fact.type not in ("choice", "boolean"):
                    continue
                values = fact.values
                what = f"fact {fact.key!r} can be"
            missing = [v for v in values if v not in node.branches]
            if missing:
                listed = ", ".join(repr(m) for m in missing)
                yield ctx.problem("SF304", script, node.branches_mark or node.mark,
                                  f"branches of {node.id!r} have no target for {listed}, "
                                  f"which {what}", node=node.id,
                                  hint='add a branch for each, or a "*" catch-all')


@rule("SF305")
def missing_default(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            if not node.routes:
                continue
            last = node.routes[-1]
            if last.when_text is not None:
                yield ctx.problem("SF305", script, last.when_mark,
                                  f"the last route of {node.id!r} has a condition, so a "
                                  "customer for whom no condition holds has nowhere to go",
                                  node=node.id,
                                  hint="end the routes with a default: `- goto: NODE`")
            for route in node.routes[:-1]:
                if route.when_text is None:
                    yield ctx.problem("SF305", script, route.goto_mark,
                                      f"a route of {node.id!r} without `when` comes before "
                                      "others, which are then never taken", node=node.id,
                                      hint="move the default route to the end")


@rule("SF306")
def unknown_option(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            fact = ctx.fact(script, node.fact)
            if node.branches and fact is not None and fact.type in ("choice", "boolean"):
                for value in node.branches:
                    if value != "*" and value not in fact.values:
                        key_mark, _value_mark = node.branch_marks[value]
                        allowed = ", ".join(fact.values)
                        yield ctx.problem(
                            "SF306", script, key_mark,
                            f"branch {value!r} of {node.id!r} is not a value of fact "
                            f"{fact.key!r} ({allowed})", node=node.id,
                            hint=did_you_mean(value, fact.values))
            for route in node.routes:
                if route.when is None:
                    continue
                for key, _op, literal in route.when.comparisons():
                    declared = ctx.fact(script, key)
                    if (declared is not None and declared.type == "choice"
                            and isinstance(literal, str) and literal not in declared.options):
                        yield ctx.problem(
                            "SF306", script, route.when_mark,
                            f"condition compares {key!r} with {literal!r}, which is not one "
                            f"of its options ({', '.join(declared.options)})", node=node.id,
                            hint=did_you_mean(literal, declared.options))


@rule("SF307")
def branches_on_open_fact(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            fact = ctx.fact(script, node.fact)
            if node.branches and fact is not None and fact.type in ("text", "number"):
                yield ctx.problem("SF307", script, node.branches_mark or node.mark,
                                  f"node {node.id!r} branches on {fact.type} fact {fact.key!r},"
                                  " which has no fixed set of values", node=node.id,
                                  hint="use `routes` with conditions, e.g. "
                                       f"`when: \"{fact.key} >= 5\"`" if fact.type == "number"
                                  else "use `routes` with conditions or `next`")
