"""The YAML loader: 1.2 core scalars, positions, unsafe tags, duplicate keys, hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptflow.format.yamlload import load_bytes, load_text, resolve_plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"),
        ("true", True), ("False", False), ("TRUE", True),
        ("null", None), ("~", None), ("", None),
        ("12", 12), ("-3", -3), ("0o17", 15), ("0x1F", 31), ("1.5", 1.5), ("1e3", 1000.0),
        ("012", 12),  # YAML 1.2: not octal
        ("1_000", "1_000"),  # YAML 1.1 digit separators are gone in 1.2
        ("0b101", "0b101"), ("12:30", "12:30"),  # nor binary or sexagesimal
        ("all_green", "all_green"),
    ],
)
def test_plain_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_yes_no_keys_and_options_stay_strings() -> None:
    doc = load_text("options: [on, off]\nbranches:\n  yes: a\n  no: b\n")
    assert doc.data == {"options": ["on", "off"], "branches": {"yes": "a", "no": "b"}}


def test_quoted_scalars_are_strings() -> None:
    doc = load_text("a: '12'\nb: \"true\"\nc: |\n  text\n")
    assert doc.data == {"a": "12", "b": "true", "c": "text\n"}


def test_every_key_and_value_has_a_position() -> None:
    doc = load_text("nodes:\n  lights:\n    type: question\n    next: [a, b]\n")
    assert doc.key_marks[("nodes", "lights")] == (2, 3)
    assert doc.value_marks[("nodes", "lights", "type")] == (3, 11)
    assert doc.value_marks[("nodes", "lights", "next", 1)] == (4, 15)
    # a path without its own mark falls back to the nearest parent
    assert doc.mark(("nodes", "lights", "missing")) == (3, 5)


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    doc = load_text("a: 1\nb: 2\na: 3\n")
    [problem] = doc.problems
    assert (problem.code, problem.line, problem.column) == ("SF102", 3, 1)
    assert "first at line 1" in problem.message
    assert doc.data == {"a": 1, "b": 2}  # the first one is kept, nothing silently replaced


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/name:os.system\n",
        "a: !custom thing\n",
        "a: !!set {x, y}\n",
        "!!python/object:builtins.dict {}\n",
    ],
)
def test_object_building_tags_are_rejected_not_constructed(text: str) -> None:
    doc = load_text(text)
    assert [p.code for p in doc.problems] == ["SF104"]


def test_core_tags_are_allowed() -> None:
    doc = load_text("a: !!str 12\nb: !!int '7'\nc: !!float 1\n")
    assert doc.problems == []
    assert doc.data == {"a": "12", "b": 7, "c": 1.0}


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    doc = load_text("\n".join(lines))
    assert time.perf_counter() - started < 0.5
    assert [p.code for p in doc.problems] == ["SF100"]
    assert "aliases" in doc.problems[0].message


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 500 + "]" * 500, "- " * 5000 + "x",
                                  "a: &a [*a]\n"])
def test_deep_or_recursive_documents_end_with_a_problem(text: str) -> None:
    started = time.perf_counter()
    doc = load_text(text)
    assert time.perf_counter() - started < 1.0
    assert [p.code for p in doc.problems] == ["SF100"]


def test_syntax_error_has_the_parser_position() -> None:
    doc = load_text("a: 1\nb: [1, 2\nc: 3\n")
    [problem] = doc.problems
    assert problem.code == "SF100"
    assert problem.line == 3


def test_two_documents_in_one_file() -> None:
    doc = load_text("a: 1\n---\nb: 2\n")
    assert [p.code for p in doc.problems] == ["SF100"]
    assert "more than one YAML document" in doc.problems[0].message


def test_non_utf8_bytes() -> None:
    doc = load_bytes(b"id: ok\ntitle: caf\xe9\n", "x.yaml")
    [problem] = doc.problems
    assert (problem.code, problem.line, problem.column) == ("SF100", 2, 11)


def test_inline_ignore_comments_are_collected() -> None:
    doc = load_text("a: 1  # scriptflow: ignore[SF301, sf403]\nb: 2\n")
    assert doc.ignores == {1: frozenset({"SF301", "SF403"})}


@given(st.text(max_size=300))
def test_any_text_never_crashes_the_loader(text: str) -> None:
    started = time.perf_counter()
    doc = load_text(text)
    assert time.perf_counter() - started < 2
    assert all(p.code in {"SF100", "SF101", "SF102", "SF104"} for p in doc.problems)


@given(st.binary(max_size=300))
def test_any_bytes_never_crash_the_loader(raw: bytes) -> None:
    doc = load_bytes(raw, "x.yaml")
    assert all(p.line >= 1 and p.column >= 1 for p in doc.problems)


_yamlish = st.lists(st.sampled_from(["a", ":", " ", "\n", "-", "[", "]", "{", "}", "&x", "*x",
                                     "!!", "'", '"', "#", "yes", "1", "  ", "? ", "|", ">",
                                     "!tag", "%YAML 1.1\n", "---\n", "..."]),
                    max_size=80).map("".join)


@given(_yamlish)
def test_yaml_like_noise_never_crashes_the_loader(text: str) -> None:
    doc = load_text(text)
    assert doc.data is None or isinstance(doc.data, (dict, list, str, int, float, bool))


@pytest.mark.parametrize(("text", "where"), [
    ("scriptflow: 1\nid: s1\ntitle: 'abc\n", (3, 8)),   # a quote left open
    ("scriptflow: 1\nid: s1\ntags: [a, b\n", (3, 7)),   # a bracket left open
])
def test_something_left_open_is_reported_where_it_began(text: str,
                                                        where: tuple[int, int]) -> None:
    """The parser notices an unclosed quote or bracket at the end of the file, past its
    last line; the problem points where the unclosed thing began (found by an audit)."""
    problems = load_text(text, "s.yaml").problems
    assert [(p.code, p.line, p.column) for p in problems] == [("SF100", *where)]
