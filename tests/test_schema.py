"""The JSON Schema: shipped copy, editor metadata, and the compiled fast path."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from scriptflow.format.fastschema import compile_schema
from scriptflow.format.schema import schema_text, script_schema

from .conftest import ROOT, run_cli


def test_repository_and_package_copies_are_identical() -> None:
    assert (ROOT / "schemas" / "script.schema.json").read_text("utf-8") == schema_text()


def test_schema_is_valid_draft_2020_12_with_id() -> None:
    schema = script_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")


def _walk_properties(schema: Any, where: str = "#") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            found.append((f"{where}/properties/{name}", sub))
        for key, sub in schema.items():
            if key == "if":
                continue  # conditions select a case; they describe nothing to the author
            found.extend(_walk_properties(sub, f"{where}/{key}"))
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            found.extend(_walk_properties(sub, f"{where}/{i}"))
    return found


def test_every_property_has_a_title_and_description() -> None:
    missing = []
    for where, sub in _walk_properties(script_schema()):
        if isinstance(sub, dict) and "$ref" not in sub and not (
                sub.get("title") and sub.get("description")):
            missing.append(where)
    assert missing == []


def test_cli_prints_the_schema() -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == script_schema()


# Values shaped like scripts, good and bad, to compare the fast path with jsonschema.
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 20), st.floats(0, 5),
                     st.sampled_from(["question", "action", "decision", "handoff", "call",
                                      "outcome", "choice", "boolean", "number", "text",
                                      "resolved", "x", "a-b", "Bad Id", "", "skip", "30m",
                                      "1h30m", "yes", "*", "known", "q1", "f1", "q1\n",
                                      "30m\n"]))
_keys = st.sampled_from(["scriptflow", "id", "version", "title", "start", "facts", "nodes",
                         "type", "prompt", "fact", "next", "branches", "routes", "when",
                         "goto", "options", "ttl", "reask", "result", "code", "script",
                         "node", "invalidates", "instruction", "message", "min", "max",
                         "label", "sensitive", "pattern", "max_length", "tags", "q1", "f1",
                         "yes", "no", "*", "bogus"])
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=5)), max_leaves=25)


def _good_script() -> dict[str, Any]:
    return {
        "scriptflow": 1, "id": "s", "start": "q1",
        "facts": {"f1": {"type": "choice", "options": ["a", "b"]}},
        "nodes": {"q1": {"type": "question", "prompt": "?", "fact": "f1",
                         "branches": {"a": "end", "b": "end"}},
                  "end": {"type": "outcome", "result": "resolved"}},
    }


_documents = st.one_of(
    _values,
    st.builds(lambda extra: {**_good_script(), **extra}, st.dictionaries(_keys, _values,
                                                                        max_size=3)),
    st.builds(lambda node: {**_good_script(), "nodes": {**_good_script()["nodes"], "n": node}},
              _values),
)


@given(_documents)
def test_fast_path_agrees_with_jsonschema(document: Any) -> None:
    fast = compile_schema(script_schema())
    slow = Draft202012Validator(script_schema())
    assert fast(document) == slow.is_valid(document)


def test_fast_path_accepts_a_good_script() -> None:
    assert compile_schema(script_schema())(_good_script())


def test_an_id_ending_in_a_line_break_is_refused_by_both_validators(tmp_path: Any) -> None:
    """JSON Schema's $ matches only at the very end; Python's also before a final line
    break, so a block scalar (`id: |`) slipped through both validators and the script
    could then not be found by its id. The schema's patterns guard against that."""
    document = {**_good_script(), "id": "my-script\n"}
    assert not compile_schema(script_schema())(document)
    assert not Draft202012Validator(script_schema()).is_valid(document)
    assert compile_schema(script_schema())({**_good_script(), "id": "my-script"})
    path = tmp_path / "s.yaml"
    path.write_text("scriptflow: 1\nid: |\n  my-script\ntitle: T\nstart: a\n"
                    "nodes:\n  a: {type: outcome, result: resolved}\n", encoding="utf-8")
    result = run_cli("lint", "--no-cache", str(path))
    assert result.returncode == 1
    assert "s.yaml:2:5: error SF101 the text 'my-script\\n' is not a valid value for `id` " \
        "(must match ^[a-z0-9][a-z0-9_-]*$)" in result.stdout
    assert "hint: the value ends with a line break: write it on one line" in result.stdout


def test_hints_for_a_value_yaml_did_not_read_as_text(tmp_path: Any) -> None:
    """The hint quotes the value as written (1.10, not 1.1), a ttl without a unit is told
    to add one (quoting it would fail the ttl pattern next), and null gets a hint too."""
    path = tmp_path / "v.yaml"
    path.write_text("scriptflow: 1\nid: v\nversion: 1.10\ntitle: T\nstart: q\nfacts:\n"
                    "  f: {type: choice, options: [on, off, null], ttl: 30}\n"
                    "nodes:\n  q: {type: question, prompt: P, fact: f, next: e}\n"
                    "  e: {type: outcome, result: resolved}\n", encoding="utf-8")
    out = run_cli("lint", "--no-cache", str(path)).stdout
    assert "v.yaml:3:10: error SF101 `version` must be a whole number or text, not the " \
        "number 1.1\n    version: 1.10\n             ^\n    hint: put it in quotes to make " \
        "it text: '1.10'" in out
    assert "hint: put it in quotes to make it text: 'null'" in out
    assert "at ttl must be text, not the number 30" in out
    assert "hint: add a unit: 30m, 30h … (s, m, h or d)" in out
