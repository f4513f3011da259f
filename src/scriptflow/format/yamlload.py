"""Read one YAML file into plain values plus the position of every key and value.

The document is composed once (libyaml's C parser when present) and walked once:
scalars are resolved by the YAML 1.2 core schema (``yes``/``no``/``on``/``off`` stay
strings), tags that would build objects are rejected without being constructed,
duplicate keys are reported, and alias expansion, nesting depth and file size are
bounded so that hostile input ends quickly with a problem instead of a hang.
"""

from __future__ import annotations

import gc
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

import yaml

from ..codes import NAMES, make_problem
from ..problems import Problem
from .document import Document as Document
from .document import Mark as Mark
from .document import Path as Path
from .document import paused_gc as paused_gc

try:  # libyaml's parser is several times faster; fall back to pure Python when absent
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_FLOW_SCAN = 1000
# A document without aliases visits each node once and has fewer nodes than
# characters, so anything beyond this budget can only come from alias expansion.
ALIAS_BUDGET_SLACK = 10_000



class _ComposeLoader(_BaseLoader):
    """A loader that resolves no implicit tags: every plain scalar arrives as str.

    We resolve scalars ourselves by the YAML 1.2 core schema, which PyYAML (1.1) lacks.
    """

    yaml_implicit_resolvers = {}  # noqa: RUF012 - PyYAML's own class attribute

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return _resolve_tag(self, kind, value, implicit)


class _PyComposeLoader(yaml.SafeLoader):
    """Pure-Python twin, for documents whose flow nesting could overflow libyaml's C stack."""

    yaml_implicit_resolvers = {}  # noqa: RUF012 - PyYAML's own class attribute

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return _resolve_tag(self, kind, value, implicit)


def _resolve_tag(loader: Any, kind: Any, value: Any, implicit: Any) -> str:
    # Untagged plain scalars get a private tag so `!!str 12` stays told apart from `12`.
    if kind is yaml.ScalarNode and implicit[0]:
        return _PLAIN
    return str(yaml.resolver.BaseResolver.resolve(  # type: ignore[no-untyped-call]
        loader, kind, value, implicit))


_FLOW_CHARS = re.compile(r"[\[\]{}]")


def _flow_depth(text: str, limit: int) -> int:
    """Cheap upper bound on flow nesting, counted up to ``limit`` + 1.

    Brackets inside quotes are counted too, so it may over-count; it is only used to
    keep libyaml's recursive C composer away from absurdly nested input.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    for match in _FLOW_CHARS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


_STR = "tag:yaml.org,2002:str"
_PLAIN = "tag:scriptflow,2026:plain"
_SAFE_TAGS = {
    _PLAIN: "plain",
    _STR: "str",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:map": "map",
    "tag:yaml.org,2002:seq": "seq",
    "!": "str",
}

_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")
_MAYBE_SPECIAL = frozenset("-+.0123456789~nNtTfF")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})

_INTERN_UP_TO = 40
IGNORE_RE = re.compile(r"#\s*scriptflow:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under the YAML 1.2 core schema."""
    if text and text[0] not in _MAYBE_SPECIAL:
        return text
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _INT_RE.match(text):
        return int(text)
    if _OCT_RE.match(text):
        return int(text[2:], 8)
    if _HEX_RE.match(text):
        return int(text[2:], 16)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return -math.inf if text[0] == "-" else math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text


class _Walker:
    """Turns a composed node tree into plain values, recording marks and problems."""

    def __init__(self, doc: Document, budget: int) -> None:
        self.doc = doc
        self.budget = budget
        self.active: set[int] = set()
        self.value_marks = doc.value_marks
        self.key_marks = doc.key_marks

    def problem(self, code: str, node: yaml.Node, message: str, hint: str = "") -> None:
        m = node.start_mark
        self.doc.problems.append(
            make_problem(code, self.doc.path, m.line + 1, m.column + 1, message, hint=hint)
        )

    def walk(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Abort(node, "aliases expand to far more values than the file holds "
                               "(a 'billion laughs' document?)")
        if depth > MAX_DEPTH:
            raise _Abort(node, f"nesting deeper than {MAX_DEPTH} levels")
        m = node.start_mark
        self.value_marks[path] = (m.line + 1, m.column + 1)
        tag = node.tag
        kind = _SAFE_TAGS.get(tag)
        if kind is None:
            self.doc.rejected.add(path)
            self.problem("SF104", node, f"tag {_short_tag(tag)!r} would construct an object; "
                         "scriptflow reads plain YAML only",
                         hint="remove the tag and write the value as plain YAML")
            return None
        if isinstance(node, yaml.ScalarNode):
            value: str = node.value
            if tag == _PLAIN:
                resolved = resolve_plain(value)
                # Ids and fact names recur across nodes and files: share one copy.
                return sys.intern(resolved) if type(resolved) is str and len(
                    resolved) <= _INTERN_UP_TO else resolved
            return _explicit_scalar(kind, value, node.style) if kind != "str" else value
        ident = id(node)
        if ident in self.active:
            raise _Abort(node, "an alias refers to a value that contains it (recursive alias)")
        self.active.add(ident)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.walk(item, (*path, i), depth + 1)
                        for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self.walk_mapping(node, path, depth)
        finally:
            self.active.discard(ident)

    def walk_mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem("SF101", key_node, "a mapping key must be plain text, "
                             "not a list or mapping")
                continue
            if key_node.tag not in _SAFE_TAGS:
                self.problem("SF104", key_node, f"tag {_short_tag(key_node.tag)!r} would "
                             "construct an object; scriptflow reads plain YAML only",
                             hint="remove the tag")
                continue
            # Keys are names: keep the text as written (`true:` stays "true").
            key = sys.intern(key_node.value)
            if key_node.value == "<<" and key_node.tag == _PLAIN:
                self.problem("SF101", key_node, "merge keys ('<<') are not part of YAML 1.2 "
                             "and are not supported", hint="write the keys out")
                continue
            child: Path = (*path, key)
            km = key_node.start_mark
            if key in result:
                first = self.key_marks[child]
                self.problem("SF102", key_node, f"duplicate key {key!r} (first at line "
                             f"{first[0]}); YAML would silently keep only the last one",
                             hint="rename or merge the two entries")
                continue
            self.key_marks[child] = (km.line + 1, km.column + 1)
            result[key] = self.walk(value_node, child, depth + 1)
        return result


class _Abort(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _explicit_scalar(kind: str, value: str, style: str | None) -> Any:
    """An explicitly tagged core scalar such as ``!!int "3"``; bad text stays a string."""
    resolved = resolve_plain(value)
    expected: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}.get(kind)
    if expected is not None and isinstance(resolved, expected):
        if kind == "float":
            return float(resolved)
        return resolved
    return value


def _scan_ignores(text: str) -> dict[int, frozenset[str]]:
    if "scriptflow:" not in text:
        return {}
    found: dict[int, frozenset[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" in line:
            match = IGNORE_RE.search(line)
            if match:
                codes = {NAMES.get(c.strip(), c.strip().upper())
                         for c in match.group(1).split(",") if c.strip()}
                found[number] = frozenset(codes)
    return found


def load_text(text: str, path: str = "<string>") -> Document:
    """Parse ``text``; problems go in ``Document.problems``, never raised."""
    doc = Document(path=path, text=text)
    if len(text) > MAX_FILE_BYTES:
        doc.problems.append(make_problem(
            "SF100", path, 1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB",
            hint="split it into several scripts"))
        return doc
    doc.ignores = _scan_ignores(text)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # see paused_gc()
    try:
        flow_depth = _flow_depth(text, MAX_FLOW_SCAN)
        if flow_depth > MAX_FLOW_SCAN:
            doc.problems.append(make_problem("SF100", path, 1, 1,
                                             f"nesting deeper than {MAX_DEPTH} levels"))
            return doc
        loader = _PyComposeLoader if flow_depth > MAX_DEPTH else _ComposeLoader
        root = yaml.compose(text, Loader=loader)
        if root is None:
            return doc
        walker = _Walker(doc, budget=len(text) + ALIAS_BUDGET_SLACK)
        doc.data = walker.walk(root, (), 0)
    except _Abort as abort:
        m = abort.node.start_mark
        doc.problems.append(make_problem("SF100", path, m.line + 1, m.column + 1, abort.message))
        doc.data = None
    except yaml.MarkedYAMLError as exc:
        doc.problems.append(_syntax_problem(exc, path, len(text.splitlines())))
    except yaml.YAMLError as exc:  # errors without a position (e.g. reader errors)
        doc.problems.append(make_problem("SF100", path, 1, 1, _one_line(str(exc))))
    except RecursionError:
        doc.problems.append(make_problem("SF100", path, 1, 1,
                                         f"nesting deeper than {MAX_DEPTH} levels"))
    finally:
        if gc_was_enabled:
            gc.enable()
    if doc.problems and any(p.code == "SF100" for p in doc.problems):
        doc.data = None
    return doc


def load_bytes(raw: bytes, path: str) -> Document:
    """Decode UTF-8 (a BOM is allowed) and parse; undecodable bytes are an SF100."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc = Document(path=path, text="")
        doc.problems.append(make_problem(
            "SF100", path, line, column, f"the file is not UTF-8 text (byte {exc.start})",
            hint="save the file as UTF-8"))
        return doc
    return load_text(text, path)


def _syntax_problem(exc: yaml.MarkedYAMLError, path: str, lines: int) -> Problem:
    """The SF100 for a YAML syntax error in a file of ``lines`` lines."""
    mark = exc.problem_mark or exc.context_mark
    if mark is not None and exc.context_mark is not None and mark.line >= lines:
        # Something left open (a quote, a bracket) that the parser noticed only at the
        # end, past the last line: point where it began.
        mark = exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "; ".join(parts) or "invalid YAML"
    hint = ""
    if "expected a single document" in message:
        message = "the file holds more than one YAML document; a script is one document"
    elif "mapping values are not allowed" in message:
        hint = "text that contains ': ' must be quoted, or written as a block (`prompt: >-`)"
    elif "found character '\\t'" in message or "found character '\t'" in message:
        hint = "indent with spaces, not tabs"
    return make_problem("SF100", path, line, column, _one_line(message), hint=hint)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def iter_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path in a plain value tree (used by tests and the schema cross-check)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from iter_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_paths(item, (*path, i))
