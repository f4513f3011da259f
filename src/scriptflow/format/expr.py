"""The condition language of `when:` — parsed once when a script loads, evaluated without eval.

Grammar (lowest precedence first)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand]
    operand    := NAME | STRING | NUMBER | "true" | "false" | list | "known" "(" NAME ")"
                | "(" expr ")"
    list       := "[" [literal ("," literal)*] "]"

A comparison that reads an unknown fact is false — so is ``x != 1`` when x is unknown,
while ``not (x == 1)`` is true. A bare fact name is true when the fact is known and
truthy. Comparing values of different kinds (a number with text) is false, never an
error. The parsed tree is compiled into closures so evaluation does no dispatch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 50
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "known"})
_MISSING = object()

Facts = Mapping[str, object]
Evaluator = Callable[[Facts], Any]


class ExpressionError(ValueError):
    """A condition that does not parse; ``offset`` is a 0-based index into ``text``."""

    def __init__(self, message: str, text: str, offset: int) -> None:
        self.message = message
        self.text = text
        self.offset = offset
        super().__init__(f"{message} at column {offset + 1}")


_TOKEN_RE = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<quote>['"])
""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, name, op, string, end
    value: Any
    offset: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {text[pos]!r}", text, pos)
        kind = match.lastgroup or ""
        if kind == "space":
            pos = match.end()
        elif kind == "quote":
            value, pos = _read_string(text, pos)
            tokens.append(_Token("string", value, match.start()))
        elif kind == "number":
            raw = match.group()
            number: float = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(_Token("number", number, pos))
            pos = match.end()
        else:
            tokens.append(_Token(kind, match.group(), pos))
            pos = match.end()
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
        elif char == quote:
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise ExpressionError(f"unterminated string starting at column {start + 1}", text, start)


# --- the tree -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Node:
    kind: str  # or, and, not, cmp, fact, literal, list, known
    args: tuple[Any, ...]


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "string":
        return f"text {token.value!r}"
    return repr(str(token.value))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def error(self, expected: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.peek()
        return ExpressionError(f"expected {expected} but found {_describe(token)}",
                               self.text, token.offset)

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.value == word

    def parse(self) -> _Node:
        if not self.text.strip():
            raise ExpressionError("empty condition", self.text, 0)
        node = self.or_expr()
        if self.peek().kind != "end":
            raise self.error("'and', 'or' or the end of the condition")
        return node

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"condition nested deeper than {MAX_DEPTH} levels",
                                  self.text, self.peek().offset)

    def or_expr(self) -> _Node:
        self.nested()
        parts = [self.and_expr()]
        while self.is_word("or"):
            self.take()
            parts.append(self.and_expr())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else _Node("or", tuple(parts))

    def and_expr(self) -> _Node:
        parts = [self.not_expr()]
        while self.is_word("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else _Node("and", tuple(parts))

    def not_expr(self) -> _Node:
        if self.is_word("not"):
            self.take()
            self.nested()
            inner = self.not_expr()
            self.depth -= 1
            return _Node("not", (inner,))
        return self.comparison()

    def comparison(self) -> _Node:
        left = self.operand()
        token = self.peek()
        op: str | None = None
        if token.kind == "op" and token.value in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take().value
        elif self.is_word("in"):
            self.take()
            op = "in"
        elif self.is_word("not") and self.tokens[self.pos + 1].kind == "name" \
                and self.tokens[self.pos + 1].value == "in":
            self.take()
            self.take()
            op = "not in"
        if op is None:
            return left
        right = self.operand(after=op)
        nxt = self.peek()
        if nxt.kind == "op" and nxt.value in ("==", "!=", "<", "<=", ">", ">="):
            raise ExpressionError("comparisons cannot be chained; join them with 'and'",
                                  self.text, nxt.offset)
        return _Node("cmp", (op, left, right))

    def operand(self, after: str | None = None) -> _Node:
        token = self.take()
        if token.kind in ("string", "number"):
            return _Node("literal", (token.value,))
        if token.kind == "op" and token.value == "(":
            inner = self.or_expr()
            if self.peek().kind == "op" and self.peek().value == ")":
                self.take()
                return inner
            raise self.error("')'")
        if token.kind == "op" and token.value == "[":
            return self.list_literal()
        if token.kind == "name":
            word = token.value
            if word in ("true", "false"):
                return _Node("literal", (word == "true",))
            if word == "known":
                return self.known_call(token)
            if word in KEYWORDS:
                raise self.error("a value" + (f" after {after!r}" if after else ""), token)
            if self.peek().kind == "op" and self.peek().value == "(":
                raise ExpressionError(f"unknown function {word!r} (only known(fact) is "
                                      "allowed)", self.text, token.offset)
            return _Node("fact", (word,))
        raise self.error("a value" + (f" after {after!r}" if after else ""), token)

    def known_call(self, token: _Token) -> _Node:
        if not (self.peek().kind == "op" and self.peek().value == "("):
            raise self.error("'(' after known")
        self.take()
        name = self.take()
        if name.kind != "name" or name.value in KEYWORDS:
            raise self.error("a fact name inside known()", name)
        if not (self.peek().kind == "op" and self.peek().value == ")"):
            raise self.error("')' to close known(")
        self.take()
        return _Node("known", (name.value,))

    def list_literal(self) -> _Node:
        items: list[Any] = []
        if self.peek().kind == "op" and self.peek().value == "]":
            self.take()
            return _Node("list", (tuple(items),))
        while True:
            token = self.take()
            if token.kind in ("string", "number"):
                items.append(token.value)
            elif token.kind == "name" and token.value in ("true", "false"):
                items.append(token.value == "true")
            else:
                raise self.error("a literal value in the list", token)
            sep = self.take()
            if sep.kind == "op" and sep.value == "]":
                return _Node("list", (tuple(items),))
            if not (sep.kind == "op" and sep.value == ","):
                raise self.error("',' or ']'", sep)


# --- evaluation -----------------------------------------------------------------------

def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_kind(a: object, b: object) -> bool:
    if _is_number(a) and _is_number(b):
        return True
    return type(a) is type(b)


def _compare(op: str, a: object, b: object) -> bool:
    if op == "in" or op == "not in":
        if not isinstance(b, (tuple, list)):
            return False
        found = any(_same_kind(a, item) and a == item for item in b)
        return found if op == "in" else not found
    if not _same_kind(a, b):
        return False
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, (bool, list, tuple)):
        return False  # ordering booleans or lists means nothing to an author
    try:
        if op == "<":
            return bool(a < b)  # type: ignore[operator]
        if op == "<=":
            return bool(a <= b)  # type: ignore[operator]
        if op == ">":
            return bool(a > b)  # type: ignore[operator]
        return bool(a >= b)  # type: ignore[operator]
    except TypeError:
        return False


def _compile_value(node: _Node) -> Evaluator:
    """An evaluator returning the operand's value, or _MISSING for an unknown fact."""
    if node.kind == "fact":
        key = node.args[0]
        return lambda facts: facts.get(key, _MISSING)
    if node.kind == "literal":
        value = node.args[0]
        return lambda facts: value
    if node.kind == "list":
        items = node.args[0]
        return lambda facts: items
    test = _compile(node)
    return lambda facts: test(facts)


def _compile(node: _Node) -> Callable[[Facts], bool]:
    kind = node.kind
    if kind == "or":
        parts = tuple(_compile(p) for p in node.args)
        return lambda facts: any(p(facts) for p in parts)
    if kind == "and":
        parts = tuple(_compile(p) for p in node.args)
        return lambda facts: all(p(facts) for p in parts)
    if kind == "not":
        inner = _compile(node.args[0])
        return lambda facts: not inner(facts)
    if kind == "known":
        key = node.args[0]
        return lambda facts: key in facts
    if kind == "fact":
        key = node.args[0]
        return lambda facts: bool(facts.get(key, False))
    if kind == "literal":
        value = bool(node.args[0])
        return lambda facts: value
    if kind == "list":
        value = bool(node.args[0])
        return lambda facts: value
    op, left, right = node.args
    get_left, get_right = _compile_value(left), _compile_value(right)

    def compare(facts: Facts) -> bool:
        a, b = get_left(facts), get_right(facts)
        if a is _MISSING or b is _MISSING:
            return False
        return _compare(op, a, b)

    return compare


# --- analysis -------------------------------------------------------------------------

def _facts(node: _Node, found: set[str]) -> None:
    if node.kind in ("fact", "known"):
        found.add(node.args[0])
    elif node.kind in ("or", "and", "not"):
        for part in node.args:
            _facts(part, found)
    elif node.kind == "cmp":
        _facts(node.args[1], found)
        _facts(node.args[2], found)


def _known_guards(node: _Node) -> set[str]:
    """Facts certainly known when ``node`` is true (known(x) conjuncts)."""
    if node.kind == "known":
        return {node.args[0]}
    if node.kind == "and":
        found: set[str] = set()
        for part in node.args:
            found |= _known_guards(part)
        return found
    return set()


def _unknown_guards(node: _Node) -> set[str]:
    """Facts certainly known when ``node`` is false (`not known(x)` disjuncts)."""
    if node.kind == "not":
        return _known_guards(node.args[0])
    if node.kind == "or":
        found: set[str] = set()
        for part in node.args:
            found |= _unknown_guards(part)
        return found
    return set()


def _unguarded(node: _Node, guarded: frozenset[str], found: set[str]) -> None:
    kind = node.kind
    if kind == "fact":
        if node.args[0] not in guarded:
            found.add(node.args[0])
    elif kind == "cmp":
        _unguarded(node.args[1], guarded, found)
        _unguarded(node.args[2], guarded, found)
    elif kind == "not":
        _unguarded(node.args[0], guarded, found)
    elif kind == "and":
        current = set(guarded)
        for part in node.args:
            _unguarded(part, frozenset(current), found)
            current |= _known_guards(part)  # later conjuncts run only if this one held
    elif kind == "or":
        current = set(guarded)
        for part in node.args:
            _unguarded(part, frozenset(current), found)
            current |= _unknown_guards(part)  # later disjuncts run only if this one failed


def _comparisons(node: _Node, found: list[tuple[str, str, object]]) -> None:
    if node.kind in ("or", "and", "not"):
        for part in node.args:
            _comparisons(part, found)
    elif node.kind == "cmp":
        op, left, right = node.args
        flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
        if left.kind == "fact" and right.kind in ("literal", "list"):
            literal = right.args[0]
            if right.kind == "list":
                found.extend((left.args[0], op, item) for item in literal)
            else:
                found.append((left.args[0], op, literal))
        elif right.kind == "fact" and left.kind == "literal" and op not in ("in", "not in"):
            found.append((right.args[0], flipped.get(op, op), left.args[0]))


@dataclass(frozen=True)
class Expression:
    """A parsed condition. ``evaluate(facts)`` takes known values only (unknown = absent)."""

    text: str
    facts: frozenset[str]
    _tree: _Node = field(repr=False, compare=False)
    _test: Callable[[Facts], bool] = field(repr=False, compare=False)

    def evaluate(self, facts: Facts) -> bool:
        return bool(self._test(facts))

    def unguarded_reads(self) -> frozenset[str]:
        """Facts read outside the protection of a ``known(fact)`` guard."""
        found: set[str] = set()
        _unguarded(self._tree, frozenset(), found)
        return frozenset(found)

    def comparisons(self) -> list[tuple[str, str, object]]:
        """``(fact, op, literal)`` for each comparison of a fact with a literal (or list item)."""
        found: list[tuple[str, str, object]] = []
        _comparisons(self._tree, found)
        return found


@lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse a condition; raises :class:`ExpressionError` and nothing else.

    Expressions are immutable, so the same condition text (common across a library)
    is parsed once.
    """
    if not isinstance(text, str):
        raise ExpressionError("a condition must be text", str(text), 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"condition longer than {MAX_LENGTH} characters", text,
                              MAX_LENGTH)
    tree = _Parser(text).parse()
    found: set[str] = set()
    _facts(tree, found)
    return Expression(text, frozenset(found), tree, _compile(tree))
