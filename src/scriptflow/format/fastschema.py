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
            self.refs[pointer] = lambda v: holder[0](v)  # late-bound: refs may recurse
            holder.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks: list[Predicate] = []
        for key, arg in schema.items():
            if key in _IGNORED or key in ("then", "else"):
                continue
            if key == "type":
                names = arg if isinstance(arg, list) else [arg]
                preds = [_is_type(n) for n in names]
                checks.append(lambda v, p=preds: any(q(v) for q in p))
            elif key == "$ref":
                checks.append(self.ref(arg))
            elif key == "enum":
                checks.append(lambda v, a=arg: any(_equal(v, x) for x in a))
            elif key == "const":
                checks.append(lambda v, a=arg: _equal(v, a))
            elif key == "pattern":
                rx = re.compile(arg)
                checks.append(lambda v, r=rx: not isinstance(v, str) or r.search(v) is not None)
            elif key == "minLength":
                checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) >= n)
            elif key == "maxLength":
                checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) <= n)
            elif key == "minimum":
                checks.append(lambda v, n=arg: not _is_num(v) or v >= n)
            elif key == "maximum":
                checks.append(lambda v, n=arg: not _is_num(v) or v <= n)
            elif key == "minItems":
                checks.append(lambda v, n=arg: not isinstance(v, list) or len(v) >= n)
            elif key == "uniqueItems":
                if arg:
                    checks.append(_unique)
            elif key == "items":
                item = self.compile(arg)
                checks.append(lambda v, p=item: not isinstance(v, list) or all(map(p, v)))
            elif key == "minProperties":
                checks.append(lambda v, n=arg: not isinstance(v, dict) or len(v) >= n)
            elif key == "required":
                checks.append(lambda v, r=tuple(arg): not isinstance(v, dict)
                              or all(k in v for k in r))
            elif key in ("properties", "additionalProperties", "patternProperties"):
                continue  # handled together below
            elif key == "propertyNames":
                name = self.compile(arg)
                checks.append(lambda v, p=name: not isinstance(v, dict) or all(map(p, v)))
            elif key == "allOf":
                subs = [self.compile(s) for s in arg]
                checks.append(lambda v, s=subs: all(p(v) for p in s))
            elif key == "anyOf":
                subs = [self.compile(s) for s in arg]
                checks.append(lambda v, s=subs: any(p(v) for p in s))
            elif key == "oneOf":
                subs = [self.compile(s) for s in arg]
                checks.append(lambda v, s=subs: sum(1 for p in s if p(v)) == 1)
            elif key == "not":
                sub = self.compile(arg)
                checks.append(lambda v, p=sub: not p(v))
            elif key == "if":
                cond = self.compile(arg)
                then = self.compile(schema.get("then", True))
                other = self.compile(schema.get("else", True))
                checks.append(lambda v, c=cond, t=then, o=other: t(v) if c(v) else o(v))
            else:
                raise ValueError(f"unsupported JSON Schema keyword {key!r}")
        if any(k in schema for k in ("properties", "additionalProperties", "patternProperties")):
            checks.append(self._object(schema))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v, c=tuple(checks): all(p(v) for p in c)

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
