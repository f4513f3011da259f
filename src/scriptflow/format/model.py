"""The in-memory form of a script: facts, nodes and routes, each knowing where it was written.

Built straight from a loaded :class:`~scriptflow.format.yamlload.Document`; parts the
schema rejected are left out (and remembered as ``broken``) so later checks do not
report the same mistake again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

from ..codes import make_problem
from ..problems import Problem
from .document import Document, Mark, Path
from .expr import Expression, ExpressionError, parse

NODE_TYPES = ("question", "action", "decision", "handoff", "call", "outcome")
PROMPT_TYPES = ("question", "action")
RESULTS = ("resolved", "escalated", "unresolved", "referred")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TTL_RE = re.compile(r"([0-9]+)([smhd])")
_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


_T = TypeVar("_T")


def pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Pickle as the constructor and its arguments: a third smaller and faster to load
    than the default for slotted classes (the lint cache holds thousands of these)."""
    values = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: _T) -> tuple[type[_T], tuple[Any, ...]]:
        return (cls, values(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


def parse_ttl(text: str) -> float:
    """Seconds in a ttl such as ``30m`` or ``1h30m``."""
    return float(sum(int(n) * _TTL_UNITS[u] for n, u in _TTL_RE.findall(text)))


@pickled_by_fields
@dataclass(slots=True)
class Fact:
    key: str
    type: str
    script: str
    mark: Mark
    options: tuple[str, ...] = ()
    label: str = ""
    description: str = ""
    ttl: float | None = None
    reask: str = "skip"
    sensitive: bool = False
    pattern: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        """The values ``branches`` may name: options, or yes/no for a boolean."""
        if self.type == "boolean":
            return ("yes", "no")
        return self.options

    def signature(self) -> tuple[str, frozenset[str]]:
        """What must agree between two declarations of the same key."""
        return (self.type, frozenset(self.options))


@pickled_by_fields
@dataclass(slots=True)
class Route:
    goto: str
    goto_mark: Mark
    when: Expression | None = None
    when_text: str | None = None
    when_mark: Mark | None = None
    bad_expression: bool = False


@pickled_by_fields
@dataclass(slots=True)
class Node:
    id: str
    type: str
    script: str
    mark: Mark  # the node's key
    text: str = ""  # prompt, instruction or message
    text_mark: Mark | None = None
    fact: str | None = None
    fact_mark: Mark | None = None
    reask: str | None = None
    next: str | None = None
    next_mark: Mark | None = None
    branches: dict[str, str] = field(default_factory=dict)
    branch_marks: dict[str, tuple[Mark, Mark]] = field(default_factory=dict)  # key, value
    branches_mark: Mark | None = None  # the `branches` key
    routes: list[Route] = field(default_factory=list)
    invalidates: tuple[str, ...] = ()
    invalidates_marks: tuple[Mark, ...] = ()
    target_script: str | None = None  # handoff / call
    target_script_mark: Mark | None = None
    target_node: str | None = None
    target_node_mark: Mark | None = None
    result: str | None = None
    code: str | None = None

    def targets(self) -> list[tuple[str, str, Mark]]:
        """Every node this node can go to in its own script: (node, label, mark)."""
        found: list[tuple[str, str, Mark]] = []
        if self.next is not None and self.next_mark is not None:
            found.append((self.next, "next", self.next_mark))
        for value, target in self.branches.items():
            found.append((target, value, self.branch_marks[value][1]))
        for route in self.routes:
            found.append((route.goto, route.when_text or "otherwise", route.goto_mark))
        return found

    @property
    def asks(self) -> bool:
        return self.type in PROMPT_TYPES


@pickled_by_fields
@dataclass(slots=True)
class Script:
    id: str
    path: str
    content_hash: str
    start: str
    start_mark: Mark
    id_mark: Mark
    version: Any = None
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    broken_nodes: set[str] = field(default_factory=set)
    broken_facts: set[str] = field(default_factory=set)
    node_order: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when nothing in the script was rejected by the schema."""
        return not self.broken_nodes and not self.broken_facts


def content_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_script(doc: Document, broken: set[Path]) -> tuple[Script | None, list[Problem]]:
    """The model of a schema-checked document, plus SF205 problems for bad expressions.

    Returns no script when the top level itself is broken (no usable id or start).
    """
    data = doc.data
    if () in broken or not isinstance(data, dict):
        return None, []
    problems: list[Problem] = []
    sid: str = data["id"]
    script = Script(
        id=sid, path=doc.path, content_hash=content_hash(doc.text), start=data["start"],
        start_mark=doc.mark(("start",)), id_mark=doc.mark(("id",)),
        version=data.get("version"), title=data.get("title", sid),
        description=data.get("description", ""), tags=tuple(data.get("tags", ())),
    )
    for key, raw in (data.get("facts") or {}).items():
        if ("facts", key) in broken:
            script.broken_facts.add(key)
            continue
        if "pattern" in raw:
            try:
                re.compile(raw["pattern"])
            except re.error as exc:
                line, column = doc.mark(("facts", key, "pattern"))
                problems.append(make_problem(
                    "SF101", doc.path, line, column, f"pattern of fact {key!r} is not a valid "
                    f"regular expression: {exc}", script=sid,
                    hint="check brackets and escapes; in YAML, quote the pattern"))
                script.broken_facts.add(key)
                continue
        script.facts[key] = _build_fact(key, raw, sid, doc)
    for index, (node_id, raw) in enumerate((data.get("nodes") or {}).items()):
        script.node_order[node_id] = index
        if ("nodes", node_id) in broken:
            script.broken_nodes.add(node_id)
            continue
        node = _build_node(node_id, raw, sid, doc, problems)
        script.nodes[node_id] = node
    return script, problems


def _build_fact(key: str, raw: dict[str, Any], sid: str, doc: Document) -> Fact:
    ttl = raw.get("ttl")
    return Fact(
        key=key, type=raw["type"], script=sid, mark=doc.key_mark(("facts", key)),
        options=tuple(raw.get("options", ())), label=raw.get("label", ""),
        description=raw.get("description", ""),
        ttl=parse_ttl(ttl) if isinstance(ttl, str) else None,
        reask=raw.get("reask", "skip"), sensitive=bool(raw.get("sensitive", False)),
        pattern=raw.get("pattern"), max_length=raw.get("max_length"),
        minimum=raw.get("min"), maximum=raw.get("max"), integer=bool(raw.get("integer", False)),
    )


def _build_node(node_id: str, raw: dict[str, Any], sid: str, doc: Document,
                problems: list[Problem]) -> Node:
    base: Path = ("nodes", node_id)
    kind = raw["type"]
    node = Node(id=node_id, type=kind, script=sid, mark=doc.key_mark(base))
    for text_key in ("prompt", "instruction", "message"):
        if text_key in raw:
            node.text = raw[text_key]
            node.text_mark = doc.mark((*base, text_key))
    if "fact" in raw:
        node.fact = raw["fact"]
        node.fact_mark = doc.mark((*base, "fact"))
    node.reask = raw.get("reask")
    if "next" in raw:
        node.next = raw["next"]
        node.next_mark = doc.mark((*base, "next"))
    if "branches" in raw:
        node.branches_mark = doc.key_mark((*base, "branches"))
    for value, target in (raw.get("branches") or {}).items():
        node.branches[value] = target
        node.branch_marks[value] = (doc.key_mark((*base, "branches", value)),
                                    doc.mark((*base, "branches", value)))
    for i, raw_route in enumerate(raw.get("routes") or ()):
        route = Route(goto=raw_route["goto"], goto_mark=doc.mark((*base, "routes", i, "goto")))
        if "when" in raw_route:
            route.when_text = raw_route["when"]
            route.when_mark = doc.mark((*base, "routes", i, "when"))
            try:
                route.when = parse(raw_route["when"])
            except ExpressionError as exc:
                route.bad_expression = True
                line, column = doc.locate(route.when_mark, raw_route["when"], exc.offset)
                problems.append(make_problem(
                    "SF205", doc.path, line, column, f"bad condition {raw_route['when']!r}: "
                    f"{exc}", script=sid, node=node_id))
        node.routes.append(route)
    invalidates = raw.get("invalidates") or ()
    node.invalidates = tuple(invalidates)
    node.invalidates_marks = tuple(doc.mark((*base, "invalidates", i))
                                   for i in range(len(invalidates)))
    if kind in ("handoff", "call"):
        node.target_script = raw["script"]
        node.target_script_mark = doc.mark((*base, "script"))
        if "node" in raw:
            node.target_node = raw["node"]
            node.target_node_mark = doc.mark((*base, "node"))
    node.result = raw.get("result")
    node.code = raw.get("code")
    return node
