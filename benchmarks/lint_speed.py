"""Lint speed (issue 7, targets 1, 2, 5, 6), every figure measured in this one run.

Run from the repository root, in the venv::

    .venv/bin/python benchmarks/lint_speed.py            # ~5 minutes on 2 cores

It installs check-jsonschema, PyYAML and fastjsonschema into ``benchmarks/_env`` the
first time, generates a library under ``benchmarks/_data`` and prints one table:

- cold ``scriptflow lint --no-cache`` (a new process; schema, graph and data-flow
  checks, positions kept) as it chooses (workers on idle cores), in one process and
  with two worker processes;
- ``check-jsonschema --schemafile`` on the same files (schema only);
- the floor: libyaml's CSafeLoader + a compiled schema (fastjsonschema) + a plain walk
  of each script's graph, GC paused, as a new process;
- warm lint (nothing changed since the last run: the cache answers);
- lint after one file changed;
- the same in a *linked* library (``generate.py --linked``: every script calls one of
  ten shared sub-scripts, one in ten hands off into a named node), where a change
  reaches the scripts that depend on the file: each of seven files spread over the
  library changed in turn, median and slowest;
- start-up: ``scriptflow lint`` on one small file beside check-jsonschema on it;
- memory: peak RSS of a process that ``load_library``\\ s the whole library.

Times are medians of wall-clock time; runs of the tools being compared alternate, so a
busy machine slows both alike. CPU seconds (user + system of the process and its
children) are printed beside them: on a shared machine they vary less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from results import at_least, at_most, record

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "_data"
ENV = ROOT / "benchmarks" / "_env"
SCHEMA = ROOT / "schemas" / "script.schema.json"
COMPARED = ("check-jsonschema", "pyyaml", "fastjsonschema")
# Bytecode is written as users' installs have it (some shells here set the opposite).
ENVIRON = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "SCRIPTFLOW_NO_CACHE", "SCRIPTFLOW_CACHE_DIR")}

FLOOR = r"""
import gc, json, sys, yaml, fastjsonschema
gc.disable()
check = fastjsonschema.compile(json.load(open(sys.argv[1])))
bad = 0
for path in sys.argv[2:]:
    with open(path, "rb") as handle:
        data = yaml.load(handle.read(), Loader=yaml.CSafeLoader)
    try:
        check(data)
    except fastjsonschema.JsonSchemaException:
        bad += 1
    nodes = data["nodes"]
    seen, todo = {data["start"]}, [data["start"]]
    while todo:
        node = nodes[todo.pop()]
        targets = list(node.get("branches", {}).values())
        targets += [r["goto"] for r in node.get("routes", ())]
        if "next" in node:
            targets.append(node["next"])
        for target in targets:
            if target not in seen:
                seen.add(target)
                todo.append(target)
print(bad)
"""

MEMORY = r"""
import gc, resource, sys
import scriptflow
lib = scriptflow.load_library(sys.argv[1], cache=sys.argv[2] == "cache")
nodes = sum(len(s.nodes) for s in lib.scripts.values())
gc.collect()
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
print(nodes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rss)
"""


def ensure_compared() -> Path:
    python = ENV / "bin" / "python"
    probe = "import check_jsonschema, yaml, fastjsonschema; assert yaml.__with_libyaml__"
    if not python.exists():
        venv.create(ENV, with_pip=True)
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode != 0:
        subprocess.run([str(ENV / "bin" / "pip"), "install", "-q", *COMPARED], check=True)
    return python


def run(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (a new process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, env=ENVIRON, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


class Timings:
    """Medians per label, from runs that alternate between labels."""

    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[float, float]]] = {}

    def add(self, label: str, sample: tuple[float, float]) -> None:
        self.samples.setdefault(label, []).append(sample)

    def wall(self, label: str) -> float:
        return statistics.median(s[0] for s in self.samples[label])

    def cpu(self, label: str) -> float:
        return statistics.median(s[1] for s in self.samples[label])


def alternate(timings: Timings, runs: dict[str, Callable[[], tuple[float, float]]],
              repeat: int) -> None:
    for _ in range(repeat):
        for label, once in runs.items():
            timings.add(label, once())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--cj-repeat", type=int, default=1,
                        help="runs of check-jsonschema on the whole library (it is slow)")
    parser.add_argument("--startup-repeat", type=int, default=21)
    args = parser.parse_args()
    env_python = ensure_compared()
    cj = str(ENV / "bin" / "check-jsonschema")
    scriptflow = [sys.executable, "-m", "scriptflow", "lint"]

    folder = DATA / f"lib-{args.files}x{args.nodes}"
    if not folder.exists():
        generate(folder, args.files, args.nodes)
    linked = DATA / f"lib-{args.files}x{args.nodes}-linked"
    if not linked.exists():
        generate(linked, args.files, args.nodes, linked=True)
    files = [str(f) for f in sorted(folder.glob("*.yaml"))]
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    work = Path(tempfile.mkdtemp(prefix="lint-speed-"))
    cache_dir = str(work / "cache")
    timings = Timings()
    try:
        run([*scriptflow, "--no-cache", files[0]])  # bytecode written, files in page cache
        print(f"library: {len(files)} files x {args.nodes} nodes, {megabytes:.1f} MB; "
              f"timing (medians of {args.repeat}) ...", file=sys.stderr)
        alternate(timings, {
            "cold lint": lambda: run([*scriptflow, "--no-cache", str(folder)]),
            "cold lint, one process": lambda: run([*scriptflow, "--no-cache", "--jobs", "1",
                                                   str(folder)]),
            "cold lint, two processes": lambda: run([*scriptflow, "--no-cache", "--jobs", "2",
                                                     str(folder)]),
            "floor": lambda: run([str(env_python), "-c", FLOOR, str(SCHEMA), *files]),
            "cold lint, linked": lambda: run([*scriptflow, "--no-cache", str(linked)]),
        }, args.repeat)
        alternate(timings, {
            "check-jsonschema": lambda: run([cj, "--schemafile", str(SCHEMA), *files]),
        }, args.cj_repeat)

        run([*scriptflow, "--cache-dir", cache_dir, str(folder)])  # fill the cache
        changed = Path(files[len(files) // 2])
        original = changed.read_bytes()
        edits = iter(range(10**6))

        def one_changed() -> tuple[float, float]:
            changed.write_bytes(original + f"# edit {next(edits)}\n".encode())
            return run([*scriptflow, "--cache-dir", cache_dir, str(folder)])

        try:
            alternate(timings, {"one file changed": one_changed}, args.repeat)
        finally:
            changed.write_bytes(original)
        linked_changes(timings, scriptflow, linked, cache_dir, args.repeat)
        run([*scriptflow, "--cache-dir", cache_dir, str(folder)])
        alternate(timings, {
            "warm lint": lambda: run([*scriptflow, "--cache-dir", cache_dir, str(folder)]),
        }, args.repeat)

        small = work / "one.yaml"
        shutil.copy(ROOT / "scripts" / "verify-caller.yaml", small)
        alternate(timings, {
            "start-up: lint one file": lambda: run([*scriptflow, "--no-cache", str(small)],
                                                   cwd=work),
            "start-up: lint one file, cached": lambda: run(
                [*scriptflow, "--cache-dir", cache_dir, str(small)], cwd=work),
            "start-up: check-jsonschema": lambda: run([cj, "--schemafile", str(SCHEMA),
                                                       str(small)], cwd=work),
        }, args.startup_repeat)

        memory = {}
        for mode in ("no-cache", "cache"):
            out = subprocess.run([sys.executable, "-c", MEMORY, str(folder), mode],
                                 capture_output=True, text=True, cwd=work, check=True,
                                 env={**ENVIRON, "SCRIPTFLOW_CACHE_DIR": cache_dir}
                                 ).stdout.split()
            memory[mode] = (int(out[0]), int(out[1]) / 1024, int(out[2]) / 1024)
        baseline = subprocess.run([sys.executable, "-c", "import resource, scriptflow.library;"
                                   "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                                  capture_output=True, text=True, env=ENVIRON,
                                  check=True).stdout
        memory["interpreter"] = (0, int(baseline) / 1024, 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(timings, memory, len(files), args, megabytes)
    record_figures(timings, memory)


def linked_changes(timings: Timings, scriptflow: list[str], linked: Path, cache_dir: str,
                   repeat: int) -> None:
    """Lint the linked library after each of seven files spread over it changed."""
    run([*scriptflow, "--cache-dir", cache_dir, str(linked)])  # fill the cache
    files = sorted(linked.glob("*.yaml"))
    for number in range(repeat):
        for k in range(1, 8):
            changed = files[len(files) * k // 8]
            original = changed.read_bytes()
            try:
                changed.write_bytes(original + f"# edit {number}\n".encode())
                timings.add("one file changed, linked",
                            run([*scriptflow, "--cache-dir", cache_dir, str(linked)]))
            finally:
                changed.write_bytes(original)


def record_figures(t: Timings, memory: dict[str, tuple[int, float, float]]) -> None:
    """The ratios with a target in issue 7, for ``run.py``'s table."""
    cold = t.wall("cold lint")
    record("lint", [
        at_least("check-jsonschema ÷ cold lint", t.wall("check-jsonschema") / cold, 10),
        at_most("cold lint ÷ floor", cold / t.wall("floor"), 1.5),
        at_most("warm lint ÷ cold", t.wall("warm lint") / cold, 0.1),
        # "about one file": the aim set for it is 0.15 of cold
        at_most("one file changed ÷ cold", t.wall("one file changed") / cold, 0.15),
        at_most("linked library, one changed ÷ its cold",
                t.wall("one file changed, linked") / t.wall("cold lint, linked"), 0.15),
        at_most("lint one small file ÷ check-jsonschema",
                t.wall("start-up: lint one file") / t.wall("start-up: check-jsonschema"), 0.5),
        at_most(f"load_library peak, {memory['no-cache'][0]:,} nodes", memory["no-cache"][1], 150,
                " MB"),
    ])


def print_table(t: Timings, memory: dict[str, tuple[int, float, float]], files: int,
                args: argparse.Namespace, megabytes: float) -> None:
    cold, cjs, floor = t.wall("cold lint"), t.wall("check-jsonschema"), t.wall("floor")
    rows = [
        ("cold lint (--no-cache; workers on idle cores)", "cold lint",
         f"check-jsonschema / lint = {cjs / cold:.1f}x (target >= 10x); "
         f"lint / floor = {cold / floor:.2f}x (target <= 1.5x)"),
        ("cold lint (--no-cache --jobs 1)", "cold lint, one process", ""),
        ("cold lint (--no-cache --jobs 2)", "cold lint, two processes",
         f"two worker processes save "
         f"{1 - t.wall('cold lint, two processes') / t.wall('cold lint, one process'):.0%}"),
        ("check-jsonschema --schemafile", "check-jsonschema", "schema only"),
        ("floor: CSafeLoader + fastjsonschema + graph walk", "floor", ""),
        ("warm lint (nothing changed)", "warm lint",
         f"warm / cold = {t.wall('warm lint') / cold:.3f} (target <= 0.1)"),
        ("lint after one file changed", "one file changed",
         f"/ cold = {t.wall('one file changed') / cold:.2f}; "
         f"one file's share of cold = {1 / files:.4f}"),
        ("cold lint, linked library (--no-cache)", "cold lint, linked", ""),
        ("linked library, one file changed (median)", "one file changed, linked",
         f"/ linked cold = {t.wall('one file changed, linked') / t.wall('cold lint, linked'):.2f}"
         f"; slowest {_seconds(max(s[0] for s in t.samples['one file changed, linked']))}"),
        ("start-up: lint one small file", "start-up: lint one file",
         f"/ check-jsonschema = {t.wall('start-up: lint one file') / t.wall('start-up: check-jsonschema'):.2f} "  # noqa: E501
         f"(cpu {t.cpu('start-up: lint one file') / t.cpu('start-up: check-jsonschema'):.2f}; "
         "target <= 0.5)"),
        ("start-up: the same, cached", "start-up: lint one file, cached", ""),
        ("start-up: check-jsonschema on it", "start-up: check-jsonschema", ""),
    ]
    print(f"\nscriptflow lint, {files} files x {args.nodes} nodes ({megabytes:.1f} MB YAML)\n")
    print(f"| {'work':<50} | {'wall':>9} | {'cpu':>9} | ratio |")
    print(f"|{'-' * 52}|{'-' * 11}|{'-' * 11}|-------|")
    for title, label, ratio in rows:
        print(f"| {title:<50} | {_seconds(t.wall(label)):>9} | {_seconds(t.cpu(label)):>9} "
              f"| {ratio} |")
    nodes, peak, kept = memory["no-cache"]
    _nodes, cached_peak, cached_kept = memory["cache"]
    print(f"| {'memory: load_library, ' + format(nodes, ',') + ' nodes, parsed':<50} "
          f"| {kept:>6.0f} MB | {'':>9} | RSS once loaded; peak {peak:.0f} MB "
          f"(target well under 200 MB) |")
    print(f"| {'memory: the same, from the cache':<50} | {cached_kept:>6.0f} MB | {'':>9} "
          f"| peak {cached_peak:.0f} MB; interpreter + imports alone "
          f"{memory['interpreter'][1]:.0f} MB |")
    import yaml

    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, libyaml "
          f"{'yes' if yaml.__with_libyaml__ else 'no'}; wall medians of {args.repeat} "
          f"(check-jsonschema on the library: {args.cj_repeat}; start-up: "
          f"{args.startup_repeat}); load average now {os.getloadavg()[0]:.1f}")


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


if __name__ == "__main__":
    main()
