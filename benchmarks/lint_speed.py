"""Lint speed: `scriptflow lint` beside check-jsonschema and plain YAML parsing, same files.

Run: ``python benchmarks/lint_speed.py`` (from the repository root, in the venv).
It installs check-jsonschema into ``benchmarks/_env`` the first time, generates
libraries under ``benchmarks/_data`` and prints a table of medians and ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "_data"
ENV = ROOT / "benchmarks" / "_env"
SCHEMA = ROOT / "schemas" / "script.schema.json"


def ensure_check_jsonschema() -> Path:
    exe = ENV / "bin" / "check-jsonschema"
    if not exe.exists():
        venv.create(ENV, with_pip=True)
        subprocess.run([str(ENV / "bin" / "pip"), "install", "-q", "check-jsonschema"],
                       check=True)
    return exe


def timed(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def yaml_parse(files: list[Path], repeat: int) -> float:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        gc.disable()
        for f in files:
            yaml.load(f.read_bytes(), Loader=loader)
        gc.enable()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100x50,1000x50",
                        help="comma-separated FILESxNODES libraries to generate")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cj = ensure_check_jsonschema()
    scriptflow = [sys.executable, "-m", "scriptflow"]
    rows = []
    for size in args.sizes.split(","):
        files_n, nodes_n = (int(x) for x in size.split("x"))
        folder = DATA / f"lib-{files_n}x{nodes_n}"
        if not folder.exists():
            generate(folder, files_n, nodes_n)
        files = sorted(folder.glob("*.yaml"))
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        lint = timed([*scriptflow, "lint", "--no-cache", str(folder)]
                     if _has_cache_flag() else [*scriptflow, "lint", str(folder)], args.repeat)
        cjs = timed([str(cj), "--schemafile", str(SCHEMA), *map(str, files)], args.repeat)
        parse = yaml_parse(files, args.repeat)
        rows.append((size, megabytes, lint, cjs, parse))
    print(f"{'library':<12} {'MB':>6} {'scriptflow lint':>16} {'check-jsonschema':>17} "
          f"{'yaml CSafeLoader':>17} {'cj / lint':>10} {'lint / parse':>13}")
    for size, mb, lint, cjs, parse in rows:
        print(f"{size:<12} {mb:>6.1f} {lint:>15.2f}s {cjs:>16.2f}s {parse:>16.2f}s "
              f"{cjs / lint:>9.1f}x {lint / parse:>12.2f}x")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"libyaml {'yes' if yaml.__with_libyaml__ else 'no'}; medians of {args.repeat}")


def _has_cache_flag() -> bool:
    out = subprocess.run([sys.executable, "-m", "scriptflow", "lint", "--help"],
                         capture_output=True, text=True).stdout
    return "--no-cache" in out


if __name__ == "__main__":
    main()
