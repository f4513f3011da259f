"""The README's tour is real: every `$ scriptflow …` shown runs and prints what is shown."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT


def _console_examples() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text("utf-8")
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *output = chunk.rstrip("\n").split("\n")
            examples.append((command, output))
    return examples


EXAMPLES = _console_examples()


def test_the_readme_has_a_tour() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(("command", "output"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command: str, output: list[str]) -> None:
    shell = command.replace("scriptflow ", f"{sys.executable} -m scriptflow ", 1)
    result = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.rstrip("\n").split("\n") == output, result.stderr


def test_readme_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text("utf-8").split("\n")
    block = lines[lines.index("```bash") + 1: lines.index("```", lines.index("```bash"))]
    main, tests = [line for line in block if line.strip()]
    assert "scriptflow lint --strict scripts/" in main
    assert "scriptflow run " in main  # the main job plays a session too
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "readme_command 2" in ci and "readme_command 1" in ci
    assert f"#   main:  {main}\n" in ci and f"#   tests: {tests}\n" in ci


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    [hook] = hooks
    assert hook["id"] == "scriptflow-lint"
    assert hook["entry"] == "scriptflow lint"
    assert re.search(hook["files"], "scripts/internet-down.yaml")
    assert re.search(hook["exclude"], "scripts/internet-down.scenarios.yaml")


def test_readme_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python blocks run as written, from the repository root."""
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)
    session = namespace["s"]
    assert session.prompt.node == "power-cycle"  # type: ignore[attr-defined]
    assert [e.type for e in session.events].count("skipped") == 1  # type: ignore[attr-defined]
