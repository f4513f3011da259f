"""`scriptflow lint` as a user runs it: a subprocess, each output format, exit codes, config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import WriteFiles, run_cli

GOOD = """\
    scriptflow: 1
    id: printer
    title: Printer will not print
    start: power
    facts:
      printer_on:
        type: boolean
        label: Printer is on
    nodes:
      power:
        type: question
        prompt: Is the printer switched on?
        fact: printer_on
        branches:
          yes: done
          no: switch-on
      switch-on:
        type: outcome
        result: resolved
        code: switched-on
      done:
        type: outcome
        result: escalated
"""

BROKEN = """\
    scriptflow: 1
    id: printer
    start: power
    facts:
      printer_on:
        type: boolean
      paper:
        type: text
    nodes:
      power:
        type: question
        prompt: Is the printer switched on?
        fact: printer_on
        branches:
          yes: dne
          no: orphan-free
      done:
        type: outcome
        result: resolved
"""


def test_clean_library_exits_0(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": GOOD})
    result = run_cli("lint", str(lib))
    assert result.returncode == 0, result.stdout
    assert "no problems in 1 file" in result.stdout


def test_text_output_has_position_source_caret_and_hint(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": BROKEN})
    result = run_cli("lint", str(lib))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    first = f"{lib / 'printer.yaml'}:15:12: error SF201 branch 'yes' of node 'power' goes to " \
            "'dne', which is not a node of this script"
    assert first in lines
    at = lines.index(first)
    assert lines[at + 1] == "          yes: dne"
    assert lines[at + 2] == "               ^"
    assert lines[at + 3] == "    hint: did you mean 'done'?"
    assert lines[-1].startswith("2 error(s), 1 warning(s)")


def test_json_format_matches_the_spec_shape(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": BROKEN})
    result = run_cli("lint", "--format", "json", str(lib))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) == {"problems", "summary"}
    assert data["summary"] == {"errors": 2, "warnings": 1, "files": 1}
    for problem in data["problems"]:
        assert {"code", "name", "severity", "path", "line", "column", "message", "script",
                "node"} <= set(problem)
    codes = [(p["code"], p["line"], p["column"]) for p in data["problems"]]
    assert codes == [("SF403", 7, 3), ("SF201", 15, 12), ("SF201", 16, 11)]


def test_sarif_is_2_1_0_with_rule_metadata(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": BROKEN})
    data = json.loads(run_cli("lint", "--format", "sarif", str(lib)).stdout)
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["SF201"]["name"] == "unknown-node"
    result = run["results"][1]
    assert result["ruleId"] == "SF201"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "SF201"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 15, "startColumn": 12}


def test_github_annotations(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": BROKEN})
    out = run_cli("lint", "--format", "github", str(lib)).stdout.splitlines()
    assert out[0].startswith(f"::warning file={lib / 'printer.yaml'},line=7,col=3,"
                             "title=SF403 unused-fact::")
    assert out[1].startswith("::error ")


def test_warnings_only_exit_0_but_1_with_strict(write_files: WriteFiles) -> None:
    extra = GOOD.replace("    nodes:", "      spare:\n        type: text\n    nodes:")
    lib = write_files({"printer.yaml": extra})
    assert run_cli("lint", str(lib)).returncode == 0
    assert run_cli("lint", "--strict", str(lib)).returncode == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("lint", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr


def test_bad_option_is_a_usage_error() -> None:
    assert run_cli("lint", "--format", "xml", "scripts").returncode == 2


def test_pyproject_config_ignores_and_overrides(write_files: WriteFiles) -> None:
    lib = write_files({
        "pyproject.toml": """\
            [tool.scriptflow.lint]
            ignore = ["unused-fact"]
            severity = { SF201 = "warning" }
        """,
        "scripts/printer.yaml": BROKEN,
    })
    result = run_cli("lint", "--format", "json", "scripts", cwd=lib)
    data = json.loads(result.stdout)
    assert [(p["code"], p["severity"]) for p in data["problems"]] == [
        ("SF201", "warning"), ("SF201", "warning")]
    assert result.returncode == 0


def test_bad_config_is_a_usage_error(write_files: WriteFiles) -> None:
    lib = write_files({"pyproject.toml": "[tool.scriptflow.lint]\nignore = ['SF999']\n",
                       "scripts/printer.yaml": GOOD})
    result = run_cli("lint", "scripts", cwd=lib)
    assert result.returncode == 2
    assert "unknown rule 'SF999'" in result.stderr


def test_inline_ignore_on_the_node_line(write_files: WriteFiles) -> None:
    text = GOOD.replace("      done:\n", "      done:\n") + """\
      spare:  # scriptflow: ignore[SF301]
        type: outcome
        result: unresolved
      other:
        type: outcome
        result: unresolved
"""
    lib = write_files({"printer.yaml": text})
    data = json.loads(run_cli("lint", "--format", "json", str(lib)).stdout)
    assert [(p["code"], p["node"]) for p in data["problems"]] == [("SF301", "other")]


def test_rule_command_explains_a_rule() -> None:
    result = run_cli("rule", "SF302")
    assert result.returncode == 0
    assert result.stdout.startswith("SF302 no-way-out (default: error)")
    assert run_cli("rule", "unreachable-node").stdout.startswith("SF301")
    assert run_cli("rule", "SF999").returncode == 2
    listing = run_cli("rule").stdout
    assert listing.count("\n") == 22


def test_graph_mermaid_and_dot(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": GOOD})
    mermaid = run_cli("graph", str(lib), "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart TD")
    assert 'n_printer__power{{"power<br/>printer_on"}}' in mermaid
    assert 'n_printer__done(["done<br/>escalated"])' in mermaid
    assert '-->|"yes"|' in mermaid
    dot = run_cli("graph", str(lib), "--format", "dot", "--script", "printer").stdout
    assert dot.startswith("digraph scriptflow {")
    assert '"printer:power" -> "printer:switch-on" [label="no"];' in dot
    missing = run_cli("graph", str(lib), "--script", "printr")
    assert missing.returncode == 2
    assert "did you mean 'printer'?" in missing.stderr


# Tests run as root, which may list any folder, so a folder that cannot be read is
# simulated: a new process whose os.scandir refuses the folder named "locked".
LOCKED_SCANDIR = """\
import os, sys
real_scandir = os.scandir
def scandir(path="."):
    if os.path.basename(os.fspath(path)) == "locked":
        raise PermissionError(13, "Permission denied", os.fspath(path))
    return real_scandir(path)
os.scandir = scandir
from scriptflow.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_with_locked_folder(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "SCRIPTFLOW_NO_CACHE": "1"}
    return subprocess.run([sys.executable, "-c", LOCKED_SCANDIR, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("folder", ["locked", "."])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unreadable_folder_is_exit_2_not_a_pass(write_files: WriteFiles, folder: str,
                                                fmt: str) -> None:
    # Both the folder named and a folder found under it: nothing may be skipped silently.
    lib = write_files({"locked/printer.yaml": GOOD, "other.yaml": GOOD.replace(
        "id: printer", "id: other")})
    result = run_with_locked_folder("lint", "--format", fmt, folder, cwd=lib)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert "cannot read folder" in result.stderr
    assert "locked: Permission denied" in result.stderr
    assert "make it readable" in result.stderr


def test_graph_of_an_unreadable_folder_is_exit_2(write_files: WriteFiles) -> None:
    lib = write_files({"locked/printer.yaml": GOOD})
    result = run_with_locked_folder("graph", ".", cwd=lib)
    assert result.returncode == 2
    assert "cannot read folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_path_under_a_file_is_a_missing_path(write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": GOOD})
    result = run_cli("lint", str(lib / "printer.yaml" / "more"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("[tool.scriptflow.lint\n", "not valid TOML"),
    ("[tool.scriptflow]\nlint = 3\n", "[tool.scriptflow.lint]: must be a table"),
    ("[tool]\nscriptflow = 'x'\n", "`tool.scriptflow` must be a table"),
    ("[tool.scriptflow.lint]\nmax-questions = 0\n", "max-questions must be a whole number"),
])
@pytest.mark.parametrize("how", ["--config", "discovered"])
def test_broken_config_is_a_usage_error(write_files: WriteFiles, text: str, expected: str,
                                        how: str) -> None:
    # Exit 1 would read as "lint errors found"; a broken config is the user's setup (2).
    name = "custom.toml" if how == "--config" else "pyproject.toml"
    lib = write_files({name: text, "scripts/printer.yaml": GOOD})
    args = ["--config", name] if how == "--config" else []
    result = run_cli("lint", "--no-cache", *args, "scripts", cwd=lib)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert name in result.stderr


def test_missing_config_file_is_a_usage_error(write_files: WriteFiles) -> None:
    lib = write_files({"scripts/printer.yaml": GOOD})
    result = run_cli("lint", "--config", "nope.toml", "scripts", cwd=lib)
    assert result.returncode == 2
    assert "cannot read the configuration nope.toml" in result.stderr


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_max_questions_below_1_is_a_usage_error(write_files: WriteFiles, value: str) -> None:
    lib = write_files({"printer.yaml": GOOD})
    result = run_cli("lint", f"--max-questions={value}", str(lib))
    assert result.returncode == 2
    assert "--max-questions" in result.stderr
    assert "at least 1" in result.stderr


@pytest.mark.parametrize(("code", "old", "new", "at"), [
    ("SF101", "prompt: Is", "promt: Is", (12, 5)),                  # unknown key
    ("SF102", "fact: printer_on\n", "fact: printer_on\n        fact: printer_on\n", (14, 5)),
    ("SF104", "prompt: Is", "prompt: !Shout Is", (12, 13)),         # a constructing tag
])
def test_file_level_problems_name_their_node_and_obey_its_ignore(
        write_files: WriteFiles, code: str, old: str, new: str, at: tuple[int, int]) -> None:
    # The loader and schema only know positions; the node around them is filled in, so
    # JSON says where the problem is and the node-line comment silences it.
    broken = GOOD.replace(old, new, 1)
    lib = write_files({"printer.yaml": broken})
    data = json.loads(run_cli("lint", "--format", "json", str(lib)).stdout)
    [problem] = [p for p in data["problems"] if p["code"] == code]
    assert (problem["line"], problem["column"]) == at
    assert (problem["script"], problem["node"]) == ("printer", "power")
    ignored = broken.replace("      power:\n", f"      power:  # scriptflow: ignore[{code}]\n")
    lib = write_files({"printer.yaml": ignored}, folder="ignored")
    result = run_cli("lint", "--format", "json", str(lib))
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == []
    assert result.returncode == 0


def test_file_level_problems_outside_nodes_name_only_the_script(
        write_files: WriteFiles) -> None:
    lib = write_files({"printer.yaml": GOOD.replace("title: Printer", "titel: Printer")})
    data = json.loads(run_cli("lint", "--format", "json", str(lib)).stdout)
    assert [(p["code"], p["script"], p["node"]) for p in data["problems"]] == [
        ("SF101", "printer", None)]


def test_sarif_artifact_uris_are_percent_encoded(write_files: WriteFiles) -> None:
    # A raw path is not a URI: the space would be invalid and '#' would start a fragment.
    lib = write_files({"sp ace/a#1,b.yaml": BROKEN})
    data = json.loads(run_cli("lint", "--format", "sarif", "sp ace", cwd=lib).stdout)
    run = data["runs"][0]
    [base] = run["originalUriBaseIds"].values()
    assert base["uri"] == lib.resolve().as_uri() + "/"
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "sp%20ace/a%231%2Cb.yaml", "uriBaseId": "%SRCROOT%"}
    absolute = json.loads(run_cli("lint", "--format", "sarif", str(lib / "sp ace")).stdout)
    uri = absolute["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"]
    assert uri == (lib / "sp ace" / "a#1,b.yaml").as_uri()
    assert "%20" in uri and "%23" in uri


def test_scenario_files_named_by_a_glob_are_not_linted_as_scripts(
        write_files: WriteFiles) -> None:
    """`scriptflow lint scripts/*` names the scenario files too; they are no scripts
    (found by an audit: each gave SF103 'missing scriptflow: 1')."""
    lib = write_files({"printer.yaml": GOOD,
                       "printer.scenarios.yaml": "script: printer\nscenarios: []\n"})
    result = run_cli("lint", "--no-cache", *sorted(str(p) for p in lib.iterdir()))
    assert result.returncode == 0, result.stdout
    assert "no problems in 1 file" in result.stdout


def test_folders_behind_symbolic_links_are_searched_once(write_files: WriteFiles,
                                                         tmp_path: Path) -> None:
    """Scripts kept in a linked folder are linted (they were silently left out: 'no
    problems in 0 files'), and a link back up the tree does not loop."""
    shared = write_files({"printer.yaml": GOOD}, folder="shared")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "shared").symlink_to(shared, target_is_directory=True)
    (shared / "up").symlink_to(lib, target_is_directory=True)  # a circle
    result = run_cli("lint", "--no-cache", str(lib))
    assert result.returncode == 0, result.stdout
    assert "no problems in 1 file" in result.stdout
