"""The `when:` condition language: parsing, semantics, guards, comparisons, errors, limits."""

from __future__ import annotations

import operator
import pickle
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptflow.format import expr
from scriptflow.format.expr import MAX_DEPTH, MAX_LENGTH, Expression, ExpressionError, parse


def holds(text: str, **facts: object) -> bool:
    return parse(text).evaluate(facts)


# --- literals, names and the public shape ---------------------------------------------


@pytest.mark.parametrize(("text", "facts", "expected"), [
    ("true", {}, True),
    ("false", {}, False),
    ("'x'", {}, True),
    ("''", {}, False),
    ("0", {}, False),
    ("-2.5", {}, True),
    ("s == 'it\\'s'", {"s": "it's"}, True),
    ('s == "say \\"hi\\""', {"s": 'say "hi"'}, True),
    ("s == 'back\\\\slash'", {"s": "back\\slash"}, True),
    ("s == \"it's\"", {"s": "it's"}, True),
    ("s == 'a \"b\"'", {"s": 'a "b"'}, True),
    ("s == ''", {"s": ""}, True),
    ("n == -3", {"n": -3}, True),
    ("n == 0.5", {"n": 0.5}, True),
    ("n == -0.25", {"n": -0.25}, True),
    ("n==-3", {"n": -3}, True),
    ("flag == true", {"flag": True}, True),
    ("flag == false", {"flag": False}, True),
    ("_under_score9 == 1", {"_under_score9": 1}, True),
    ("andy == 1 and order == 2 and notes == 3 and inside == 4 and known_x == 5",
     {"andy": 1, "order": 2, "notes": 3, "inside": 4, "known_x": 5}, True),
    ("\tx\n==\r\n1 ", {"x": 1}, True),
])
def test_literals_and_names(text: str, facts: dict[str, object], expected: bool) -> None:
    assert parse(text).evaluate(facts) is expected


def test_expression_shape() -> None:
    parsed = parse("known(a) and b == 'x' or not c")
    assert isinstance(parsed, Expression)
    assert parsed.text == "known(a) and b == 'x' or not c"
    assert parsed.facts == frozenset({"a", "b", "c"})
    assert parse("known(a) and b == 'x' or not c") == parsed
    assert hash(parse("known(a) and b == 'x' or not c")) == hash(parsed)
    assert "_tree" not in repr(parsed)
    with pytest.raises(AttributeError):
        parsed.text = "other"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "facts"), [
    ("x", {"x"}),
    ("1 == 1", set()),
    ("known(k)", {"k"}),
    ("a == b", {"a", "b"}),
    ("x in [1, 2] or 'v' == y", {"x", "y"}),
    ("(a == 1) == (b == 2)", {"a", "b"}),
    ("not not known(z) and z", {"z"}),
])
def test_facts_lists_every_name(text: str, facts: set[str]) -> None:
    assert parse(text).facts == frozenset(facts)


def test_evaluate_accepts_any_mapping() -> None:
    parsed = parse("x == 1 and known(y)")
    assert parsed.evaluate(MappingProxyType({"x": 1, "y": None})) is True
    assert parsed.evaluate({}) is False


# --- operators ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("x == 5", 5, True), ("x == 5", 6, False),
    ("x != 5", 6, True), ("x != 5", 5, False),
    ("x < 5", 4, True), ("x < 5", 5, False),
    ("x <= 5", 5, True), ("x <= 5", 6, False),
    ("x > 5", 6, True), ("x > 5", 5, False),
    ("x >= 5", 5, True), ("x >= 5", 4, False),
    ("5 > x", 4, True), ("5 > x", 5, False),
    ("5 <= x", 5, True), ("5 <= x", 4, False),
    ("x == 5", 5.0, True), ("x < 5.5", 5, True), ("x > -1", 0.0, True),
    ("x == 'red'", "red", True), ("x != 'red'", "green", True),
    ("x < 'b'", "a", True), ("x < 'b'", "ba", False), ("x >= 'apple'", "apricot", True),
    ("'b' > x", "a", True),
    ("x in ['red', 'green']", "green", True), ("x in ['red', 'green']", "blue", False),
    ("x not in ['red', 'green']", "blue", True), ("x not in ['red', 'green']", "red", False),
    ("x in [1, 2.5]", 2.5, True), ("x in [1, 2.5]", 1.0, True), ("x in [1, 2.5]", 3, False),
    ("x in []", 1, False), ("x not in []", 1, True),
    ("x in [true]", True, True), ("x not in [false]", True, True),
])
def test_every_operator(text: str, value: object, expected: bool) -> None:
    assert parse(text).evaluate({"x": value}) is expected


def test_comparing_two_facts_and_nested_conditions() -> None:
    assert holds("a == b", a="x", b="x")
    assert holds("a < b", a=1, b=2.5)
    assert not holds("a < b", a="1", b=2)
    assert not holds("a == b", a="x")
    assert holds("(a == 1) == (b == 2)", a=1, b=2)
    assert holds("(a == 1) == (b == 2)", a=0, b=0)
    assert holds("(a == 1) != true", a=0)
    assert holds("(x)", x=True)
    assert holds("(x) == 'v'", x="v")
    assert holds("1 == 1.0 and 'a' < 'b' and not (true == false)")


@pytest.mark.parametrize(("text", "facts", "expected"), [
    # not binds tighter than and, and tighter than or
    ("a or b and c", {"a": True, "b": False, "c": False}, True),
    ("(a or b) and c", {"a": True, "b": False, "c": False}, False),
    ("not a and b", {"a": False, "b": True}, True),
    ("not (a and b)", {"a": True, "b": False}, True),
    ("not a and b", {"a": True, "b": False}, False),
    ("not a or b", {"a": True, "b": True}, True),
    ("not (a or b)", {"a": True, "b": False}, False),
    # comparison binds tighter than not
    ("not x == 1", {"x": 2}, True),
    ("not x == 1", {"x": 1}, False),
    ("not not x == 1", {"x": 1}, True),
    ("x == 1 or y == 2 and z == 3", {"x": 1, "y": 0, "z": 0}, True),
    ("x == 1 and y == 2 or z == 3", {"x": 0, "y": 2, "z": 3}, True),
    ("x == 1 and (y == 2 or z == 3)", {"x": 0, "y": 2, "z": 3}, False),
    ("a and b and c and d", {"a": 1, "b": 1, "c": 1, "d": 1}, True),
    ("a and b and c and d", {"a": 1, "b": 1, "c": 0, "d": 1}, False),
    ("a or b or c or d", {"a": 0, "b": 0, "c": 0, "d": 1}, True),
    ("a or b or c or d", {}, False),
    ("x not in [1] and not x in [2]", {"x": 3}, True),
])
def test_precedence(text: str, facts: dict[str, object], expected: bool) -> None:
    assert parse(text).evaluate(facts) is expected


# --- unknown facts and bare names -----------------------------------------------------


@pytest.mark.parametrize("text", [
    "x == 1", "x != 1", "x < 1", "x <= 1", "x > 1", "x >= 1",
    "1 == x", "1 != x", "'a' < x",
    "x in [1, 2]", "x not in [1, 2]", "x not in []", "x == y", "x != y",
    "x", "known(x)", "known(x) and x == 1",
])
def test_reading_an_unknown_fact_is_false(text: str) -> None:
    assert parse(text).evaluate({"y": 1}) is False


def test_negating_a_comparison_with_an_unknown_fact_is_true() -> None:
    assert holds("not (x == 1)")
    assert holds("not x == 1")
    assert holds("not x")
    assert holds("not known(x)")
    assert not holds("x != 1")  # the comparison itself is false
    assert holds("not known(x) or x > 5")
    assert not holds("not known(x) or x > 5", x=1)
    assert holds("not known(x) or x > 5", x=6)


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False),
    ("text", True), ("", False), ("no", True), ("false", True),
    (3, True), (-0.5, True), (0, False), (0.0, False),
    (None, False), ([1], False), (object(), False),
])
def test_bare_name_is_known_and_truthy(value: object, expected: bool) -> None:
    assert parse("x").evaluate({"x": value}) is expected
    assert parse("known(x)").evaluate({"x": value}) is True


# --- kinds of values ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("x == 1", "1"), ("x != 1", "1"), ("x < 10", "9"), ("x >= 0", "a"),
    ("x == 'a'", 1), ("x != 'a'", 1), ("x < 'b'", 1),
    ("x == 1", True), ("x == 0", False), ("x != 1", True), ("x > 0", True),
    ("x == true", 1), ("x == false", 0), ("x != true", 1),
    ("x < true", False), ("x <= true", True), ("x > false", True), ("x >= false", False),
    ("x in [1, 2]", True), ("x in [true]", 1), ("x in ['1']", 1), ("x in [1]", "1"),
    ("x not in [1, 2]", "1"), ("x not in ['a', 1]", "b"), ("x not in ['a']", 3),
    ("x == 1", None), ("x != 1", None), ("x == 1", [1]), ("x in [1]", (1,)),
    ("x < 1", None), ("x not in [1]", None), ("x not in []", None), ("x in []", object()),
])
def test_values_of_different_kinds_compare_false(text: str, value: object) -> None:
    assert parse(text).evaluate({"x": value}) is False


def test_mixed_comparisons_between_facts_never_raise() -> None:
    odd: list[object] = [None, [1], {"a": 1}, object(), float("nan"), 10**400, "", True, 1.5]
    ops = ["==", "!=", "<", "<=", ">", ">="]
    for op in ops:
        parsed = parse(f"a {op} b")
        for a in odd:
            for b in odd:
                assert isinstance(parsed.evaluate({"a": a, "b": b}), bool)


def test_membership_with_a_fact_on_the_right() -> None:
    assert holds("'a' in xs", xs=("a", "b"))
    assert holds("'c' not in xs", xs=["a", "b"])
    assert not holds("'a' in xs", xs="abc")  # text is not a list
    assert not holds("'a' in xs")
    assert not holds("1 in xs", xs=[True])
    assert holds("x in xs", x=2, xs=frozenset({2.0}))


# --- known() and guards ---------------------------------------------------------------


def test_known() -> None:
    assert holds("known(x)", x=False)
    assert holds("known(x)", x="")
    assert not holds("known(x)", y=1)
    assert holds("known( x )", x=0)
    assert holds("known(x) and known(y)", x=0, y=0)


@pytest.mark.parametrize(("text", "unguarded"), [
    ("age > 5", {"age"}),
    ("age", set()),  # a bare name means known and truthy: nothing silently false
    ("known(age)", set()),
    ("known(age) and age > 5", set()),
    ("known(age) and age", set()),
    ("known(a) and known(b) and a == b", set()),
    ("known(a) and (known(b) and a == b)", set()),
    ("(known(a) and known(b)) and a == b", set()),
    ("known(a) and a > 1 and b > 1", {"b"}),
    ("known(a) and (a > 1 or a < 0)", set()),
    ("known(a) and not (a > 1)", set()),
    ("known(a) and (a == 1) == true", set()),
    ("known(a) and a in [1, 2]", set()),
    ("known(a) and 'x' in a", set()),
    ("known(a) or a > 5", {"a"}),
    ("known(a) and a > 1 or a < 0", {"a"}),
    ("age > 5 and known(age)", {"age"}),
    ("b == 1 and known(a) and a == b", {"b"}),
    ("(known(a) or known(b)) and a == 1", {"a"}),
    ("(known(a) or known(a) and known(b)) and a == b", {"b"}),
    ("not known(f) or f > 5", set()),
    ("not known(a) or not known(b) or a == b", set()),
    ("not (known(a) and known(b)) or a == b", set()),
    ("not (known(a) or known(b)) or a == 1", {"a"}),
    ("not not known(a) and a == 1", set()),
    ("not known(a) and a == 1", {"a"}),
    ("known(a) or not known(a) or a == 1", set()),
    ("x == 1 or not known(x) or x > 3", {"x"}),
    ("known(a) and known(b) and a == b or c == 1", {"c"}),
    # comparisons nested as operands of a comparison are reads too
    ("(a == 1) == true", {"a"}),
    ("not ((a == 1) != (b > 2))", {"a", "b"}),
    ("known(b) and (a == 1) == (b > 2)", {"a"}),
    ("(known(a) and a == 1) == true", set()),
])
def test_unguarded_reads(text: str, unguarded: set[str]) -> None:
    assert parse(text).unguarded_reads() == frozenset(unguarded)


# --- comparisons() --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "found"), [
    ("x == 'a'", [("x", "==", "a")]),
    ("'a' == x", [("x", "==", "a")]),
    ("'a' != x", [("x", "!=", "a")]),
    ("5 < x", [("x", ">", 5)]),
    ("5 <= x", [("x", ">=", 5)]),
    ("5 > x", [("x", "<", 5)]),
    ("5 >= x", [("x", "<=", 5)]),
    ("x >= 2.5", [("x", ">=", 2.5)]),
    ("x == true", [("x", "==", True)]),
    ("x in ['a', 'b']", [("x", "in", "a"), ("x", "in", "b")]),
    ("x not in [1]", [("x", "not in", 1)]),
    ("x in []", []),
    ("x == y", []),
    ("'a' in x", []),
    ("1 == 2", []),
    ("x", []),
    ("known(x)", []),
    ("(x == 'a') == true", [("x", "==", "a")]),
    ("known(a) and not (colour != 'red') or n >= 2.5 and 3 > m",
     [("colour", "!=", "red"), ("n", ">=", 2.5), ("m", "<", 3)]),
])
def test_comparisons(text: str, found: list[tuple[str, str, object]]) -> None:
    result = parse(text).comparisons()
    assert result == found
    assert [type(literal) for _, _, literal in result] == [type(f[2]) for f in found]


def test_comparisons_returns_a_fresh_list() -> None:
    parsed = parse("x == 1")
    parsed.comparisons().append(("y", "==", 2))
    assert parsed.comparisons() == [("x", "==", 1)]


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message", "offset"), [
    ("", "expected a condition but found end of expression", 0),
    ("   ", "expected a condition but found end of expression", 3),
    ("age_years ==", "expected a value after '==' but found end of expression", 12),
    ("x == and y", "expected a value after '==' but found 'and'", 5),
    ("x ==", "expected a value after '==' but found end of expression", 4),
    ("x in", "expected a value after 'in' but found end of expression", 4),
    ("not", "expected a value after 'not' but found end of expression", 3),
    ("a and", "expected a value after 'and' but found end of expression", 5),
    ("a or )", "expected a value after 'or' but found ')'", 5),
    ("== 1", "expected a value but found '=='", 0),
    ("x == ,", "expected a value after '==' but found ','", 5),
    ("x == ]", "expected a value after '==' but found ']'", 5),
    ("nown(x)", "unknown function 'nown' (only known(fact) is allowed)", 0),
    ("a and len(x) > 1", "unknown function 'len' (only known(fact) is allowed)", 6),
    ("x == 'abc", "unterminated string starting", 5),
    ("x == \"abc'", "unterminated string starting", 5),
    ("x == 'abc\\'", "unterminated string starting", 5),
    ("x == 'abc\\", "unterminated string starting", 5),
    ("x == 'a\\nb'", "unknown escape '\\n' in text (only \\\\, \\' and \\\" are allowed)", 7),
    ("a < b < c", "comparisons cannot be chained: found '<' after a comparison "
                  "(join them with 'and')", 6),
    ("a == 1 == b", "comparisons cannot be chained: found '==' after a comparison "
                    "(join them with 'and')", 7),
    ("a == 1 in [1]", "comparisons cannot be chained: found 'in' after a comparison "
                      "(join them with 'and')", 7),
    ("a in [1] not in [2]", "comparisons cannot be chained: found 'not in' after a "
                            "comparison (join them with 'and')", 9),
    ("(a", "expected ')' to close the '(' at column 1 but found end of expression", 2),
    ("(a == 1 b", "expected ')' to close the '(' at column 1 but found 'b'", 8),
    ("a)", "unmatched ')' (no '(' before it)", 1),
    ("a b", "expected 'and', 'or' or end of expression but found 'b'", 2),
    ("a == 1 2", "expected 'and', 'or' or end of expression but found number 2", 7),
    ("a == 1 'z'", "expected 'and', 'or' or end of expression but found text 'z'", 7),
    ("a not b", "expected 'in' after 'not' (as in 'x not in [...]') but found 'b'", 6),
    ("x in 'abc'", "expected a list or a fact after 'in' but found text 'abc'", 5),
    ("x not in 3", "expected a list or a fact after 'not in' but found number 3", 9),
    ("x in (a == 1)", "expected a list or a fact after 'in' but found '('", 5),
    ("[1]", "a list can only follow 'in' or 'not in'", 0),
    ("x == [1]", "a list can only follow 'in' or 'not in'", 5),
    ("[1] in x", "a list can only follow 'in' or 'not in'", 0),
    ("x in [1, ", "expected a literal (text, number, true or false) in the list but found "
                 "end of expression", 9),
    ("x in [1,]", "expected a literal (text, number, true or false) in the list but found "
                 "']'", 8),
    ("x in [y]", "expected a literal (text, number, true or false) in the list but found "
                "'y'", 6),
    ("x in [[1]]", "expected a literal (text, number, true or false) in the list but found "
                  "'['", 6),
    ("x in [1 2]", "expected ',' or ']' to close the list at column 6 but found number 2",
     8),
    ("x in [1", "expected ',' or ']' to close the list at column 6 but found end of "
               "expression", 7),
    ("known", "expected '(' after 'known' but found end of expression", 5),
    ("known x", "expected '(' after 'known' but found 'x'", 6),
    ("known()", "expected a fact name inside known() but found ')'", 6),
    ("known(and)", "expected a fact name inside known() but found 'and'", 6),
    ("known('x')", "expected a fact name inside known() but found text 'x'", 6),
    ("known(x", "expected ')' after 'known(x' but found end of expression", 7),
    ("known(x, y)", "expected ')' after 'known(x' but found ','", 7),
    ("x = 1", "unexpected character '=' (use '==' to compare)", 2),
    ("x => 1", "unexpected character '=' (did you mean '>='?)", 2),
    ("x =< 1", "unexpected character '=' (did you mean '<='?)", 2),
    ("!x", "unexpected character '!' (use 'not', or '!=' to compare)", 0),
    ("a && b", "unexpected character '&' (use 'and')", 2),
    ("a || b", "unexpected character '|' (use 'or')", 2),
    ("x == 1.5.3", "unexpected character '.'", 8),
    ("x == .5", "unexpected character '.'", 5),
    ("x - 1", "unexpected character '-'", 2),
    ("x == 1 + 2", "unexpected character '+'", 7),
    ("é == 1", "unexpected character 'é'", 0),
    ("x == 1 # note", "unexpected character '#'", 7),
])
def test_error_messages_and_offsets(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert error.message == message
    assert error.offset == offset
    assert error.text == text
    assert str(error) == f"{message} at column {offset + 1}"
    assert isinstance(error, ValueError)


def test_error_examples_read_as_documented() -> None:
    with pytest.raises(ExpressionError, match=r"^expected a value after '==' but found end "
                                              r"of expression at column 12$"):
        parse("answer_x ==")
    with pytest.raises(ExpressionError, match=r"^unterminated string starting at column 5$"):
        parse("x =='y")


def test_expression_error_pickles() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("x ==")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.message, copy.text, copy.offset, str(copy)) == (
        caught.value.message, caught.value.text, caught.value.offset, str(caught.value))


def test_expression_pickles_and_still_evaluates() -> None:
    parsed = parse("known(a) and a in [1, 2] or b == 'x' or (c > 2) == true")
    copy = pickle.loads(pickle.dumps(parsed))
    assert copy == parsed
    assert (copy.facts, copy.unguarded_reads(), copy.comparisons()) == (
        parsed.facts, parsed.unguarded_reads(), parsed.comparisons())
    for facts in ({}, {"a": 2}, {"a": 3}, {"b": "x"}, {"c": 3}):
        assert copy.evaluate(facts) is parsed.evaluate(facts)


def test_non_text_input_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="expected text but found int"):
        parse(5)  # type: ignore[arg-type]


# --- limits ---------------------------------------------------------------------------


def test_length_limit() -> None:
    longest = "x" * MAX_LENGTH
    assert parse(longest).facts == {longest}
    assert parse(" " * (MAX_LENGTH - 1) + "x").evaluate({"x": True})
    with pytest.raises(ExpressionError) as caught:
        parse("x" * (MAX_LENGTH + 1))
    assert caught.value.message == "expression is longer than 2000 characters"
    assert caught.value.offset == MAX_LENGTH


def test_depth_limit_with_parentheses() -> None:
    deepest = "(" * MAX_DEPTH + "x == 1" + ")" * MAX_DEPTH
    assert parse(deepest).evaluate({"x": 1})
    too_deep = "(" * (MAX_DEPTH + 1) + "x == 1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError) as caught:
        parse(too_deep)
    assert caught.value.message == "expression is nested deeper than 50 levels"
    assert caught.value.offset == MAX_DEPTH


def test_depth_limit_with_not_and_mixtures() -> None:
    assert parse("not " * MAX_DEPTH + "x").evaluate({"x": MAX_DEPTH % 2 == 0})
    with pytest.raises(ExpressionError, match=r"nested deeper than 50 levels at column 201$"):
        parse("not " * (MAX_DEPTH + 1) + "x")
    mixed = "not (" * 25 + "x" + ")" * 25
    assert parse(mixed).evaluate({}) is True  # 25 negations of an unknown (false) x
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("not (" * 26 + "x" + ")" * 26)
    assert parse("(x == 1) and " * 100 + "y").facts == {"x", "y"}  # long but flat


@pytest.mark.parametrize("text", [
    "(" * 1000, "(" * 2000, "not " * 500, "not (" * 400, "[" * 2000, "x in " + "[" * 1990,
    "known(" * 333, "'" * 2000, "\\" * 2000, "a and " * 333, "a or " * 400,
    "x == 1 or " * 199 + "x", "x in [" + "1, " * 660 + "1]", "-" * 2000, "1" * 2000,
    "x == " + "9" * 1995, "x == 0." + "1" * 1993,
])
def test_pathological_inputs_are_quick_and_safe(text: str) -> None:
    start = time.perf_counter()
    try:
        parsed = parse(text)
    except ExpressionError as error:
        assert 0 <= error.offset <= len(text)
    else:
        assert isinstance(parsed.evaluate({"x": 1, "a": True}), bool)
        parsed.unguarded_reads()
        parsed.comparisons()
    assert time.perf_counter() - start < 2.0


# --- compiled once --------------------------------------------------------------------


def test_evaluate_does_not_parse_again(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = parse("known(a) and a >= 2 or b in ['x', 'y'] or not c")

    def no_parsing(*args: object) -> Any:
        raise AssertionError("evaluate must not tokenize or parse")

    monkeypatch.setattr(expr, "_tokenize", no_parsing)
    monkeypatch.setattr(expr, "_Parser", no_parsing)
    assert parsed.evaluate({"a": 3})
    assert parsed.evaluate({"b": "y", "c": True})
    assert not parsed.evaluate({"a": 1, "c": True})


# --- properties -----------------------------------------------------------------------

_GRAMMAR_CHARS = "abxy_09.-'\"\\ ()[],=!<>&|#\t\né"
_TOKENS = ["a", "b", "x", "known", "not", "and", "or", "in", "true", "false", "==", "!=",
           "<", "<=", ">", ">=", "(", ")", "[", "]", ",", "'s'", '"t"', "1", "-2", "0.5",
           "'", '"', "\\", "=", "!", ".", ""]

any_text = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=_GRAMMAR_CHARS, max_size=120),
    st.lists(st.sampled_from(_TOKENS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join),
)

fact_values = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=5),
    st.sampled_from(["", "a", "b", "red", "x'y"]),
)
NAMES = ("a", "b", "c", "d")
facts_maps = st.dictionaries(st.sampled_from(NAMES), fact_values, max_size=len(NAMES))
odd_values = st.one_of(fact_values, st.none(), st.lists(st.integers(), max_size=2),
                       st.just(float("nan")), st.just(10**30), st.text(max_size=3))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, st.dictionaries(st.sampled_from(["a", "b", "x", "y"]), odd_values))
def test_any_text_parses_or_raises_expression_error(text: str, facts: dict[str, object]) -> None:
    try:
        parsed = parse(text)
    except ExpressionError as error:
        assert error.text == text
        assert 0 <= error.offset <= len(text)
        assert str(error).endswith(f" at column {error.offset + 1}")
        assert error.message
    else:
        assert parsed.text == text
        assert isinstance(parsed.evaluate(facts), bool)
        assert parsed.unguarded_reads() <= parsed.facts
        assert {fact for fact, _, _ in parsed.comparisons()} <= parsed.facts


# A small grammar that generates valid conditions together with a reference meaning,
# written independently of the implementation: (text, precedence, meaning).

_MISSING = object()
Meaning = Callable[[Mapping[str, object]], object]
Built = tuple[str, int, Meaning]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
ATOM, CMP, NOT, AND, OR = 5, 4, 3, 2, 1


def _kind(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _reference_compare(op: str, a: object, b: object) -> bool:
    kind = _kind(a)
    if kind is None or kind != _kind(b):
        return False
    if kind == "bool" and op not in ("==", "!="):
        return False
    return _OPS[op](a, b)


def _truth(value: object) -> bool:
    return _kind(value) is not None and bool(value)


def _quote(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


literals: st.SearchStrategy[tuple[str, object]] = st.one_of(
    st.booleans().map(lambda b: ("true" if b else "false", b)),
    st.integers(-5, 5).map(lambda n: (str(n), n)),
    st.integers(-500, 500).map(lambda n: (repr(n / 100), n / 100)),
    st.tuples(st.sampled_from(["", "a", "b", "red", "x'y", 'q"', "back\\", "a b"]),
              st.sampled_from(["'", '"'])).map(lambda p: (_quote(p[0], p[1]), p[0])),
)


def _literal_operand(item: tuple[str, object]) -> Built:
    text, value = item
    return text, ATOM, lambda facts: value


def _fact_operand(name: str) -> Built:
    return name, ATOM, lambda facts: facts.get(name, _MISSING)


def _known(name: str) -> Built:
    return f"known({name})", ATOM, lambda facts: name in facts


def _paren(built: Built, at_least: int) -> str:
    text, prec, _ = built
    return text if prec >= at_least else f"({text})"


def _compare(op: str, left: Built, right: Built) -> Built:
    get_left, get_right = left[2], right[2]
    text = f"{_paren(left, ATOM)} {op} {_paren(right, ATOM)}"
    return text, CMP, lambda facts: _reference_compare(op, get_left(facts), get_right(facts))


def _member(negated: bool, left: Built, items: list[tuple[str, object]]) -> Built:
    values = [value for _, value in items]
    get_left = left[2]
    text = f"{_paren(left, ATOM)} {'not in' if negated else 'in'} " \
           f"[{', '.join(t for t, _ in items)}]"
    if negated:
        return text, CMP, lambda facts: (
            _kind(get_left(facts)) is not None
            and all(_reference_compare("!=", get_left(facts), v) for v in values))
    return text, CMP, lambda facts: any(
        _reference_compare("==", get_left(facts), v) for v in values)


def _not(inner: Built) -> Built:
    get = inner[2]
    return f"not {_paren(inner, NOT)}", NOT, lambda facts: not _truth(get(facts))


def _join(word: str, parts: list[Built]) -> Built:
    prec = AND if word == "and" else OR
    getters = [part[2] for part in parts]
    text = f" {word} ".join(_paren(part, prec) for part in parts)
    if word == "and":
        return text, prec, lambda facts: all(_truth(g(facts)) for g in getters)
    return text, prec, lambda facts: any(_truth(g(facts)) for g in getters)


operands = st.one_of(st.sampled_from(NAMES).map(_fact_operand), literals.map(_literal_operand))


def _extend(inner: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    side = st.one_of(operands, inner)
    return st.one_of(
        st.builds(_compare, st.sampled_from(sorted(_OPS)), side, side),
        st.builds(_member, st.booleans(), side, st.lists(literals, max_size=3)),
        st.builds(_not, inner),
        st.builds(_join, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2,
                                                                   max_size=3)),
    )


conditions: st.SearchStrategy[Built] = st.recursive(
    st.one_of(  # bare names and literals mean their value; _truth applies where it is a test
        st.sampled_from(NAMES).map(_fact_operand),
        st.sampled_from(NAMES).map(_known),
        literals.map(_literal_operand),
        st.builds(_compare, st.sampled_from(sorted(_OPS)), operands, operands),
        st.builds(_member, st.booleans(), operands, st.lists(literals, max_size=3)),
    ),
    _extend,
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions, st.lists(facts_maps, min_size=1, max_size=4))
def test_generated_conditions_parse_and_match_the_reference(
        condition: Built, samples: list[dict[str, object]]) -> None:
    text, _, meaning = condition
    parsed = parse(text)
    assert parsed.facts <= set(NAMES)
    for facts in samples:
        result = parsed.evaluate(facts)
        assert isinstance(result, bool)
        assert result == _truth(meaning(facts)), (text, facts)
    assert parsed.unguarded_reads() <= parsed.facts


@settings(max_examples=200, deadline=None)
@given(conditions, facts_maps)
def test_guarded_reads_never_see_unknown_facts(condition: Built, facts: dict[str, Any]) -> None:
    """Wrapping any condition in `known()` guards (a conjunction, or the implication form)
    removes exactly the guarded facts from its unguarded reads, and evaluates as documented."""
    text, _, _ = condition
    parsed = parse(text)
    guarded = f"known(a) and known(b) and ({text})"
    both = parse(guarded)
    assert both.unguarded_reads() == parsed.unguarded_reads() - {"a", "b"}
    assert both.evaluate(facts) == ("a" in facts and "b" in facts and parsed.evaluate(facts))
    implication = parse(f"not known(c) or ({text})")
    assert implication.unguarded_reads() == parsed.unguarded_reads() - {"c"}
    assert implication.evaluate(facts) == ("c" not in facts or parsed.evaluate(facts))
