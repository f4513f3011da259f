"""The store commands as a user runs them: new processes, a real SQLite file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from ..engine.conftest import helpdesk, write_library
from .conftest import RedisServer

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _answers(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _ids(cli: Cli, url: str, *extra: str) -> list[str]:
    done = cli("sessions", "list", "--store", url, "--json", *extra)
    assert done.returncode == 0, done.stderr
    return [row["id"] for row in json.loads(done.stdout)]


def test_run_store_then_resume_then_show(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    part = _answers(tmp_path, "part.yaml", "outage: no\n")
    first = cli("run", "net", "--library", str(lib_dir), "--store", url, "--answers", part)
    assert first.returncode == 1  # the file runs out at net:lights
    (sid,) = _ids(cli, url)
    assert f"session {sid} is saved in {url}" in first.stdout
    assert f"scriptflow run --resume {sid}" in first.stderr
    listed = cli("sessions", "list", "--store", url)
    assert f"{sid}  active" in listed.stdout and "at net:lights" in listed.stdout
    assert "v2" in listed.stdout  # saved at the start and after the answer

    rest = _answers(tmp_path, "rest.yaml", "lights: all_green\nscope: one\nband: ghz24\n")
    second = cli("run", "--resume", sid, "--library", str(lib_dir), "--store", url,
                 "--answers", rest)
    assert second.returncode == 0, second.stderr
    assert f"resumed session {sid} (version 2) at net:lights, in progress" in second.stdout
    assert "[net:outage]" not in second.stdout  # not asked again
    assert "outcome: resolved (wifi-fixed)" in second.stdout
    assert _ids(cli, url, "--status", "finished") == [sid]
    assert _ids(cli, url, "--status", "active") == []

    show = cli("sessions", "show", sid, "--store", url, "--library", str(lib_dir))
    assert show.returncode == 0, show.stderr
    assert "Finished: resolved (wifi-fixed) at wifi:fixed" in show.stdout
    assert "Transcript:" in show.stdout
    transcript = show.stdout.split("Transcript:")[1]
    assert "asked: Outage in area" in transcript
    assert "skipped: Router lights — told us 'all_green' in net" in transcript
    assert transcript.index("Outage in area: 'no'") < transcript.index("→ handed over")

    events = cli("events", "export", "--store", url, "--format", "jsonl")
    rows = [json.loads(line) for line in events.stdout.splitlines()]
    assert {r["session_id"] for r in rows} == {sid}
    assert sorted(r["seq"] for r in rows) == list(range(len(rows)))
    assert [r["type"] for r in rows].count("answered") == 4


def test_resume_errors(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    unknown = cli("run", "--resume", "nope", "--library", str(lib_dir), "--store", url)
    assert unknown.returncode == 2 and "no session 'nope'" in unknown.stderr
    both = cli("run", "net", "--resume", "x", "--library", str(lib_dir), "--store", url)
    assert both.returncode == 2 and "not both" in both.stderr
    bad = cli("run", "net", "--library", str(lib_dir), "--store", "mongo://x")
    assert bad.returncode == 2 and "unknown store scheme 'mongo'" in bad.stderr
    assert "sqlite:///PATH" in bad.stderr


def test_default_store_and_customer_memory(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    """Without --store, --customer uses the default file; a second contact skips what
    the first learned and confirms what its script wants confirmed."""
    first = cli("run", "net", "--library", str(lib_dir), "--customer", "acct-7", "--answers",
                _answers(tmp_path, "a.yaml", "outage: no\nlights: all_green\nscope: one\n"
                                             "band: ghz24\n"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "scriptflow-sessions.db").is_file()  # the documented default
    second = cli("run", "wifi", "--library", str(lib_dir), "--customer", "acct-7",
                 "--answers", _answers(tmp_path, "b.yaml", "band: ghz24\n"), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "skipped: Router lights — told us 'all_green' in net" in second.stdout
    assert "skipped: Devices affected — told us 'one' in wifi" in second.stdout
    assert "confirm: Wi-Fi band — Earlier: ghz24. Still true?" in second.stdout
    assert "outcome: resolved (wifi-fixed)" in second.stdout
    listed = cli("sessions", "list", cwd=tmp_path)  # the same default store
    assert listed.stdout.count("customer acct-7") == 2, listed.stdout


def test_sessions_check_lists_stranded(cli: Cli, tmp_path: Path, lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    for text in ("outage: no\n", "outage: yes\n"):  # one waits at lights, one is finished
        cli("run", "net", "--library", str(lib_dir), "--store", url, "--answers",
            _answers(tmp_path, "x.yaml", text))
    ok = cli("sessions", "check", "--store", url, "--library", str(lib_dir))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 active session(s)" in ok.stdout and "none stranded" in ok.stdout
    net, wifi, verify = helpdesk()
    del net["nodes"]["lights"]
    net["nodes"]["outage"]["branches"]["no"] = "lights-again"
    new_lib = write_library(tmp_path / "new", net, wifi, verify)
    found = cli("sessions", "check", "--store", url, "--library", str(new_lib))
    assert found.returncode == 1
    (active,) = _ids(cli, url, "--status", "active")
    assert f"{active}  net:lights  stranded: node 'lights' of 'net' was removed" in found.stdout
    assert "1 of 1 active session(s) would not resume" in found.stdout
    resumed = cli("run", "--resume", active, "--library", str(new_lib), "--store", url)
    assert resumed.returncode == 1 and "node 'lights' of 'net' was removed" in resumed.stderr
    assert f"remove it with `scriptflow sessions delete {active} --store {url}`" \
        in resumed.stderr


def test_show_a_corrupt_session_still_shows_what_is_stored(cli: Cli, tmp_path: Path,
                                                           lib_dir: Path) -> None:
    import sqlite3

    db = tmp_path / "sessions.db"
    url = f"sqlite:///{db}"
    cli("run", "net", "--library", str(lib_dir), "--store", url, "--answers",
        _answers(tmp_path, "x.yaml", "outage: no\n"))
    (sid,) = _ids(cli, url)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET head = substr(head, 1, 30)")
    show = cli("sessions", "show", sid, "--store", url, "--library", str(lib_dir))
    assert show.returncode == 1
    assert f"cannot rebuild session {sid}: stored session '{sid}' in {url} is corrupt" \
        in show.stdout
    assert "answered net:outage outage = False" in show.stdout
    check = cli("sessions", "check", "--store", url, "--library", str(lib_dir))
    assert check.returncode == 1 and f"{sid}  net:lights  corrupt:" in check.stdout


def test_redis_store_from_the_cli(cli: Cli, tmp_path: Path, lib_dir: Path,
                                  redis_server: RedisServer) -> None:
    url = redis_server.url.replace("/0", "/3")  # a database of its own
    done = cli("run", "net", "--library", str(lib_dir), "--store", url, "--answers",
               _answers(tmp_path, "x.yaml", "outage: yes\n"))
    assert done.returncode == 0, done.stderr
    (sid,) = _ids(cli, url)
    target = tmp_path / "copy.db"
    export = cli("sessions", "export", str(target), "--store", url)
    assert export.returncode == 0 and "exported 1 session(s)" in export.stdout
    assert _ids(cli, f"sqlite:///{target}") == [sid]
    assert cli("sessions", "expire", "0", "--store", url).stdout.startswith("deleted 1")
    assert _ids(cli, url) == []


def test_interactive_run_saves_answers_notes_and_back(cli: Cli, tmp_path: Path,
                                                      lib_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    done = cli("run", "net", "--library", str(lib_dir), "--store", url,
               stdin="no\nnote router is in the cellar\n2\nback\nquit\n")
    assert done.returncode == 0, done.stderr
    (sid,) = _ids(cli, url)
    assert f"(continue it with: scriptflow run --resume {sid})" in done.stdout
    rows = [json.loads(line) for line in cli("events", "export", "--store", url,
                                             "--session", sid).stdout.splitlines()]
    assert [r["type"] for r in rows if r["type"] != "asked"] == [
        "answered", "note", "answered", "undone"]
    listed = json.loads(cli("sessions", "list", "--store", url, "--json").stdout)
    # saved at the start, then after the answer, the note, the second answer and back
    assert listed[0]["version"] == 5 and listed[0]["node"] == "lights"
