"""`scriptflow run` as a user runs it: a new process, answers from a file or piped stdin."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import helpdesk, write_library

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def lib_dir(tmp_path: Path) -> Path:
    return write_library(tmp_path / "scripts", *helpdesk())


def answers_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_answers_file_with_json(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    answers = answers_file(tmp_path, "outage: no\nlights: all_green\nscope: one\n"
                                     "band: ghz24\n")
    done = cli("run", "net", "--library", str(lib_dir), "--answers", answers, "--json",
               "--fact", "account_id=12345678")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # stdout is only the JSON
    assert data["format"] == 1 and data["mode"] == "outcome"
    assert data["outcome"]["code"] == "wifi-fixed"
    assert [e["type"] for e in data["events"]].count("skipped") == 1
    assert "12345678" not in json.dumps(data["events"])
    # the human transcript went to stderr
    assert "skipped: Router lights — told us 'all_green' in net just now" in done.stderr
    assert "→ handed over to wifi: Let's look at the Wi-Fi." in done.stderr
    assert "outcome: resolved (wifi-fixed)" in done.stderr


def test_answers_file_lists_for_facts_asked_again(cli: Cli, tmp_path: Path,
                                                  lib_dir: Path) -> None:
    answers = answers_file(tmp_path, "outage: false\nlights: [internet_red, all_off]\n"
                                     "cycle: not_fixed\n")
    done = cli("run", "net", "--library", str(lib_dir), "--answers", answers)
    assert done.returncode == 0, done.stderr
    assert "forgotten: Router lights (was 'internet_red')" in done.stdout
    assert "[net:lights-again] And now, which lights?" in done.stdout
    assert "outcome: escalated (dead-router)" in done.stdout


def test_answers_file_answers_a_confirm_from_its_value(cli: Cli, tmp_path: Path,
                                                       lib_dir: Path) -> None:
    answers = answers_file(tmp_path, "scope: one\nband: ghz24\n")
    done = cli("run", "wifi", "--library", str(lib_dir), "--answers", answers,
               "--fact", "lights=all_green", "--fact", "band=ghz5")
    assert done.returncode == 0, done.stderr
    assert "confirm: Wi-Fi band — Earlier: ghz5. Still true?\n  1) yes\n  2) no\n> no" \
        in done.stdout
    assert "outcome: resolved (wifi-fixed)" in done.stdout


@pytest.mark.parametrize(("text", "says"), [
    ("outage: no\n", "the script asks 'lights' at net:lights but"),
    ("outage: no\nlights: [internet_red]\ncycle: not_fixed\n",
     "asks 'lights' a time more (2) than the 1 answer"),
    ("outage: no\nlights: purple\n", "'purple' is not a valid answer for 'lights'"),
    ("outage: maybe\n", "not a yes/no answer"),
])
def test_answers_file_failures_exit_1(cli: Cli, tmp_path: Path, lib_dir: Path, text: str,
                                      says: str) -> None:
    done = cli("run", "net", "--library", str(lib_dir), "--answers",
               answers_file(tmp_path, text))
    assert done.returncode == 1
    assert says in done.stderr


def test_interactive_with_piped_stdin(cli: Cli, lib_dir: Path) -> None:
    keys = "\n".join(["2", "2", "facts", "note customer is patient", "back", "3",
                      "summary", "quit"]) + "\n"
    done = cli("run", "net", "--library", str(lib_dir), "--actor", "agent", stdin=keys)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[net:outage] Is there an outage?\n  1) yes\n  2) no\n> 2" in out
    assert "[net:cycle] action: Restart the router of account {account_id}." in out
    assert "  Router lights: internet_red — agent in net:lights, just now" in out
    assert "noted" in out
    assert "undone: back to net:lights" in out
    assert "outcome: escalated (dead-router)" in out
    assert "quit" not in out.split("outcome:")[1]  # the session ended before quit was read


def test_interactive_summary_back_and_quit(cli: Cli, lib_dir: Path) -> None:
    keys = "back\n2\nnote\nsummary\nRED\ninternet_red\nquit\n"
    done = cli("run", "net", "--library", str(lib_dir), stdin=keys)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "nothing to undo" in out
    assert "note what?" in out
    assert "Now: net:lights (question)" in out
    assert "not accepted: 'RED' is not a valid answer for 'lights'" in out
    assert "quit: the session is left at net:cycle" in out


def test_input_ending_early_exits_1(cli: Cli, lib_dir: Path) -> None:
    done = cli("run", "net", "--library", str(lib_dir), stdin="2\n")
    assert done.returncode == 1
    assert "input ended before the session finished (at net:lights)" in done.stderr


def test_json_after_interactive_quit(cli: Cli, lib_dir: Path) -> None:
    done = cli("run", "net", "--library", str(lib_dir), "--json", stdin="2\nquit\n")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["stack"] == [["net", "lights"]]
    assert "[net:outage]" in done.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["nett"], "no script 'nett' in the library; did you mean 'net'?"),
    (["net", "--fact", "lights"], "expected KEY=VALUE"),
    (["net", "--fact", "lights=purple"], "'purple' is not a valid answer for 'lights'"),
    (["net", "--answers", "/nonexistent/answers.yaml"], "cannot read"),
])
def test_usage_errors_exit_2(cli: Cli, lib_dir: Path, args: list[str], says: str) -> None:
    done = cli("run", *args, "--library", str(lib_dir), stdin="")
    assert done.returncode == 2
    assert says in done.stderr


def test_missing_library_exits_2(cli: Cli, tmp_path: Path) -> None:
    done = cli("run", "net", "--library", str(tmp_path / "nowhere"), stdin="")
    assert done.returncode == 2 and "no library at" in done.stderr


def test_library_with_errors_exits_1(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bad.yaml").write_text("scriptflow: 1\nid: bad\nstart: nowhere\nnodes: {}\n")
    done = cli("run", "bad", "--library", str(folder), stdin="")
    assert done.returncode == 1 and "error" in done.stderr


def test_loop_in_the_scripts_exits_1(cli: Cli, tmp_path: Path) -> None:
    from .conftest import script

    folder = write_library(tmp_path / "loop", script("self", nodes={
        "again": {"type": "call", "script": "self", "next": "end"},
        "end": {"type": "outcome", "result": "resolved"}}))
    done = cli("run", "self", "--library", str(folder), stdin="")
    assert done.returncode == 1 and "calls nested deeper" in done.stderr
