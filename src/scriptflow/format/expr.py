"""The condition language of ``when:`` — parsed once when a script loads, evaluated without eval.

Grammar (lowest precedence first; ``or`` < ``and`` < ``not`` < comparison)::

    condition  := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [OP operand]            -- comparisons do not chain
                | operand ("in" | "not in") (list | NAME)
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    operand    := NAME | STRING | NUMBER | "true" | "false"
                | "known" "(" NAME ")" | "(" or_expr ")"
    list       := "[" [literal ("," literal)*] "]"    -- only after in / not in
    literal    := STRING | NUMBER | "true" | "false"

Strings take single or double quotes, with the escapes ``\\\\``, ``\\'`` and ``\\"``.
Numbers are ints or floats with an optional leading ``-`` (``3``, ``-2``, ``0.5``). A NAME is
a fact key, ``[A-Za-z_][A-Za-z0-9_]*``, other than the words ``and or not in true false
known``. Expressions longer than :data:`MAX_LENGTH` characters or nested (parentheses and
``not``) deeper than :data:`MAX_DEPTH` levels are rejected.

Semantics, with ``facts`` holding the known values only (an unknown fact is an absent key):

* A comparison (``== != < <= > >= in`` and ``not in``) that reads an unknown fact is
  **false**. So ``x != 1`` and ``x not in [1, 2]`` are false when ``x`` is unknown, while
  ``not (x == 1)`` is **true** — negate a whole comparison only when that is what you mean,
  or guard it: ``known(x) and x != 1``.
* Values come in three kinds: numbers (``int`` and ``float``, compared numerically; a
  ``bool`` is not a number), text (choice and text facts, string literals) and booleans.
  Comparing values of different kinds is false — whatever the operator, ``!=`` included —
  and never an error. ``< <= > >=`` order numbers, and text lexicographically; ordering
  booleans is false.
* ``x in [a, b]`` means ``x == a or x == b``; ``x not in [a, b]`` means
  ``x != a and x != b`` (so it too is false for an unknown ``x`` or an item of another kind).
* ``known(x)`` is true iff ``x`` is known.
* A bare operand used as a condition is true when it is known and truthy: ``true``, a
  non-empty text (so any choice value), a non-zero number.

The parsed tree is compiled once into nested closures, so :meth:`Expression.evaluate` does no
parsing and no dispatch on node kinds.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

__all__ = ["KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "parse"]

MAX_LENGTH: Final = 2000
MAX_DEPTH: Final = 50
KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false", "known"})

Facts = Mapping[str, object]
Scalar = str | int | float | bool
_Test = Callable[[Facts], bool]
_Getter = Callable[[Facts], object]


class ExpressionError(ValueError):
    """A condition that does not parse.

    ``message`` says what was expected and what was found; ``offset`` is the 0-based index
    into ``text`` where the problem is; ``str()`` adds the 1-based column.
    """

    def __init__(self, message: str, text: str, offset: int) -> None:
        super().__init__(f"{message} at column {offset + 1}")
        self.message = message
        self.text = text
        self.offset = offset

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, str, int]]:
        return (type(self), (self.message, self.text, self.offset))


# --- tokens ---------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",")
_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ESCAPABLE = "\\'\""
_HINTS = {
    "=>": " (did you mean '>='?)",
    "=<": " (did you mean '<='?)",
    "=": " (use '==' to compare)",
    "!": " (use 'not', or '!=' to compare)",
    "&": " (use 'and')",
    "|": " (use 'or')",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # name, number, string, symbol, end
    value: Scalar
    offset: int
    raw: str


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "string":
        return f"text {token.raw}"
    if token.kind == "number":
        return f"number {token.raw}"
    return f"'{token.raw}'"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    while pos < end:
        char = text[pos]
        if char.isspace():
            match = _SPACE.match(text, pos)
            pos = match.end() if match else pos + 1
            continue
        if char in "'\"":
            value, stop = _read_string(text, pos)
            tokens.append(_Token("string", value, pos, text[pos:stop]))
            pos = stop
            continue
        match = _NUMBER.match(text, pos)
        if match:
            raw = match.group()
            number: int | float = float(raw) if "." in raw else int(raw)
            tokens.append(_Token("number", number, pos, raw))
            pos = match.end()
            continue
        match = _NAME.match(text, pos)
        if match:
            tokens.append(_Token("name", match.group(), pos, match.group()))
            pos = match.end()
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, pos)), None)
        if symbol is None:
            hint = _HINTS.get(text[pos:pos + 2]) or _HINTS.get(char, "")
            raise ExpressionError(f"unexpected character {char!r}{hint}", text, pos)
        tokens.append(_Token("symbol", symbol, pos, symbol))
        pos += len(symbol)
    tokens.append(_Token("end", "", end, ""))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The value of the string literal opening at ``start``, and the offset just after it."""
    quote = text[start]
    out: list[str] = []
    pos, end = start + 1, len(text)
    while pos < end:
        char = text[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < end:
            escaped = text[pos + 1]
            if escaped not in _ESCAPABLE:
                raise ExpressionError(
                    f"unknown escape '\\{escaped}' in text (only \\\\, \\' and \\\" are allowed)",
                    text, pos)
            out.append(escaped)
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise ExpressionError("unterminated string starting", text, start)


# --- the tree -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Fact:
    name: str


@dataclass(frozen=True, slots=True)
class _Literal:
    value: Scalar


@dataclass(frozen=True, slots=True)
class _List:
    items: tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class _Known:
    name: str


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _And:
    parts: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    parts: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: _Node
    right: _Node


_Node = _Fact | _Literal | _List | _Known | _Not | _And | _Or | _Compare


class _Parser:
    """Recursive descent over the token list; depth is bounded by MAX_DEPTH."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0

    # helpers

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at(self, raw: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind in ("symbol", "name") and token.raw == raw

    def error(self, message: str, token: _Token) -> ExpressionError:
        return ExpressionError(message, self.text, token.offset)

    def expected(self, what: str, token: _Token | None = None) -> ExpressionError:
        token = token or self.peek()
        return self.error(f"expected {what} but found {_describe(token)}", token)

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression is nested deeper than {MAX_DEPTH} levels", token)

    def at_comparison_op(self) -> bool:
        token = self.peek()
        return ((token.kind == "symbol" and token.raw in _COMPARE_OPS) or self.at("in")
                or (self.at("not") and self.at("in", 1)))

    # grammar

    def condition(self) -> _Node:
        if self.peek().kind == "end":
            raise self.expected("a condition")
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            if self.at(")"):
                raise self.error("unmatched ')' (no '(' before it)", token)
            raise self.expected("'and', 'or' or end of expression")
        return node

    def or_expr(self) -> _Node:
        parts = [self.and_expr()]
        while self.at("or"):
            parts.append(self.and_expr(self.advance().raw))
        return parts[0] if len(parts) == 1 else _Or(tuple(parts))

    def and_expr(self, after: str | None = None) -> _Node:
        parts = [self.not_expr(after)]
        while self.at("and"):
            parts.append(self.not_expr(self.advance().raw))
        return parts[0] if len(parts) == 1 else _And(tuple(parts))

    def not_expr(self, after: str | None = None) -> _Node:
        if self.at("not"):
            token = self.advance()
            self.enter(token)
            inner = self.not_expr("not")
            self.depth -= 1
            return _Not(inner)
        return self.comparison(after)

    def comparison(self, after: str | None) -> _Node:
        left = self.operand(after)
        token = self.peek()
        if (token.kind == "symbol" and token.raw in _COMPARE_OPS) or self.at("in"):
            op = self.advance().raw
        elif self.at("not"):
            self.advance()
            if not self.at("in"):
                raise self.expected("'in' after 'not' (as in 'x not in [...]')")
            self.advance()
            op = "not in"
        else:
            return left
        start = self.peek()
        membership = op in ("in", "not in")
        right = self.operand(op, allow_list=membership)
        if membership and not isinstance(right, _List | _Fact):
            raise self.expected(f"a list or a fact after '{op}'", start)
        if self.at_comparison_op():
            found = "'not in'" if self.at("not") else _describe(self.peek())
            raise self.error(f"comparisons cannot be chained: found {found} after a "
                             "comparison (join them with 'and')", self.peek())
        return _Compare(op, left, right)

    def operand(self, after: str | None, allow_list: bool = False) -> _Node:
        token = self.peek()
        value_wanted = "a value" + (f" after '{after}'" if after else "")
        if token.kind in ("string", "number"):
            self.advance()
            return _Literal(token.value)
        if token.kind == "symbol":
            if token.raw == "(":
                self.advance()
                self.enter(token)
                inner = self.or_expr()
                if not self.at(")"):
                    raise self.expected(f"')' to close the '(' at column {token.offset + 1}")
                self.advance()
                self.depth -= 1
                return inner
            if token.raw == "[":
                if not allow_list:
                    raise self.error("a list can only follow 'in' or 'not in'", token)
                return self.list_literal()
            raise self.expected(value_wanted)
        if token.kind == "name":
            word = token.raw
            if word in ("true", "false"):
                self.advance()
                return _Literal(word == "true")
            if word == "known":
                return self.known_call()
            if word in KEYWORDS:
                raise self.expected(value_wanted)
            self.advance()
            if self.at("("):
                raise self.error(f"unknown function '{word}' (only known(fact) is allowed)",
                                 token)
            return _Fact(word)
        raise self.expected(value_wanted)

    def known_call(self) -> _Node:
        self.advance()
        if not self.at("("):
            raise self.expected("'(' after 'known'")
        self.advance()
        name = self.peek()
        if name.kind != "name" or name.raw in KEYWORDS:
            raise self.expected("a fact name inside known()")
        self.advance()
        if not self.at(")"):
            raise self.expected(f"')' after 'known({name.raw}'")
        self.advance()
        return _Known(name.raw)

    def list_literal(self) -> _Node:
        opening = self.advance()
        items: list[Scalar] = []
        if self.at("]"):
            self.advance()
            return _List(())
        while True:
            token = self.peek()
            if token.kind in ("string", "number"):
                items.append(token.value)
            elif token.kind == "name" and token.raw in ("true", "false"):
                items.append(token.raw == "true")
            else:
                raise self.expected("a literal (text, number, true or false) in the list")
            self.advance()
            if self.at("]"):
                self.advance()
                return _List(tuple(items))
            if not self.at(","):
                raise self.expected(
                    f"',' or ']' to close the list at column {opening.offset + 1}")
            self.advance()


# --- evaluation -----------------------------------------------------------------------

_MISSING: Final = object()
_OTHER, _NUMBER_KIND, _TEXT_KIND, _BOOL_KIND = 0, 1, 2, 3
_KIND_OF_TYPE: Final[dict[type, int]] = {
    int: _NUMBER_KIND, float: _NUMBER_KIND, str: _TEXT_KIND, bool: _BOOL_KIND}
_EQUALITY_KINDS: Final = frozenset({_NUMBER_KIND, _TEXT_KIND, _BOOL_KIND})
_ORDER_KINDS: Final = frozenset({_NUMBER_KIND, _TEXT_KIND})
_OPERATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
_MIRRORED: Final = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NO_ITEMS: Final[frozenset[object]] = frozenset()


def _kind(value: object) -> int:
    """Number, text, boolean or other (which includes an unknown fact)."""
    kind = _KIND_OF_TYPE.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, bool):
        return _BOOL_KIND
    if isinstance(value, int | float):
        return _NUMBER_KIND
    if isinstance(value, str):
        return _TEXT_KIND
    return _OTHER


def _truthy(value: object) -> bool:
    kind = _kind(value)
    if kind == _TEXT_KIND:
        return value != ""
    if kind == _OTHER:
        return False
    return bool(value)


def _always_false(facts: Facts) -> bool:
    return False


def _by_kind(items: Iterable[object]) -> dict[int, frozenset[object]]:
    groups: dict[int, set[object]] = {}
    for item in items:
        groups.setdefault(_kind(item), set()).add(item)
    return {kind: frozenset(group) for kind, group in groups.items()}


def _is_in(value: object, groups: dict[int, frozenset[object]]) -> bool:
    return value in groups.get(_kind(value), _NO_ITEMS)


def _is_not_in(value: object, groups: dict[int, frozenset[object]]) -> bool:
    kind = _kind(value)
    if kind == _OTHER or any(other != kind for other in groups):
        return False  # unknown, or some item of another kind: that `!=` is false
    return value not in groups.get(kind, _NO_ITEMS)


def _compile_value(node: _Node) -> _Getter:
    """An evaluator returning the operand's value, or _MISSING for an unknown fact."""
    if isinstance(node, _Fact):
        key = node.name
        return lambda facts: facts.get(key, _MISSING)
    if isinstance(node, _Literal):
        value: object = node.value
        return lambda facts: value
    if isinstance(node, _List):
        items: object = node.items
        return lambda facts: items
    return _compile(node)


def _compile_membership(node: _Compare) -> _Test:
    test = _is_in if node.op == "in" else _is_not_in
    get_left = _compile_value(node.left)
    if isinstance(node.right, _List):
        groups = _by_kind(node.right.items)
        if isinstance(node.left, _Fact):
            key = node.left.name
            return lambda facts: test(facts.get(key, _MISSING), groups)
        return lambda facts: test(get_left(facts), groups)
    get_right = _compile_value(node.right)

    def dynamic(facts: Facts) -> bool:
        items = get_right(facts)
        if not isinstance(items, list | tuple | set | frozenset):
            return False
        return test(get_left(facts), _by_kind(items))

    return dynamic


def _compile_compare(node: _Compare) -> _Test:
    if node.op in ("in", "not in"):
        return _compile_membership(node)
    apply = _OPERATORS[node.op]
    kinds = _EQUALITY_KINDS if node.op in ("==", "!=") else _ORDER_KINDS
    left, right = node.left, node.right
    if isinstance(left, _Literal) and isinstance(right, _Fact):
        left, right = right, left
        apply = _OPERATORS[_MIRRORED[node.op]]
    if isinstance(left, _Fact) and isinstance(right, _Literal):
        key, literal, literal_kind = left.name, right.value, _kind(right.value)
        if literal_kind not in kinds:
            return _always_false

        def fact_vs_literal(facts: Facts) -> bool:
            value = facts.get(key, _MISSING)
            return _kind(value) == literal_kind and apply(value, literal)

        return fact_vs_literal
    get_left, get_right = _compile_value(left), _compile_value(right)

    def general(facts: Facts) -> bool:
        a = get_left(facts)
        kind = _kind(a)
        if kind not in kinds:
            return False
        b = get_right(facts)
        return _kind(b) == kind and apply(a, b)

    return general


def _compile(node: _Node) -> _Test:
    """Turn the tree into closures; all dispatch on node kinds happens here, once."""
    if isinstance(node, _Or | _And):
        parts = tuple(_compile(part) for part in node.parts)
        if len(parts) == 2:
            first, second = parts
            if isinstance(node, _Or):
                return lambda facts: first(facts) or second(facts)
            return lambda facts: first(facts) and second(facts)
        if isinstance(node, _Or):
            return lambda facts: any(part(facts) for part in parts)
        return lambda facts: all(part(facts) for part in parts)
    if isinstance(node, _Not):
        inner = _compile(node.operand)
        return lambda facts: not inner(facts)
    if isinstance(node, _Known):
        name = node.name
        return lambda facts: name in facts
    if isinstance(node, _Fact):
        key = node.name
        return lambda facts: _truthy(facts.get(key, _MISSING))
    if isinstance(node, _Literal | _List):
        constant = _truthy(node.value) if isinstance(node, _Literal) else bool(node.items)
        return lambda facts: constant
    return _compile_compare(node)


# --- analysis -------------------------------------------------------------------------

def _collect_facts(node: _Node, found: set[str]) -> None:
    if isinstance(node, _Fact | _Known):
        found.add(node.name)
    elif isinstance(node, _And | _Or):
        for part in node.parts:
            _collect_facts(part, found)
    elif isinstance(node, _Not):
        _collect_facts(node.operand, found)
    elif isinstance(node, _Compare):
        _collect_facts(node.left, found)
        _collect_facts(node.right, found)


def _common(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    result: frozenset[str] | None = None
    for each in sets:
        result = each if result is None else result & each
    return result or frozenset()


def _known_if_true(node: _Node) -> frozenset[str]:
    """Facts certainly known whenever ``node`` is true (by ``known()`` alone)."""
    if isinstance(node, _Known):
        return frozenset((node.name,))
    if isinstance(node, _Not):
        return _known_if_false(node.operand)
    if isinstance(node, _And):
        return frozenset().union(*(_known_if_true(part) for part in node.parts))
    if isinstance(node, _Or):
        return _common(_known_if_true(part) for part in node.parts)
    return frozenset()


def _known_if_false(node: _Node) -> frozenset[str]:
    """Facts certainly known whenever ``node`` is false (``not known(f)``, for one)."""
    if isinstance(node, _Not):
        return _known_if_true(node.operand)
    if isinstance(node, _Or):
        return frozenset().union(*(_known_if_false(part) for part in node.parts))
    if isinstance(node, _And):
        return _common(_known_if_false(part) for part in node.parts)
    return frozenset()


def _unguarded(node: _Node, guarded: frozenset[str], found: set[str]) -> None:
    # A bare fact name means "known and truthy": reading it unknown is what the author
    # asked for. Only comparisons silently turn an unknown fact into "false".
    if isinstance(node, _Compare):
        for side in (node.left, node.right):
            if isinstance(side, _Fact):
                if side.name not in guarded:
                    found.add(side.name)
            else:  # a parenthesised condition as an operand: `(a == 1) == true`
                _unguarded(side, guarded, found)
    elif isinstance(node, _Not):
        _unguarded(node.operand, guarded, found)
    elif isinstance(node, _And):
        for part in node.parts:  # a later conjunct is evaluated only if this one held
            _unguarded(part, guarded, found)
            guarded |= _known_if_true(part)
    elif isinstance(node, _Or):
        for part in node.parts:  # a later disjunct is evaluated only if this one failed
            _unguarded(part, guarded, found)
            guarded |= _known_if_false(part)


def _collect_comparisons(node: _Node, found: list[tuple[str, str, object]]) -> None:
    if isinstance(node, _And | _Or):
        for part in node.parts:
            _collect_comparisons(part, found)
    elif isinstance(node, _Not):
        _collect_comparisons(node.operand, found)
    elif isinstance(node, _Compare):
        left, right = node.left, node.right
        if isinstance(left, _Fact) and isinstance(right, _List):
            found.extend((left.name, node.op, item) for item in right.items)
        elif isinstance(left, _Fact) and isinstance(right, _Literal):
            found.append((left.name, node.op, right.value))
        elif (isinstance(left, _Literal) and isinstance(right, _Fact)
              and node.op in _MIRRORED):
            found.append((right.name, _MIRRORED[node.op], left.value))
        else:
            _collect_comparisons(left, found)
            _collect_comparisons(right, found)


# --- the public face ------------------------------------------------------------------

@dataclass(frozen=True)
class Expression:
    """A parsed ``when:`` condition; build one with :func:`parse`.

    ``facts`` is every fact name the condition mentions, ``known()`` included.
    """

    text: str
    facts: frozenset[str]
    _tree: _Node = field(repr=False, compare=False)
    _test: _Test = field(repr=False, compare=False)

    # The compiled closures cannot be pickled (the lint cache pickles scripts): keep the
    # tree and compile again on load.
    def __getstate__(self) -> dict[str, object]:
        return {"text": self.text, "facts": self.facts, "_tree": self._tree}

    def __setstate__(self, state: dict[str, object]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_test", _compile(self._tree))

    def evaluate(self, facts: Facts) -> bool:
        """Whether the condition holds; ``facts`` maps each *known* fact to its value.

        A comparison reading an unknown (absent) fact is false, so ``x != 1`` is false
        and ``not (x == 1)`` true when ``x`` is unknown. Values of different kinds compare
        false. Never raises for values of the supported kinds (bool, int, float, str);
        values of other types compare false and are not truthy.
        """
        return self._test(facts)

    def unguarded_reads(self) -> frozenset[str]:
        """Facts read by a comparison (``== != < <= > >= in`` or ``not in``) without a
        ``known()`` guard — the reads that silently turn an unknown fact into "false".

        A bare name (``when: vip``) is not counted: it means "known and truthy", so an
        unknown fact being false there is what the author asked for. ``known(f)`` reads
        nothing either. A read of ``f`` is guarded when an earlier conjunct of an ``and``
        makes ``f`` known (``known(f) and f > 5``; ``known(a) and known(b) and a == b``), or
        when an earlier disjunct of an ``or`` is false only if ``f`` is known
        (``not known(f) or f > 5``).
        """
        found: set[str] = set()
        _unguarded(self._tree, frozenset(), found)
        return frozenset(found)

    def comparisons(self) -> list[tuple[str, str, object]]:
        """``(fact, op, literal)`` for each comparison of a fact with a literal, in order.

        ``literal OP fact`` is mirrored so the fact is on the left (``5 < x`` gives
        ``("x", ">", 5)``); ``fact in [a, b]`` gives one tuple per item
        (``("x", "in", a)``, ``("x", "in", b)``), likewise for ``not in``.
        """
        found: list[tuple[str, str, object]] = []
        _collect_comparisons(self._tree, found)
        return found


def parse(text: str) -> Expression:
    """Parse a condition; raises :class:`ExpressionError`, and nothing else, for bad input.

    Expressions are immutable, so each distinct text (conditions repeat across a library)
    is parsed once per process.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected text but found {type(text).__name__}", "", 0)
    return _parse_cached(text)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters", text,
                              MAX_LENGTH)
    tree = _Parser(text).condition()
    names: set[str] = set()
    _collect_facts(tree, names)
    return Expression(text, frozenset(names), tree, _compile(tree))
