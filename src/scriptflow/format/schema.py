"""Check a loaded document against the script JSON Schema, with positions and plain words.

The schema file ships inside the package; ``schemas/script.schema.json`` at the top of
the repository is the same file for editors (a test keeps the two identical).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from ..codes import make_problem
from ..problems import Problem
from .document import Document, Path

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SCHEMA_RESOURCE = "script.schema.json"
END_GUARD = "(?!\\n)"  # before the $ of the schema's patterns (see _explain)


@cache
def schema_text() -> str:
    # Straight from the package folder when it is one (importlib.resources costs ~15 ms
    # to import, a tenth of a one-file lint); through resources for zipped installs.
    here = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas", SCHEMA_RESOURCE)
    try:
        with open(here, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        from importlib import resources

        return resources.files("scriptflow.schemas").joinpath(SCHEMA_RESOURCE).read_text(
            "utf-8")


@cache
def script_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # imported only when a file is checked

    return Draft202012Validator(script_schema())


@cache
def _fast_validator() -> Any:
    from .fastschema import compile_schema

    return compile_schema(script_schema())


def did_you_mean(word: str, choices: Any) -> str:
    """``did you mean 'x'?`` for the closest choice, or ``""``."""
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _where(path: Path) -> str:
    """Human words for a path: ``node 'lights'``, ``fact 'router_lights'``, …"""
    if len(path) >= 2 and path[0] == "nodes":
        where = f"node {path[1]!r}"
        rest = path[2:]
    elif len(path) >= 2 and path[0] == "facts":
        where = f"fact {path[1]!r}"
        rest = path[2:]
    else:
        where, rest = "the script", path
    if rest:
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
        dotted = dotted.lstrip(".")
        where = f"`{dotted}`" if where == "the script" else f"{where} at {dotted}"
    return where


_TYPE_WORDS = {"string": "text", "object": "a mapping", "array": "a list",
               "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "null": "nothing"}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the text {value!r}"


def _source_token(doc: Document, path: Path) -> str:
    """The value at ``path`` as the author wrote it (``1.10``, not the number 1.1), when
    it is a plain scalar on one line; else ``""``."""
    if path not in doc.value_marks:
        return ""
    line, column = doc.value_marks[path]
    rest = doc.line_text(line)[column - 1:]
    token = re.split(r",|\]|\}| #", rest, maxsplit=1)[0].strip()
    return "" if token[:1] in ("'", '"', "|", ">", "&", "*", "!") else token


def _as_text_hint(path: Path, value: Any, written: str) -> str:
    """How to turn a number, yes/no or nothing that YAML read into the text expected."""
    if path and path[-1] == "ttl" and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return f"add a unit: {written or value}m, {written or value}h … (s, m, h or d)"
    if written:
        return f"put it in quotes to make it text: '{written}'"
    if value is None:
        return "give it a value, or leave the key out"
    return "put it in quotes to make it text"


def _explain(error: ValidationError, doc: Document) -> tuple[Path, bool, str, str]:
    """(path to point at, point at key?, message, hint) for one schema error."""
    path: Path = tuple(error.absolute_path)
    where = _where(path)
    kind = error.validator
    inst: Any = error.instance
    value: Any = error.validator_value
    schema: Any = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(inst, dict):
        allowed = set(schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        key: str = extra[0] if extra else ""
        node_type = inst.get("type") if path and path[0] in ("nodes", "facts") else None
        what = f"{node_type} {'node' if path[0] == 'nodes' else 'fact'}" if node_type else where
        hint = did_you_mean(key, sorted(allowed))
        if not hint and allowed:
            hint = "allowed keys: " + ", ".join(sorted(allowed))
        message = f"unknown key {key!r} in {what}"
        if node_type:
            message += f" {path[1]!r}"
        return (*path, key), True, message, hint
    if kind == "required":
        missing = [k for k in value if not isinstance(inst, dict) or k not in inst]
        name = missing[0] if missing else "?"
        return path, bool(path), f"{where} is missing required key {name!r}", ""
    if kind == "enum":
        options = ", ".join(str(v) for v in value)
        return path, False, f"{_describe(inst)} is not allowed for {where} (one of: {options})", \
            did_you_mean(inst, value)
    if kind == "const":
        return path, False, f"{where} must be {value!r}", ""
    if kind == "type":
        expected: Any = value
        words = " or ".join(str(_TYPE_WORDS.get(t, t)) for t in
                            (expected if isinstance(expected, list) else [expected]))
        hint = ""
        if "string" in (expected if isinstance(expected, list) else [expected]) and \
                (inst is None or isinstance(inst, (int, float, bool))):
            hint = _as_text_hint(path, inst, _source_token(doc, path))
        return path, False, f"{where} must be {words}, not {_describe(inst)}", hint
    if kind == "oneOf" and isinstance(inst, dict):
        routing = [k for k in ("next", "branches", "routes") if k in inst]
        routings = [k for k in ("next", "branches", "routes")
                    if any(k in s.get("required", []) for s in value)]
        choice = ", ".join(f"`{k}`" for k in routings)
        if len(routing) > 1:
            second = routing[1]
            return (*path, second), True, \
                f"{where} has both `{routing[0]}` and `{second}`; give exactly one of {choice}", ""
        return path, bool(path), f"{where} says nowhere to go next: give one of {choice}", ""
    if kind == "pattern":
        # The schema's patterns end in (?!\n)$ so that Python's re, where $ also matches
        # before a final line break, agrees with JSON Schema's $: shown without it.
        shown = str(value).replace(END_GUARD, "")
        hint = "the value ends with a line break: write it on one line, not as a `|` " \
            "block" if isinstance(inst, str) and inst.endswith("\n") else ""
        return path, False, f"{_describe(inst)} is not a valid value for {where} " \
            f"(must match {shown})", hint
    if kind == "propertyNames":
        return path, True, f"{where}: {error.message}", ""
    if kind in ("minItems", "minProperties", "minLength"):
        return path, False, f"{where} must not be empty", ""
    if kind == "uniqueItems":
        return path, False, f"{where} lists the same value twice", ""
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return path, False, f"{where}: {error.message}", ""
    if kind == "not":
        return path, False, f"{_describe(inst)} is not allowed for {where} (a reserved word)", ""
    return path, False, f"{where}: {error.message}", ""


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """Descend into if/then and allOf wrappers; keep oneOf whole (it has its own words)."""
    if error.context and error.validator not in ("oneOf",):
        for sub in error.context:
            yield from _leaf_errors(sub)
    else:
        yield error


def validate(doc: Document) -> tuple[list[Problem], set[Path]]:
    """Schema problems of ``doc`` and the set of paths they broke.

    A broken path is ``()`` (the whole script), ``("nodes", id)`` or ``("facts", key)``:
    later checks skip what is broken so that one mistake is reported once.
    """
    if _fast_validator()(doc.data):
        return [], set()
    problems: list[Problem] = []
    broken: set[Path] = set()
    seen: set[tuple[Path, str]] = set()
    errors = [e for top in _validator().iter_errors(doc.data) for e in _leaf_errors(top)]
    for error in _without_misspelled_required(errors):
        path, at_key, message, hint = _explain(error, doc)
        abs_path = tuple(error.absolute_path)
        broken.add(abs_path[:2] if abs_path and abs_path[0] in ("nodes", "facts")
                   and len(abs_path) >= 2 else ())
        if any(abs_path[:len(r)] == r for r in doc.rejected):
            continue  # the loader already reported this value (unsafe tag)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, column = doc.key_mark(path) if at_key else doc.mark(path)
        problems.append(make_problem("SF101", doc.path, line, column, message, hint=hint))
    problems.sort(key=Problem.sort_key)
    return problems, broken


def _without_misspelled_required(errors: list[ValidationError]) -> list[ValidationError]:
    """Drop "missing 'prompt'" where the same mapping has an unknown key 'promt'.

    One typo is one problem: the unknown key, with its did-you-mean hint.
    """
    unknown: dict[Path, list[str]] = {}
    for error in errors:
        schema: Any = error.schema
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(schema.get("properties", {}))
            unknown.setdefault(tuple(error.absolute_path), []).extend(
                k for k in error.instance if k not in allowed)
    if not unknown:
        return errors
    kept = []
    for error in errors:
        if error.validator == "required":
            typos = unknown.get(tuple(error.absolute_path), [])
            required: Any = error.validator_value
            instance: Any = error.instance
            missing = [k for k in required if k not in instance]
            if missing and all(difflib.get_close_matches(k, typos, n=1, cutoff=0.6)
                               for k in missing):
                continue
        kept.append(error)
    return kept
