"""Flow rules: where a customer can get to, get stuck, be asked in vain or asked too much."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from ..format.model import PLACEHOLDER_RE, Script
from ..problems import Problem
from .context import LintContext
from .graphalg import (
    cycle_through,
    longest_weighted_path,
    reachable,
    reverse,
    strongly_connected,
)
from .knowledge import Knowledge, analyse
from .registry import rule


def knowledge(ctx: LintContext) -> Knowledge:
    """The data-flow result, computed once per lint run and shared by SF402 and SF404."""
    found = ctx.memo.get("knowledge")
    if not isinstance(found, Knowledge):
        found = ctx.memo["knowledge"] = analyse(ctx)
    return found


def _roots(ctx: LintContext, script: Script) -> list[str]:
    roots = [script.start] if script.start in script.nodes else []
    roots += sorted(ctx.external_entries.get(script.id, ()))
    return roots


def _arrow(path: list[str]) -> str:
    return " -> ".join(path)


@rule("SF301")
def unreachable_node(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        if not script.complete or ctx.is_open(script):
            continue
        seen = reachable(ctx.intra_adjacency[script.id], _roots(ctx, script))
        for node in script.nodes.values():
            if node.id not in seen:
                yield ctx.problem("SF301", script, node.mark,
                                  f"node {node.id!r} is never reached from start "
                                  f"{script.start!r}", node=node.id,
                                  hint="link it from another node, or remove it")


@rule("SF302")
def no_way_out(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        if not script.complete:
            continue
        adj = ctx.intra_adjacency[script.id]
        ends = [n.id for n in script.nodes.values()
                if n.type in ("outcome", "handoff") or ctx.has_unknown_target(script, n)]
        can_finish = reachable(reverse(adj), ends)
        trapped = reachable(adj, _roots(ctx, script)) - can_finish
        if not trapped:
            continue
        sub = {v: [w for w in adj[v] if w in trapped] for v in trapped}
        order = script.node_order
        for component in strongly_connected(sub):
            members = set(component)
            leaves = any(w not in members for v in component for w in sub[v])
            if leaves:
                continue  # it drains into another trap, reported there
            first = min(component, key=order.__getitem__)
            cycle = cycle_through(sub, first, members)
            shown = _arrow(cycle) if len(cycle) > 1 else first
            yield ctx.problem("SF302", script, script.nodes[first].mark,
                              f"no outcome or handoff can be reached from {first!r}: "
                              f"{shown}", node=first,
                              hint="give one of these nodes a way to an outcome or handoff")


@rule("SF303", scope="library")
def handoff_loop(ctx: LintContext) -> Iterator[Problem]:
    adj: dict[str, list[str]] = {}
    via: dict[tuple[str, str], str] = {}
    for sid in sorted(ctx.scripts):
        script = ctx.scripts[sid]
        adj[sid] = []
        for node in script.nodes.values():
            target = node.target_script
            if target in ctx.scripts and target not in adj[sid]:
                adj[sid].append(target)
                via[(sid, target)] = node.id
    for component in strongly_connected(adj):
        members = set(component)
        if len(component) == 1 and component[0] not in adj[component[0]]:
            continue
        first = min(component)
        cycle = cycle_through(adj, first, members)
        script = ctx.scripts[first]
        node = script.nodes[via[(first, cycle[1])]]
        yield ctx.problem("SF303", script, node.target_script_mark,
                          f"scripts hand off or call each other in a cycle: {_arrow(cycle)}",
                          node=node.id, hint="make sure the loop ends; scriptflow stops a "
                          "session that goes round with nothing new learned")


@rule("SF401", scope="library")
def fact_conflict(ctx: LintContext) -> Iterator[Problem]:
    for key, decls in ctx.facts_by_key.items():
        first = decls[0]
        for other in decls[1:]:
            if other.signature() != first.signature():
                script = ctx.scripts[other.script]
                first_script = ctx.scripts[first.script]
                yield ctx.problem(
                    "SF401", script, other.mark,
                    f"fact {key!r} is declared as {_describe(other)} here but as "
                    f"{_describe(first)} in {first_script.path}:{first.mark[0]}",
                    hint="a fact key is one fact across the library; make the declarations "
                         "agree or rename one")


def _describe(fact: object) -> str:
    kind = getattr(fact, "type", "?")
    options = getattr(fact, "options", ())
    return f"{kind} [{', '.join(options)}]" if options else str(kind)


@rule("SF402")
def always_skipped(ctx: LintContext) -> Iterator[Problem]:
    know = knowledge(ctx)
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            if not node.asks or node.fact is None or node.fact not in script.facts:
                continue
            fact = script.facts[node.fact]
            policy = node.reask or fact.reask
            if policy != "skip" or fact.ttl is not None:
                continue
            if know.is_known((script.id, node.id), node.fact):
                yield ctx.problem("SF402", script, node.mark,
                                  f"{node.type} {node.id!r} is never asked: {node.fact!r} is "
                                  "already known on every path to it", node=node.id,
                                  hint="remove it; or, if something in between changes the "
                                       "answer, list the fact in that action's `invalidates`;"
                                       " or set `reask: confirm` or `reask: always`")


@rule("SF403")
def unused_fact(ctx: LintContext) -> Iterator[Problem]:
    for script in ctx.scripts.values():
        used: set[str] = set()
        for node in script.nodes.values():
            if node.fact:
                used.add(node.fact)
            used.update(node.invalidates)
            used.update(PLACEHOLDER_RE.findall(node.text))
            for route in node.routes:
                if route.when is not None:
                    used.update(route.when.facts)
        if script.broken_nodes or ctx.has_unknown_fact(script):
            continue  # a misspelt reference would make its intended fact look unused
        for fact in script.facts.values():
            if fact.key not in used:
                yield ctx.problem("SF403", script, fact.mark,
                                  f"fact {fact.key!r} is declared but nothing asks or reads it",
                                  hint="remove it, or use it")


@rule("SF404")
def maybe_unknown(ctx: LintContext) -> Iterator[Problem]:
    know = knowledge(ctx)
    for script in ctx.scripts.values():
        for node in script.nodes.values():
            key = (script.id, node.id)
            if not node.routes or not know.reached(key):
                continue
            own = {node.fact} if node.asks and node.fact else set()
            forgotten = set(node.invalidates) - own
            for route in node.routes:
                if route.when is None:
                    continue
                for fact in sorted(route.when.unguarded_reads()):
                    if fact not in script.facts or fact in own:
                        continue
                    if know.is_known(key, fact) and fact not in forgotten:
                        continue
                    yield ctx.problem(
                        "SF404", script, route.when_mark,
                        f"condition reads {fact!r}, which may be unknown here (not learned on "
                        f"every path to {node.id!r}); a comparison with an unknown fact is "
                        "false", node=node.id,
                        hint=f"ask it on every path first, or guard it: `known({fact}) and …`")


@cache
def _is_end_type(kind: str) -> bool:
    return kind in ("outcome", "handoff")


@rule("SF501")
def too_many_questions(ctx: LintContext) -> Iterator[Problem]:
    limit = ctx.config.max_questions
    for script in ctx.scripts.values():
        if not script.complete or script.start not in script.nodes:
            continue
        nodes = script.nodes
        count, path = longest_weighted_path(
            ctx.intra_adjacency[script.id], script.start,
            weight=lambda n, nodes=nodes: 1 if nodes[n].asks else 0,  # type: ignore[misc]
            is_end=lambda n, nodes=nodes: _is_end_type(nodes[n].type))  # type: ignore[misc]
        if count > limit:
            asked = [n for n in path if nodes[n].asks]
            end = path[-1]
            yield ctx.problem("SF501", script, nodes[end].mark,
                              f"a path from {script.start!r} to {end!r} asks {count} questions "
                              f"(max-questions is {limit}): {_arrow(asked)}", node=end,
                              hint="split the script with a call, or skip questions the "
                                   "customer has already answered")
