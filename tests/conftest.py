"""Shared test setup: hypothesis profiles and helpers to write libraries and run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

# "dev" explores more; "ci" is bounded so the whole suite stays within minutes.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI")
                                     else "dev"))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


WriteFiles = Callable[..., Path]


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write ``{relative path: text}`` under a fresh folder; returns the folder."""

    def write(files: dict[str, str], folder: str = "lib") -> Path:
        base = tmp_path / folder
        for rel, text in files.items():
            target = base / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dedent(text), encoding="utf-8")
        return base

    return write


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``scriptflow`` as a user would: a new process."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "scriptflow", *args], cwd=cwd or ROOT,
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli
