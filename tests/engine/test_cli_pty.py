"""`scriptflow run` in a real terminal (a pseudo-terminal), walking every bundled script.

An agent sees a prompt, types a number or a value, and the next prompt appears: these
tests drive the player the same way, reading what the terminal shows before answering.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(p.stem for p in (ROOT / "scripts").glob("*.yaml")
                 if not p.name.endswith(".scenarios.yaml"))
# Sample values for free-text facts, tried in order against the pattern shown.
TEXT_SAMPLES = ("12345678", "E12", "AB12 3CD", "router in the hall")


class Terminal:
    """A process on a pseudo-terminal: read what it shows, type lines."""

    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
        self.proc = subprocess.Popen([sys.executable, "-m", "scriptflow", *args], cwd=ROOT,
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     close_fds=True)
        os.close(slave)
        self.shown = ""

    def read_until(self, pattern: str, timeout: float = 20) -> str:
        """Everything shown up to and including ``pattern``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        start = len(self.shown)
        while not re.search(pattern, self.shown[start:]):
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._ready(0)):
                raise AssertionError(f"never saw {pattern!r}; the terminal shows:\n"
                                     f"{self.shown[-2000:]}")
            if self._ready(min(left, 0.5)):
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process closed the terminal
                    chunk = b""
                self.shown += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return self.shown[start:]

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self.master], [], [], timeout)[0])

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # a failed test must not leave the player running
            return self.proc.wait()
        finally:
            os.close(self.master)


def _answer_for(block: str) -> str:
    """A valid answer for the prompt at the end of ``block``, as an agent would type it."""
    if re.search(r"^\s+1\) ", block, re.M):
        return "1"
    number = re.search(r"\(an? (?:whole )?number(?: from (-?[\d.]+))?", block)
    if number:
        return number.group(1) or "1"
    pattern = re.search(r"\(text matching (.+)\)", block)
    if pattern:
        return next(s for s in TEXT_SAMPLES if re.fullmatch(pattern.group(1), s))
    return TEXT_SAMPLES[-1]


@pytest.mark.parametrize("script", BUNDLED)
def test_an_agent_can_walk_every_bundled_script(script: str) -> None:
    term = Terminal("run", script, "--library", "scripts/", "--actor", "agent")
    try:
        for _ in range(60):
            shown = term.read_until(r"(?m)\n> \Z|^outcome: .*$|^scriptflow: ")
            if "outcome: " in shown or "scriptflow: " in shown:
                break
            term.type(_answer_for(shown))
        assert "outcome: " in term.shown, term.shown[-2000:]
        assert "not accepted" not in term.shown
    finally:
        status = term.close()
    assert status == 0, term.shown[-2000:]


def test_terminal_session_with_commands_and_a_handoff() -> None:
    term = Terminal("run", "internet-down", "--library", "scripts/")
    try:
        assert "[internet-down:outage-check]" in term.read_until(r"\n> \Z")
        term.type("2")                       # no outage: by number
        term.read_until(r"\n> \Z")
        term.type("internet_red")            # the lights: by value
        term.read_until(r"\n> \Z")
        term.type("note customer has the router in the hall")
        assert "noted" in term.read_until(r"\n> \Z")
        term.type("not_fixed")
        term.read_until(r"\n> \Z")
        term.type("all_green")
        term.read_until(r"\n> \Z")
        term.type("wireless")
        shown = term.read_until(r"\n> \Z")
        assert "→ handed over to wifi-weak-signal" in shown
        for answer in ("all_devices", "other_floor", "in_open", "ghz_5"):
            term.type(answer)
            shown = term.read_until(r"\n> \Z")
        assert re.search(r"skipped: Router restart \(unplugged 30 seconds\) — told us "
                         r"'not_fixed' in internet-down (just now|\d+ (s|sec|min))", shown)
        term.type("summary")
        brief = term.read_until(r"\n> \Z")
        assert "customer has the router in the hall" in brief
        term.type("quit")
        assert "quit" in term.read_until(r"left at wifi-weak-signal:speed-check")
    finally:
        status = term.close()
    assert status == 0
