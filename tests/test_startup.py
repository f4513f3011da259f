"""`scriptflow lint one-file.yaml` imports only what linting needs (the pre-commit case)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import WriteFiles

GOOD = """\
    scriptflow: 1
    id: lights
    start: ask
    facts:
      colour:
        type: choice
        options: [red, green]
    nodes:
      ask:
        type: question
        prompt: What colour are the lights?
        fact: colour
        branches:
          red: broken
          green: fine
      broken:
        type: outcome
        result: escalated
      fine:
        type: outcome
        result: resolved
"""

# Imports the CLI the way the console script does, lints, and reports what got imported.
PROBE = """
import json, sys
import scriptflow.cli.main as cli
code = cli.main(sys.argv[1:])
top = sorted({name.split(".")[0] for name in sys.modules})
ours = sorted(name for name in sys.modules if name.startswith("scriptflow."))
print(json.dumps({"code": code, "top": top, "ours": ours}))
"""


def _probe(cwd: Path, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPTFLOW_")}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    result: dict[str, object] = json.loads(last)
    return result


HEAVY = {"networkx", "jsonschema", "tomllib"}
OTHER_LAYERS = ("scriptflow.engine", "scriptflow.stores", "scriptflow.reports",
                "scriptflow.testing", "scriptflow.graph")


def _assert_light(found: dict[str, object]) -> None:
    top = set(found["top"])  # type: ignore[arg-type]
    assert not top & HEAVY, top & HEAVY
    ours = found["ours"]
    assert isinstance(ours, list)
    assert not [m for m in ours if m.startswith(OTHER_LAYERS)]
    assert not [m for m in ours if m.endswith("_cmd")]  # other commands are not registered


def test_linting_one_file_imports_neither_networkx_nor_jsonschema(
        write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({"lights.yaml": GOOD})
    cold = _probe(tmp_path, "lint", "--no-cache", str(lib / "lights.yaml"))
    assert cold["code"] == 0
    _assert_light(cold)
    assert "yaml" in cold["top"]  # type: ignore[operator]
    first = _probe(tmp_path, "lint", str(lib / "lights.yaml"))
    _assert_light(first)
    warm = _probe(tmp_path, "lint", str(lib / "lights.yaml"))  # the whole report reused
    assert warm["code"] == 0
    _assert_light(warm)
    assert "yaml" not in warm["top"]  # type: ignore[operator]


def test_jsonschema_is_imported_only_to_explain_a_broken_file(
        write_files: WriteFiles, tmp_path: Path) -> None:
    lib = write_files({"lights.yaml": GOOD.replace("prompt:", "promt:")})
    found = _probe(tmp_path, "lint", "--no-cache", str(lib / "lights.yaml"))
    assert found["code"] == 1
    assert "jsonschema" in found["top"]  # type: ignore[operator]
    assert "networkx" not in found["top"]  # type: ignore[operator]


def test_other_commands_are_still_registered(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPTFLOW_")}
    done = subprocess.run([sys.executable, "-m", "scriptflow", "--help"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("lint", "graph", "run", "test"):
        assert command in done.stdout
