"""Property tests: generated valid scripts lint clean; each kind of mistake is caught."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from scriptflow.checks.runner import lint_documents
from scriptflow.format.yamlload import load_text


@st.composite
def valid_scripts(draw: st.DrawFn) -> dict[str, Any]:
    """A random but valid script: a chain of questions with forward branches and decisions."""
    count = draw(st.integers(1, 8))
    facts: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    names = [f"n{i}" for i in range(count)] + ["end"]
    for i in range(count):
        key = f"f{i}"
        later = names[i + 1:]
        if i > 0 and draw(st.booleans()) and i < count - 1:
            # A decision on an earlier fact, guarded so it is never read unknown.
            j = draw(st.integers(0, i - 1))
            options = facts[f"f{j}"].get("options", ["yes", "no"])
            value = draw(st.sampled_from(options))
            facts[key] = {"type": "text"}
            nodes[f"n{i}"] = {"type": "question", "prompt": f"Tell us about {key}",
                              "fact": key, "next": f"n{i}x"}
            nodes[f"n{i}x"] = {"type": "decision", "routes": [
                {"when": f"known(f{j}) and f{j} == '{value}'",
                 "goto": draw(st.sampled_from(later))},
                {"goto": later[0]}]}
            continue
        kind = draw(st.sampled_from(["choice", "boolean"]))
        if kind == "choice":
            options = draw(st.lists(st.sampled_from(["red", "green", "blue", "off", "on"]),
                                    min_size=1, max_size=4, unique=True))
            facts[key] = {"type": "choice", "options": options}
        else:
            options = ["yes", "no"]
            facts[key] = {"type": "boolean"}
        branches = {options[0]: later[0]}
        for option in options[1:]:
            branches[option] = draw(st.sampled_from(later))
        node_type = draw(st.sampled_from(["question", "action"]))
        text_key = "prompt" if node_type == "question" else "instruction"
        nodes[f"n{i}"] = {"type": node_type, text_key: f"Step {i}?", "fact": key,
                          "branches": branches}
    nodes["end"] = {"type": "outcome", "result": draw(st.sampled_from(
        ["resolved", "escalated", "unresolved", "referred"]))}
    return {"scriptflow": 1, "id": "gen", "start": "n0", "facts": facts, "nodes": nodes}


def codes(script: dict[str, Any]) -> set[str]:
    text = yaml.safe_dump(script, sort_keys=False)
    report, _ = lint_documents([load_text(text, "gen.yaml")])
    return {p.code for p in report.problems}


@given(valid_scripts())
def test_valid_scripts_lint_clean(script: dict[str, Any]) -> None:
    assert codes(script) == set()


def _edges(script: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = []
    for nid, node in script["nodes"].items():
        for key in node.get("branches", {}):
            found.append((nid, "branches", key))
        if "next" in node:
            found.append((nid, "next", None))
    return found


@given(valid_scripts(), st.data())
def test_retargeted_edge_is_unknown_node(script: dict[str, Any], data: st.DataObject) -> None:
    nid, field, key = data.draw(st.sampled_from(_edges(script)))
    if key is None:
        script["nodes"][nid][field] = "nowhere"
    else:
        script["nodes"][nid][field][key] = "nowhere"
    assert "SF201" in codes(script)


@given(valid_scripts(), st.data())
def test_removed_node_is_unknown_node(script: dict[str, Any], data: st.DataObject) -> None:
    victim = data.draw(st.sampled_from([n for n in script["nodes"] if n != "n0"] or ["end"]))
    del script["nodes"][victim]
    assert "SF201" in codes(script)


@given(valid_scripts(), st.data())
def test_dropped_branch_is_missing_branch(script: dict[str, Any], data: st.DataObject) -> None:
    choices = [nid for nid, n in script["nodes"].items() if len(n.get("branches", {})) > 1]
    if not choices:
        return
    nid = data.draw(st.sampled_from(choices))
    branches = script["nodes"][nid]["branches"]
    del branches[data.draw(st.sampled_from(sorted(branches)))]
    assert "SF304" in codes(script)


@given(valid_scripts())
def test_orphan_is_unreachable(script: dict[str, Any]) -> None:
    script["nodes"]["orphan"] = {"type": "outcome", "result": "unresolved"}
    assert codes(script) == {"SF301"}


@given(valid_scripts(), st.data())
def test_trap_loop_is_no_way_out(script: dict[str, Any], data: st.DataObject) -> None:
    edges = _edges(script)
    script["facts"]["again"] = {"type": "boolean", "reask": "always"}
    script["nodes"]["trap"] = {"type": "action", "instruction": "Try again", "fact": "again",
                               "next": "trap-check"}
    script["nodes"]["trap-check"] = {"type": "decision", "routes": [{"goto": "trap"}]}
    nid, field, key = data.draw(st.sampled_from(edges))
    if key is None:
        script["nodes"][nid][field] = "trap"
    else:
        script["nodes"][nid][field][key] = "trap"
    assert "SF302" in codes(script)
