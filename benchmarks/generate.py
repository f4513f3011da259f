"""Generate large, valid script libraries for benchmarks (deterministic for a seed)."""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def script_text(index: int, nodes: int, rng: random.Random, library_size: int,
                linked: bool = False) -> str:
    """One script of about ``nodes`` nodes: questions on shared facts, actions, decisions,
    handoffs to other generated scripts and outcomes; lint-clean by construction.

    ``linked``: the script first calls one of a few shared sub-scripts (the last 1% of
    the library), and one script in ten hands off into a named node (not the start)."""
    sid = f"gen-{index:05d}"
    hubs = max(1, library_size // 100)
    calls = linked and index < library_size - hubs
    facts = [f"f{index}_{i}" for i in range(max(nodes // 4, 2))]
    lines = [
        "# yaml-language-server: $schema=../schemas/script.schema.json",
        "scriptflow: 1",
        f"id: {sid}",
        "version: 1",
        f"title: Generated script {index}",
        "tags: [generated]",
        "start: n0",
        "facts:",
    ]
    for key in facts:
        lines += [f"  {key}:", "    type: choice", "    options: [red, green, blue]",
                  f"    label: Generated fact {key}"]
    lines.append("nodes:")
    # A chain of questions/actions, each branching forward; the tail ends in outcomes.
    body = nodes - 3 - calls
    for i in range(body):
        fact = facts[i % len(facts)] if i < len(facts) else None
        nxt, alt = f"n{i + 1}", f"n{min(i + 2, body)}"
        if fact is None:
            lines += [f"  n{i}:", "    type: decision", "    routes:",
                      f"      - when: \"{facts[0]} == 'red' and known({facts[1]})\"",
                      f"        goto: {nxt}", f"      - goto: {alt}"]
            continue
        kind = "action" if i % 4 == 3 else "question"
        text_key = "instruction" if kind == "action" else "prompt"
        lines += [f"  n{i}:", f"    type: {kind}",
                  f"    {text_key}: Generated step {i} of script {index}; what do you see?",
                  f"    fact: {fact}", "    branches:", f"      red: {nxt}",
                  f"      green: {alt}", f"      blue: {nxt}"]
    # Handoffs only go forward, so the library has no handoff loops (SF303).
    target = rng.randrange(index + 1, library_size) if index + 1 < library_size else index
    other = f"gen-{target:05d}"
    lines += [f"  n{body}:", "    type: decision", "    routes:",
              f"      - when: \"{facts[0]} in ['red', 'green']\"", "        goto: fixed",
              "      - goto: escalate"]
    lines += ["  fixed:", "    type: outcome", "    result: resolved", "    code: fixed"]
    if calls:
        hub = rng.randrange(library_size - hubs, library_size)
        lines += ["  escalate:", "    type: call", f"    script: gen-{hub:05d}",
                  "    next: onward", "  onward:"]
    else:
        lines.append("  escalate:")
    lines += ["    type: outcome" if other == sid else "    type: handoff",
              *(["    result: escalated"] if other == sid else [f"    script: {other}"])]
    if linked and other != sid and index % 10 == 0:
        lines.append("    node: fixed")
    return "\n".join(lines) + "\n"


def generate(folder: Path, files: int, nodes: int, seed: int = 1,
             linked: bool = False) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        text = script_text(index, nodes, rng, files, linked)
        (folder / f"gen-{index:05d}.yaml").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--linked", action="store_true",
                        help="calls to shared sub-scripts and handoffs into named nodes")
    args = parser.parse_args()
    generate(args.folder, args.files, args.nodes, args.seed, args.linked)


if __name__ == "__main__":
    main()
