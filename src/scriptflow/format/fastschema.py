"""Compile the subset of JSON Schema that the script schema uses into one predicate.

jsonschema's ``iter_errors`` costs several times the YAML parse even on valid
documents. Most documents are valid, so lint asks this compiled predicate first and
only runs jsonschema to explain a document that fails. A property test checks that
both always agree. Unknown keywords raise at compile time, so a schema edit that
uses something new cannot be silently ignored here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[Any], bool]

_IGNORED = frozenset({"$schema", "$id", "title", "description", "$comment", "examples",
                      "default", "$defs", "definitions", "markdownDescription"})


def _is_type(name: str) -> Predicate:
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "boolean":
        return lambda v: isinstance(v, bool)
    if name == "integer":
        return lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (
            isinstance(v, float) and v.is_integer())
    if name == "number":
        return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if name == "null":
        return lambda v: v is None
    raise ValueError(f"unsupported type {name!r}")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Predicate] = {}

    def ref(self, pointer: str) -> Predicate:
        if pointer not in self.refs:
            if not pointer.startswith("#/"):
                raise ValueError(f"unsupported $ref {pointer!r}")
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            holder: list[Predicate] = []

            def late(value: Any) -> bool:  # refs may recurse: bind once compiled
                return holder[0](value)

            self.refs[pointer] = late
            holder.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return _always
        if schema is False:
            return _never
        checks: list[Predicate] = []
        for key, arg in schema.items():
            if key in _IGNORED or key in ("then", "else", "properties",
                                          "additionalProperties", "patternProperties"):
                continue
            checks.append(self.keyword(key, arg, schema))
        if any(k in schema for k in ("properties", "additionalProperties", "patternProperties")):
            checks.append(self._object(schema))
        return _all_of(checks)

    def keyword(self, key: str, arg: Any, schema: dict[str, Any]) -> Predicate:
        simple = _SIMPLE.get(key)
        if simple is not None:
            return simple(arg)
        if key == "$ref":
            return self.ref(arg)
        if key == "items":
            return _items(self.compile(arg))
        if key == "propertyNames":
            return _property_names(self.compile(arg))
        if key == "allOf" and (dispatch := self.discriminated(arg)) is not None:
            return dispatch
        if key in ("allOf", "anyOf", "oneOf"):
            subs = [self.compile(s) for s in arg]
            return {"allOf": _all_of, "anyOf": _any_of, "oneOf": _one_of}[key](subs)
        if key == "not":
            return _negate(self.compile(arg))
        if key == "if":
            return _if_then_else(self.compile(arg), self.compile(schema.get("then", True)),
                                 self.compile(schema.get("else", True)))
        raise ValueError(f"unsupported JSON Schema keyword {key!r}")

    def discriminated(self, cases: list[Any]) -> Predicate | None:
        """``allOf: [{if: {properties: {type: {const: X}}, required: [type]}, then: …}, …]``
        compiled to one dict lookup on the discriminating key (for mappings)."""
        branches: dict[Any, Predicate] = {}
        prop: str | None = None
        for case in cases:
            cond = case.get("if") if isinstance(case, dict) else None
            if not isinstance(cond, dict) or set(case) - {"if", "then"} or set(cond) != {
                    "properties", "required"} or len(cond["properties"]) != 1:
                return None
            (name, sub), = cond["properties"].items()
            if cond["required"] != [name] or set(sub) != {"const"} or not isinstance(
                    sub["const"], str) or (prop is not None and prop != name):
                return None
            prop = name
            branches[sub["const"]] = self.compile(case.get("then", True))
        generic = _all_of([self.keyword("if", c["if"], c) for c in cases])

        def dispatch(value: Any) -> bool:
            if not isinstance(value, dict):
                return generic(value)
            branch = branches.get(value.get(prop)) if isinstance(value.get(prop), str) \
                else None
            return True if branch is None else branch(value)

        return dispatch

    def _object(self, schema: dict[str, Any]) -> Predicate:
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        patterns = [(re.compile(p), self.compile(s))
                    for p, s in schema.get("patternProperties", {}).items()]
        additional = schema.get("additionalProperties", True)
        extra = self.compile(additional)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                pred = props.get(key)
                if pred is not None:
                    if not pred(item):
                        return False
                    continue
                matched = False
                for rx, sub in patterns:
                    if rx.search(key):
                        matched = True
                        if not sub(item):
                            return False
                if not matched and not extra(item):
                    return False
            return True

        return check


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _all_of(preds: list[Predicate]) -> Predicate:
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    frozen = tuple(preds)
    return lambda v: all(p(v) for p in frozen)


def _any_of(preds: list[Predicate]) -> Predicate:
    frozen = tuple(preds)
    return lambda v: any(p(v) for p in frozen)


def _one_of(preds: list[Predicate]) -> Predicate:
    frozen = tuple(preds)
    return lambda v: sum(1 for p in frozen if p(v)) == 1


def _negate(pred: Predicate) -> Predicate:
    return lambda v: not pred(v)


def _if_then_else(cond: Predicate, then: Predicate, other: Predicate) -> Predicate:
    return lambda v: then(v) if cond(v) else other(v)


def _items(pred: Predicate) -> Predicate:
    return lambda v: not isinstance(v, list) or all(map(pred, v))


def _property_names(pred: Predicate) -> Predicate:
    return lambda v: not isinstance(v, dict) or all(map(pred, v))


def _type(arg: Any) -> Predicate:
    return _any_of([_is_type(n) for n in (arg if isinstance(arg, list) else [arg])])


def _enum(arg: Any) -> Predicate:
    if all(isinstance(x, str) for x in arg):
        members = frozenset(arg)
        return lambda v: isinstance(v, str) and v in members
    return lambda v: any(_equal(v, x) for x in arg)


def _const(arg: Any) -> Predicate:
    return lambda v: _equal(v, arg)


def _pattern(arg: Any) -> Predicate:
    rx = re.compile(arg)
    seen: dict[str, bool] = {}  # ids and keys repeat across a library: match each once

    def check(v: Any) -> bool:
        if not isinstance(v, str):
            return True
        found = seen.get(v)
        if found is None:
            if len(seen) > 100_000:
                seen.clear()
            found = seen[v] = rx.search(v) is not None
        return found

    return check


def _min_length(n: Any) -> Predicate:
    return lambda v: not isinstance(v, str) or len(v) >= n


def _max_length(n: Any) -> Predicate:
    return lambda v: not isinstance(v, str) or len(v) <= n


def _minimum(n: Any) -> Predicate:
    return lambda v: not _is_num(v) or bool(v >= n)


def _maximum(n: Any) -> Predicate:
    return lambda v: not _is_num(v) or bool(v <= n)


def _min_items(n: Any) -> Predicate:
    return lambda v: not isinstance(v, list) or len(v) >= n


def _min_properties(n: Any) -> Predicate:
    return lambda v: not isinstance(v, dict) or len(v) >= n


def _required(arg: Any) -> Predicate:
    keys = tuple(arg)
    return lambda v: not isinstance(v, dict) or all(k in v for k in keys)


def _unique_items(arg: Any) -> Predicate:
    return _unique if arg else _always


_SIMPLE: dict[str, Callable[[Any], Predicate]] = {
    "type": _type, "enum": _enum, "const": _const, "pattern": _pattern,
    "minLength": _min_length, "maxLength": _max_length, "minimum": _minimum,
    "maximum": _maximum, "minItems": _min_items, "minProperties": _min_properties,
    "required": _required, "uniqueItems": _unique_items,
}


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _unique(v: Any) -> bool:
    if not isinstance(v, list):
        return True
    for i, a in enumerate(v):
        for b in v[i + 1:]:
            if _equal(a, b) if not isinstance(a, (dict, list)) else a == b:
                return False
    return True


def compile_schema(schema: dict[str, Any]) -> Predicate:
    """A predicate that is True exactly when ``schema`` accepts the value."""
    return _Compiler(schema).compile(schema)
