"""The loader accepts no key that the schema does not describe, anywhere in a script."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scriptflow.checks.runner import lint_documents
from scriptflow.format.yamlload import load_text

from .conftest import SCRIPTS


def _mappings(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(value, dict):
        found.append(path)
        for key, item in value.items():
            found += _mappings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _mappings(item, (*path, i))
    return found


def _bundled() -> list[tuple[str, tuple[Any, ...]]]:
    cases = []
    for path in sorted(SCRIPTS.glob("*.yaml")):
        if path.name.endswith(".scenarios.yaml"):  # scenario tests, not scripts
            continue
        data = yaml.safe_load(path.read_text("utf-8").replace("yes:", "'yes':")
                              .replace("no:", "'no':"))
        # Keys under branches, facts and nodes are names chosen by the author.
        cases += [(path.name, where) for where in _mappings(data)
                  if where[-1:] not in (("branches",), ("facts",), ("nodes",))]
    return cases


def _add_key(data: Any, where: tuple[Any, ...]) -> None:
    target = data
    for part in where:
        target = target[part]
    target["surprise_key"] = "x"


@pytest.mark.parametrize(("name", "where"), _bundled()[::5])
def test_an_unknown_key_anywhere_is_a_schema_error(name: str, where: tuple[Any, ...]) -> None:
    data = load_text((SCRIPTS / name).read_text("utf-8")).data
    _add_key(data, where)
    text = yaml.safe_dump(data, sort_keys=False)
    report, _ = lint_documents([load_text(text, name)])
    assert "SF101" in [p.code for p in report.problems], where
