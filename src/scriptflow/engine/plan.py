"""Per-node dispatch data for the session hot path, worked out once per loaded script.

A step should cost little more than a dict walk. Everything about a node that does not
depend on the session (its fact declaration, reask policy and ttl, which answers are
accepted as they are, where each answer leads, the prompt it shows) is computed the
first time a session enters its script and kept with the library, so a step only looks
things up. Plans read the loaded scripts and never change them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..format.model import Fact, Node, Script
from .answers import allowed
from .flow import Frame, Prompt
from .tracker import Value

if TYPE_CHECKING:
    from ..library import Library

_BOOLEAN_WORDS: dict[object, Value] = {"yes": True, "true": True, "y": True,
                                       "no": False, "false": False, "n": False}
_ATTRIBUTE = "_scriptflow_engine_plan"  # where a library keeps its plan


class NodePlan:
    """One node, ready to step through.

    ``exact`` maps answers accepted as they are (option strings, yes/no words) to the
    value kept; anything else goes through :func:`~scriptflow.engine.answers.check`.
    ``next``/``goto`` are the nodes a question leaves for (``goto`` keyed by the checked
    value, every option resolved, ``*`` included); ``None`` where only the general rules
    can say (routes, targets that do not exist). ``steps`` joins the two for a step's
    one lookup: ``{answer: (value kept, node it leads to)}`` for the ``exact`` answers
    whose next node is known in advance, and ``to_question`` the part of it that leads
    to a question or action (the step a session takes most). ``prompt`` is the question
    or action prompt when its text has no placeholders to fill in; ``simple`` says an
    answer here needs nothing but recording (no invalidation), and ``fast`` is the plan
    itself then.
    ``number`` is the plan's place in its library plan's ``numbered`` list: the compact
    records of a step name plans by number (see :mod:`scriptflow.engine.step`).
    """

    __slots__ = ("alone", "asks", "decl", "exact", "fast", "frame", "goto", "id", "key",
                 "kind", "next", "node", "number", "owner", "policy", "prompt", "sid", "simple",
                 "skips", "steps", "to_question", "ttl")

    def __init__(self, owner: ScriptPlan, node: Node, decl: Fact | None,
                 numbered: list[NodePlan]) -> None:
        self.owner = owner
        self.number = len(numbered)
        numbered.append(self)
        self.node = node
        self.sid, self.id = owner.script.id, node.id
        self.frame: Frame = (self.sid, node.id)
        self.alone: tuple[Frame] = (self.frame,)  # the whole stack, outside any call
        self.kind = node.type
        self.asks = node.type in ("question", "action")
        self.key = node.fact or ""
        self.decl = decl
        self.policy = node.reask or (decl.reask if decl is not None else "skip")
        self.skips = self.policy == "skip"  # passed without asking while its fact is known
        self.ttl = decl.ttl if decl is not None else None
        self.exact = _exact_answers(decl)
        self.simple = node.type == "question" or (node.type == "action"
                                                  and not node.invalidates)
        self.fast = self if self.simple else None  # what Session._fast is set to here
        self.prompt = _fixed_prompt(owner.script.id, node, decl)
        self.next: NodePlan | None = None
        self.goto: dict[Value, NodePlan] | None = None
        self.steps: dict[object, tuple[Value, NodePlan]] = {}
        self.to_question: dict[object, tuple[Value, NodePlan]] = {}

    def link(self) -> None:
        """Resolve ``next``, ``goto``, ``steps`` and ``to_question`` once every node of the
        script has a plan."""
        self._link()
        goto, onward = self.goto, self.next
        for answer, value in self.exact.items():
            target = onward if goto is None else goto.get(value)
            if target is not None:
                self.steps[answer] = (value, target)
                if target.asks:
                    self.to_question[answer] = (value, target)

    def _link(self) -> None:
        node, nodes = self.node, self.owner.nodes
        if node.next is not None:
            self.next = nodes.get(node.next)
            return
        if not node.branches or self.decl is None or not self.node.asks:
            return
        catch_all = node.branches.get("*")
        goto: dict[Value, NodePlan] = {}
        if self.decl.type == "boolean":
            keys: list[tuple[Value, str]] = [(True, "yes"), (False, "no")]
        elif self.decl.type == "choice":
            keys = [(o, o) for o in self.decl.options]
        else:
            return  # branches on open facts: str(value) decides, at run time
        for value, key in keys:
            target = nodes.get(node.branches.get(key) or catch_all or "")
            if target is not None:
                goto[value] = target
        self.goto = goto

    def __repr__(self) -> str:
        return f"<NodePlan {self.frame[0]}:{self.id} ({self.kind})>"


class ScriptPlan:
    """Every node of one script, planned; ``start`` is the start node's plan."""

    __slots__ = ("nodes", "script", "start")

    def __init__(self, plans: LibraryPlan, script: Script) -> None:
        self.script = script
        facts = plans.lib.facts
        self.nodes: dict[str, NodePlan] = {}
        for nid, node in script.nodes.items():
            key = node.fact
            decl = None if key is None else script.facts.get(key) or facts.get(key)
            self.nodes[nid] = NodePlan(self, node, decl, plans.numbered)
        for plan in self.nodes.values():
            plan.link()
        self.start = self.nodes.get(script.start)

    def node(self, nid: str) -> NodePlan:
        """The plan of node ``nid`` (KeyError when the script has no such node)."""
        return self.nodes[nid]


class LibraryPlan:
    """Script plans by id, made on first use (a library of 10,000 scripts plans only the
    ones its sessions enter).

    ``numbered`` holds every node plan ever made here, by number, including those of
    scripts replaced since: a session's records may still name them."""

    __slots__ = ("lib", "numbered", "scripts")

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.scripts: dict[str, ScriptPlan] = {}
        self.numbered: list[NodePlan] = []

    def script(self, sid: str) -> ScriptPlan:
        """The plan of script ``sid`` (KeyError when the library has no such script)."""
        script = self.lib.scripts[sid]
        plan = self.scripts.get(sid)
        if plan is None or plan.script is not script:  # a script replaced in lib.scripts
            plan = self.scripts[sid] = ScriptPlan(self, script)
        return plan

    def node(self, frame: Frame) -> NodePlan:
        """The plan of the node at ``frame`` (KeyError when there is no such node)."""
        return self.script(frame[0]).nodes[frame[1]]


def library_plan(lib: Library) -> LibraryPlan:
    """The plan kept with ``lib`` (made on first use)."""
    plan = getattr(lib, _ATTRIBUTE, None)
    if not isinstance(plan, LibraryPlan) or plan.lib is not lib:
        plan = LibraryPlan(lib)
        setattr(lib, _ATTRIBUTE, plan)
    return plan


def _exact_answers(decl: Fact | None) -> dict[object, Value]:
    """Answers :func:`~scriptflow.engine.answers.check` returns unchanged (or, for yes/no
    words, as a bool), so a step can accept them with one lookup."""
    if decl is None:
        return {}
    if decl.type == "choice":
        return {o: o for o in decl.options if o == o.strip()}
    if decl.type == "boolean":
        return dict(_BOOLEAN_WORDS)
    return {}


def _fixed_prompt(sid: str, node: Node, decl: Fact | None) -> Prompt | None:
    """The prompt of a question or action, when it is the same every time (no ``{fact}``
    to fill in); the same value :func:`~scriptflow.engine.flow.make_prompt` builds."""
    if node.type not in ("question", "action") or decl is None or "{" in node.text:
        return None
    return Prompt(sid, node.id, node.type, node.text, node.fact or "", decl.type,
                  decl.values, decl.label, allowed(decl), None, decl.sensitive)

