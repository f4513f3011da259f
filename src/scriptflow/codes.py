"""The table of problem codes: name, default severity and what each one means.

It sits at the bottom of the package so the loader (which reports SF1xx itself)
and the checks (which implement the rest) share one source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problems import Problem, Severity


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str


_TABLE: tuple[tuple[str, str, Severity, str, str], ...] = (
    ("SF100", "yaml-syntax", "error", "the file is not YAML",
     "The file could not be parsed as a YAML document: a syntax error, more than one "
     "document, text that is not UTF-8, or a file too large or too deeply nested to be a "
     "script. The position is where the parser gave up."),
    ("SF101", "schema", "error", "the document breaks schemas/script.schema.json",
     "A key or value does not fit the script format: a misspelled key, a missing required "
     "key, a value of the wrong type. The position is the offending value (or the mapping "
     "that lacks a required key). `scriptflow schema` prints the schema."),
    ("SF102", "duplicate-key", "error", "a mapping repeats a key",
     "YAML loaders silently keep the last of two equal keys, so the first one's content is "
     "lost without a word. Rename one of them or merge them."),
    ("SF103", "format-version", "error", "`scriptflow:` missing or not a supported version",
     "Every script starts with `scriptflow: 1`, the version of the format it is written "
     "in, so that a later format can be told apart."),
    ("SF104", "unsafe-tag", "error", "a YAML tag that would construct an object",
     "Tags such as `!!python/object` or custom `!Tags` ask a YAML loader to build objects; "
     "scriptflow reads plain YAML only and never constructs them. Remove the tag."),
    ("SF201", "unknown-node", "error", "a reference names no node",
     "`start`, `next`, a branch target, a route's `goto`, or a handoff's or call's `node` "
     "must name a node that exists (in the target script for handoffs and calls)."),
    ("SF202", "unknown-fact", "error", "a reference names an undeclared fact",
     "A node's `fact`, an expression, an `invalidates` entry or a `{placeholder}` in a "
     "prompt, instruction or message names a fact the script does not declare under "
     "`facts:`."),
    ("SF203", "unknown-script", "error", "a handoff or call names no script in the library",
     "The `script:` of a handoff or call must be the `id` of a script in the library."),
    ("SF204", "duplicate-script", "error", "two files declare the same id",
     "Script ids are unique in a library; handoffs and sessions find scripts by id."),
    ("SF205", "bad-expression", "error", "a `when` expression does not parse",
     "Conditions use a small language: fact names, literals, lists, comparisons, `in`, "
     "`not in`, `and`, `or`, `not`, parentheses and `known(fact)`."),
    ("SF301", "unreachable-node", "warning", "no path from start reaches the node",
     "A node that no path from `start` (or from a handoff or call into this script) "
     "reaches is dead text: nobody is ever guided through it."),
    ("SF302", "no-way-out", "error", "a reachable node from which no outcome or handoff can be "
     "reached", "A customer who reaches this node can never finish: every way on leads back "
     "into the same loop. Add a route to an outcome or a handoff."),
    ("SF303", "handoff-loop", "warning", "scripts hand off to (or call) each other in a cycle",
     "Scripts that hand off to each other in a circle can bounce a customer around; the "
     "session engine stops such a loop when nothing new is learned, but it is usually a "
     "design slip."),
    ("SF304", "missing-branch", "error", "branches leave an option without a target",
     "`branches` must give a target for every option of a choice fact, for both `yes` and "
     "`no` of a boolean fact, and for every result a called script can end with, unless a "
     "`\"*\"` catch-all is present."),
    ("SF305", "missing-default", "error", "routes whose last route has a `when`",
     "When no condition holds the session needs somewhere to go: the last route has no "
     "`when` and is the default. A route without `when` anywhere else hides the routes "
     "after it."),
    ("SF306", "unknown-option", "error", "a branch key that is not an option of the fact",
     "A branch key (or a value compared with a choice fact in a `when`) that the fact can "
     "never take is never followed: usually a typo."),
    ("SF307", "branches-on-open-fact", "error", "`branches` on a text or number fact",
     "Text and number facts have no fixed set of values to branch on; use `routes` with "
     "conditions such as `modem_age_years >= 5`."),
    ("SF401", "fact-conflict", "error", "one fact key declared differently in two scripts",
     "A fact key is one fact across the library: what one script learns, the next one "
     "skips. Its declarations must agree on type and options."),
    ("SF402", "always-skipped", "warning", "a question whose fact is known on every path to it",
     "With `reask: skip` (the default) a question whose fact is already known is not "
     "shown. If every path to it has already learned the fact, it is never asked."),
    ("SF403", "unused-fact", "warning", "a declared fact that nothing asks or reads",
     "A fact declared under `facts:` that no node asks, no expression reads, no action "
     "invalidates and no text names."),
    ("SF404", "maybe-unknown", "warning", "a `when` reads a fact that may be unknown",
     "A comparison that reads an unknown fact is false, which silently sends the customer "
     "down the default route. Ask the fact first on every path, or guard the read with "
     "`known(fact) and …`."),
    ("SF501", "too-many-questions", "warning", "a path asks more than max-questions",
     "Every prompt is customer effort. A path from start to an outcome that asks more than "
     "`max-questions` (default 15) questions and actions should be split or shortened."),
)

CODES: dict[str, CodeInfo] = {row[0]: CodeInfo(*row) for row in _TABLE}
NAMES: dict[str, str] = {info.name: code for code, info in CODES.items()}


def make_problem(
    code: str,
    path: str,
    line: int,
    column: int,
    message: str,
    *,
    hint: str = "",
    script: str | None = None,
    node: str | None = None,
) -> Problem:
    """A problem with its code's name and default severity filled in."""
    info = CODES[code]
    return Problem(code, info.name, info.severity, path, line, column, message, hint,
                   script, node)
