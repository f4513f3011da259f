"""The pre-commit hook as pre-commit runs it: the command it builds, in a consuming repo."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT, WriteFiles

CALLER = """\
    scriptflow: 1
    id: router
    title: Router
    start: check
    nodes:
      check:
        type: call
        script: modem
        branches:
          resolved: done
          escalated: done
      done:
        type: outcome
        result: resolved
"""

CALLED = """\
    scriptflow: 1
    id: modem
    title: Modem
    start: lights
    facts:
      lights_on:
        type: boolean
    nodes:
      lights:
        type: question
        prompt: Are the lights on?
        fact: lights_on
        branches:
          yes: fine
          no: broken
      fine:
        type: outcome
        result: resolved
      broken:
        type: outcome
        result: escalated
"""

WORKFLOW = """\
    name: ci
    on: [push]
    jobs: {}
"""


def hook() -> dict[str, Any]:
    [definition] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert isinstance(definition, dict)
    return definition


def pre_commit_command(definition: dict[str, Any], staged: list[str],
                       args: list[str] | None = None) -> list[str]:
    """The command pre-commit runs for ``staged`` (its documented defaults applied)."""
    chosen = [f for f in staged
              if re.search(definition.get("files", ""), f)
              and not re.search(definition.get("exclude", "^$"), f)
              and f.endswith((".yaml", ".yml"))]  # types: [yaml]
    command = [*shlex.split(definition["entry"]),
               *(definition.get("args", []) if args is None else args)]
    if definition.get("pass_filenames", True):
        command += chosen
    return command


def run_hook(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert command[0] == "scriptflow"
    return subprocess.run([sys.executable, "-m", "scriptflow", *command[1:], "--no-cache"],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def test_hook_checks_the_whole_library_not_only_the_staged_files(
        write_files: WriteFiles) -> None:
    # Only the caller is staged: its call to `modem` must still resolve, and the staged
    # GitHub workflow is not a script, so it must not be linted (SF103).
    repo = write_files({"scripts/router.yaml": CALLER, "scripts/modem.yaml": CALLED,
                        ".github/workflows/ci.yml": WORKFLOW})
    command = pre_commit_command(hook(), ["scripts/router.yaml", ".github/workflows/ci.yml"])
    result = run_hook(command, repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems in 2 files" in result.stdout


def test_hook_still_fails_on_a_broken_library(write_files: WriteFiles) -> None:
    repo = write_files({"scripts/router.yaml": CALLER})  # `modem` is missing
    result = run_hook(pre_commit_command(hook(), ["scripts/router.yaml"]), repo)
    assert result.returncode == 1
    assert "SF203" in result.stdout


def test_hook_args_point_at_another_library_folder(write_files: WriteFiles) -> None:
    # What docs/rules/index.md tells a repository whose scripts live elsewhere to write.
    repo = write_files({"support/flows/router.yaml": CALLER,
                        "support/flows/modem.yaml": CALLED})
    command = pre_commit_command(hook(), ["support/flows/router.yaml"],
                                 args=["support/flows/"])
    assert run_hook(command, repo).returncode == 0


def test_hook_without_the_library_folder_says_so(write_files: WriteFiles) -> None:
    repo = write_files({"other/router.yaml": CALLER})
    result = run_hook(pre_commit_command(hook(), ["other/router.yaml"]), repo)
    assert result.returncode == 2
    assert "no such file or folder: scripts/" in result.stderr
