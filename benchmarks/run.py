"""Every benchmark in one command, then one table of issue 7's targets.

Run from the repository root, in the venv::

    .venv/bin/python benchmarks/run.py            # the sizes docs/performance.md reports
    .venv/bin/python benchmarks/run.py --quick    # smaller data, a few minutes
    .venv/bin/python benchmarks/run.py --only engine,store

Each benchmark installs what it compares against (check-jsonschema, transitions,
python-statemachine) into ``benchmarks/_env``, generates its data under
``benchmarks/_data`` and prints its own tables; this script runs them one after the
other (never side by side: they would slow each other down) and ends with the figures
each recorded in this run (``benchmarks/results.py``), against their targets.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import recorded

HERE = Path(__file__).resolve().parent

# name: (script, full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "lint": ("lint_speed.py", ["--files", "1000", "--repeat", "3"],
             ["--files", "200", "--repeat", "1", "--startup-repeat", "7"]),
    "engine": ("engine_speed.py", [], ["--quick"]),
    "store": ("store_speed.py", ["--seconds", "3"], ["--seconds", "1"]),
    "report": ("report_speed.py", ["--sizes", "10000,100000,1000000", "--repeat", "3"],
               ["--sizes", "10000,100000", "--repeat", "1"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer samples")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    started = time.time()
    failed = []
    for name in chosen:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
    print(f"\n== targets (issue 7), measured in this run{' (--quick)' if args.quick else ''}\n")
    print(f"| {'benchmark':<9} | {'figure':<58} | {'measured':>10} | {'target':>9} | met |")
    print(f"|{'-' * 11}|{'-' * 60}|{'-' * 12}|{'-' * 11}|-----|")
    missed = 0
    for name in chosen:
        figures = recorded(name, since=started)
        if not figures:
            print(f"| {name:<9} | {'(no figures recorded)':<58} | {'':>10} | {'':>9} | —   |")
            continue
        for figure in figures:
            missed += not figure.met
            measured = f"{figure.value:.3g}{figure.unit}"
            print(f"| {name:<9} | {figure.what:<58} | {measured:>10} | {figure.target():>9} "
                  f"| {'yes' if figure.met else 'NO ':<3} |")
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"\n{missed} target(s) missed" if missed else "\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
