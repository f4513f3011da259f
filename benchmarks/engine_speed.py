"""Engine speed: one session step beside a minimal dict walk and the `transitions` library.

Run: ``python benchmarks/engine_speed.py`` (from the repository root, in the venv).
It installs ``transitions`` and ``python-statemachine`` into ``benchmarks/_env`` the
first time, generates its libraries under ``benchmarks/_data`` and prints medians.

A *step* is what a helpdesk app pays per customer answer: ``session.answer(value)``
checks the answer, records the fact, walks past every question already answered
(``skipped`` events) to the next prompt, and appends the events. It is measured over
a chain of questions in the same run against:

- the *floor*: a minimal engine over the same tree, a dict walk that records the fact
  and appends one event per step (and one per skip);
- a bare ``transitions`` trigger (and a ``python-statemachine`` event) on a machine
  with the same states, which records nothing at all.

Then ``to_dict``/``from_dict`` of a walked session, and the step cost as the library
grows from 10 to 10,000 scripts and as the tracker holds 500 facts (some stale).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from results import Figure, at_least, at_most, record

from scriptflow import Library, Session, load_library
from scriptflow.engine import ManualClock

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "_data"
ENV = ROOT / "benchmarks" / "_env"
COMPARED = ("transitions", "python-statemachine")
CHAIN = "bench-chain"
PROFILE = "bench-profile"
OPTIONS = ("red", "green", "blue")


# -- what is compared against -----------------------------------------------------------

def ensure_compared() -> None:
    """Install the compared libraries into benchmarks/_env and make them importable
    (appended to sys.path, so this venv's own packages come first)."""
    if not (ENV / "bin" / "pip").exists():
        venv.create(ENV, with_pip=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(ENV),
                                                    "platbase": str(ENV)}))
    if not (site / "transitions").exists() or not (site / "statemachine").exists():
        subprocess.run([str(ENV / "bin" / "pip"), "install", "-q", *COMPARED], check=True)
    if str(site) not in sys.path:
        sys.path.append(str(site))


# -- the libraries ------------------------------------------------------------------------

def chain_script(questions: int) -> dict[str, Any]:
    """``questions`` choice questions in a row (q0 → q1 → …), each on its own fact, then
    an outcome. Every answer ``red`` goes to the next node."""
    facts = {f"c{i}": {"type": "choice", "label": f"Chain fact {i}", "options": list(OPTIONS)}
             for i in range(questions)}
    nodes: dict[str, Any] = {}
    for i in range(questions):
        after = f"q{i + 1}" if i + 1 < questions else "done"
        nodes[f"q{i}"] = {"type": "question", "prompt": f"Step {i}: which colour?",
                          "fact": f"c{i}", "branches": {o: after for o in OPTIONS}}
    nodes["done"] = {"type": "outcome", "result": "resolved", "code": "done"}
    return {"scriptflow": 1, "id": CHAIN, "title": "Benchmark chain", "start": "q0",
            "facts": facts, "nodes": nodes}


def profile_script(count: int) -> dict[str, Any]:
    """A script declaring ``count`` facts (half with a ttl), for a big tracker."""
    facts = {f"p{i}": {"type": "text", "label": f"Profile {i}", **({"ttl": "1m"} if i % 2
                                                                  else {})}
             for i in range(count)}
    return {"scriptflow": 1, "id": PROFILE, "title": "Customer profile", "start": "ask",
            "facts": facts,
            "nodes": {"ask": {"type": "question", "prompt": "Anything?", "fact": "p0",
                              "next": "end"},
                      "end": {"type": "outcome", "result": "resolved"}}}


def make_library(scripts: int, questions: int, profile: int) -> Library:
    """The chain and profile scripts beside ``scripts`` generated filler scripts."""
    folder = DATA / f"engine-{scripts}x{questions}x{profile}"
    if not folder.exists():
        generate(folder, scripts, 8)
        for spec in (chain_script(questions), profile_script(profile)):
            text = yaml.safe_dump(spec, sort_keys=False)
            (folder / f"{spec['id']}.yaml").write_text(text, encoding="utf-8")
    return load_library(folder)


# -- the engines --------------------------------------------------------------------------

class DictWalk:
    """The floor: nodes as ``{id: (fact, {answer: next id})}``; a step records the fact,
    appends an event, and skips questions whose fact is already known."""

    __slots__ = ("at", "events", "facts", "nodes")

    def __init__(self, nodes: dict[str, tuple[str | None, dict[str, str]]], start: str,
                 facts: dict[str, str]) -> None:
        self.nodes, self.facts, self.events = nodes, dict(facts), []
        self.at = start
        self._skip()

    def _skip(self) -> None:
        nodes, facts = self.nodes, self.facts
        fact, branches = nodes[self.at]
        while fact is not None and fact in facts:
            self.events.append(("skipped", self.at, fact))
            self.at = branches[facts[fact]]
            fact, branches = nodes[self.at]

    def answer(self, value: str) -> str:
        fact, branches = self.nodes[self.at]
        self.facts[fact or ""] = value
        self.events.append(("answered", self.at, fact, value))
        self.at = branches[value]
        self._skip()
        return self.at


def floor_nodes(questions: int) -> dict[str, tuple[str | None, dict[str, str]]]:
    nodes: dict[str, tuple[str | None, dict[str, str]]] = {}
    for i in range(questions):
        after = f"q{i + 1}" if i + 1 < questions else "done"
        nodes[f"q{i}"] = (f"c{i}", {o: after for o in OPTIONS})
    nodes["done"] = (None, {})
    return nodes


def asked_states(questions: int, every: int) -> list[str]:
    """The states a walk stops at: every ``every``-th question, then the outcome."""
    return [f"q{i}" for i in range(0, questions, every)] + ["done"]


def transitions_machine(states: list[str]) -> Callable[[], None]:
    """A bare transitions Machine over the asked states; one ``red`` trigger a step."""
    from transitions import Machine

    class Model:
        pass

    model = Model()
    machine = Machine(model=model, states=states, initial=states[0],
                      auto_transitions=False)
    for here, there in itertools.pairwise(states):
        machine.add_transition("red", here, there)
    return model.red  # type: ignore[attr-defined, no-any-return]


def statemachine_class(states: list[str]) -> type:
    """The same machine in python-statemachine (a class built at run time)."""
    from statemachine import State, StateMachine

    attrs: dict[str, Any] = {s: State(s, initial=i == 0, final=i == len(states) - 1)
                             for i, s in enumerate(states)}
    event = None
    for here, there in itertools.pairwise(states):
        link = attrs[here].to(attrs[there])
        event = link if event is None else event | link
    attrs["red"] = event
    return type("Chain", (StateMachine,), attrs)


# -- timing -------------------------------------------------------------------------------

# CPU time of this process: the machine is shared, and time spent waiting while other
# processes run is not the engine's cost. (Wall time on an idle machine is the same.)
cpu_time = time.process_time

def median_time(work: Callable[[], object], repeat: int, inner: int) -> float:
    samples = []
    for _ in range(repeat):
        gc.collect()
        started = cpu_time()
        for _ in range(inner):
            work()
        samples.append((cpu_time() - started) / inner)
    return statistics.median(samples)


def intake(questions: int, every: int) -> dict[str, str]:
    """Facts known before the walk: all but every ``every``-th question's."""
    return {f"c{i}": "red" for i in range(questions) if i % every}


def stepping(make: Callable[[], Callable[..., object]], steps: int, batch: int,
             args: tuple[str, ...] = (), ready: Callable[[], object] | None = None
             ) -> Callable[[], tuple[float, int]]:
    """A sample: ``make`` ``batch`` fresh step functions (untimed; then ``ready``), then
    time ``steps`` calls of each with ``args``; returns ``(seconds, steps)``.

    The collector runs once between the two, so the steps timed pay for the collections
    their own allocations cause, not for collecting what making the engines left young
    (an engine whose set-up allocates more would otherwise pay for it in its steps)."""

    def run() -> tuple[float, int]:
        functions = [make() for _ in range(batch)]
        if ready is not None:
            ready()
        gc.collect()
        started = cpu_time()
        for step in functions:
            for _ in range(steps):
                step(*args)
        return cpu_time() - started, batch * steps

    return run


class Timed(list[float]):
    """Seconds per step of one run's samples, in the order taken (``median`` of them)."""

    @property
    def median(self) -> float:
        return statistics.median(self)

    def __truediv__(self, other: Timed) -> float:
        """This run's cost over ``other``'s: the median of the ratios of samples taken
        side by side (see :func:`timed`)."""
        return statistics.median(a / b for a, b in zip(self, other, strict=True))


def timed(*runs: Callable[[], tuple[float, int]], repeat: int) -> list[Timed]:
    """Seconds per step of each run, ``repeat`` samples each. Samples are interleaved
    (one of each in turn, after a warm-up), so sample ``i`` of every run is taken within
    milliseconds of the others.

    Ratios are taken sample by sample, then their median (``Timed.__truediv__``). This
    machine switches between fast and slow phases lasting a few samples (samples printed
    one by one: scriptflow ~1.1 us beside a ~0.7 us floor when fast, 1.7-1.9 us beside
    0.9-1.0 us when slow), and a slow phase slows an engine that touches more memory
    more. The ratio of two medians can then set one engine's slow-phase median against
    the other's fast-phase one (a run printed 1.46 us over 0.70 us, 2.08x); samples taken
    side by side share their phase. Both figures are printed in the step table."""
    samples: list[Timed] = [Timed() for _ in runs]
    for run in runs:
        run()
    for _ in range(repeat):
        for run, found in zip(runs, samples, strict=True):
            gc.collect()
            seconds, steps = run()
            found.append(seconds / steps)
    return samples


def scriptflow_steps(lib: Library, questions: int, every: int, batch: int,
                     extra: dict[str, Any] | None = None, age: float = 0.0
                     ) -> Callable[[], tuple[float, int]]:
    """Answers to ``batch`` sessions; ``extra`` intake facts, and the clock moved on by
    ``age`` seconds after start (past a ttl, that makes facts stale)."""
    facts = {**intake(questions, every), **(extra or {})}
    if not age:  # the wall clock, as an app server steps sessions
        return stepping(lambda: lib.start(CHAIN, facts).answer,
                        len(asked_states(questions, every)) - 1, batch, ("red",))
    clock = ManualClock()
    return stepping(lambda: lib.start(CHAIN, facts, clock=clock).answer,
                    len(asked_states(questions, every)) - 1, batch, ("red",),
                    lambda: clock.advance(age))


def floor_steps(questions: int, every: int, batch: int, extra: dict[str, Any] | None = None
                ) -> Callable[[], tuple[float, int]]:
    nodes, facts = floor_nodes(questions), {**intake(questions, every), **(extra or {})}
    return stepping(lambda: DictWalk(nodes, "q0", facts).answer,
                    len(asked_states(questions, every)) - 1, batch, ("red",))


def transitions_steps(questions: int, every: int, batch: int) -> Callable[[], tuple[float, int]]:
    states = asked_states(questions, every)
    return stepping(lambda: transitions_machine(states), len(states) - 1, batch)


def statemachine_steps(questions: int, every: int, batch: int) -> Callable[[], tuple[float, int]]:
    states = asked_states(questions, every)
    cls = statemachine_class(states)
    return stepping(lambda: cls().red, len(states) - 1, batch)


def walked(lib: Library, questions: int, every: int) -> Session:
    session = lib.start(CHAIN, intake(questions, every), clock=ManualClock())
    for _ in range(len(asked_states(questions, every)) - 2):  # stop before the outcome
        session.answer("red")
    return session


# -- the report ---------------------------------------------------------------------------

def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} µs"


def table(title: str, header: Iterable[str], rows: list[list[str]]) -> None:
    head = list(header)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=60, help="length of the chain")
    parser.add_argument("--repeat", type=int, default=15, help="samples per median")
    parser.add_argument("--batch", type=int, default=40, help="sessions per sample")
    parser.add_argument("--sizes", default="10,100,1000,10000",
                        help="library sizes (scripts) for the flatness table")
    parser.add_argument("--facts", type=int, default=500, help="tracker size to reach")
    parser.add_argument("--quick", action="store_true", help="fewer samples, sizes to 1000")
    parser.add_argument("--only", choices=("steps", "serial", "growth"), action="append",
                        help="run only this table (repeatable; default: all three); the "
                             "targets are recorded only when all run")
    args = parser.parse_args()
    only = set(args.only or ("steps", "serial", "growth"))
    if args.quick:
        args.repeat, args.batch, args.sizes = 5, 20, "10,1000"
    ensure_compared()
    q, rep, batch = args.questions, args.repeat, args.batch
    sizes = [int(s) for s in args.sizes.split(",")]

    lib = make_library(sizes[0], q, args.facts)
    figures: list[Figure] = []
    rows = []
    for every, what in ((1, "answer → next question"), (3, "answer + 2 skips → next")
                        ) if "steps" in only else ():
        sf, floor, tr, sm = timed(scriptflow_steps(lib, q, every, batch),
                                  floor_steps(q, every, batch),
                                  transitions_steps(q, every, batch),
                                  statemachine_steps(q, every, max(batch // 10, 2)),
                                  repeat=rep)
        rows.append([what, us(sf.median), us(floor.median), us(tr.median), us(sm.median),
                     f"{sf / floor:5.2f}x", f"{sf.median / floor.median:5.2f}x",
                     f"{tr / sf:5.2f}x"])
        figures += [at_most(f"step ÷ dict-walk floor: {what}", sf / floor, 2),
                    at_least(f"transitions ÷ step: {what}", tr / sf, 5)]
    if rows:
        table("One step (median per step)",
              ["step", "scriptflow", "dict-walk floor", "transitions", "python-statemachine",
               "sf / floor (≤ 2)", "(ratio of medians)", "transitions / sf (≥ 5)"], rows)

    rows = []
    for every in (1, 3) if "serial" in only else ():
        session = walked(lib, q, every)
        full = session.to_dict()
        head = session.to_dict(events=False)
        text = json.dumps(full)
        inner = 20
        rows.append([f"{len(session.events)} events, {len(session.tracker)} facts",
                     f"{len(text) / 1024:.1f} KB",
                     us(median_time(session.to_dict, rep, inner)),
                     us(median_time(lambda s=session: s.to_dict(events=False), rep, inner)),
                     f"{len(json.dumps(head)) / 1024:.1f} KB",
                     us(median_time(lambda f=full: Session.from_dict(lib, f), rep, inner)),
                     us(median_time(lambda t=text: Session.from_dict(lib, json.loads(t)),
                                    rep, inner))])
    if rows:
        table("Serialising a walked session (median per call)",
              ["session", "JSON", "to_dict", "to_dict(events=False)", "head JSON",
               "from_dict", "json.loads + from_dict"], rows)

    if "growth" in only:
        # Each bigger library (and tracker) is timed interleaved with the smallest library's
        # plain chain, and compared with that: steps measured apart differ by more than any
        # growth on a machine whose speed moves with other work.
        rows = []
        for size in sizes:
            sized = lib if size == sizes[0] else make_library(size, q, args.facts)
            base, plain, skips, floor1, floor3 = timed(
                scriptflow_steps(lib, q, 1, batch), scriptflow_steps(sized, q, 1, batch),
                scriptflow_steps(sized, q, 3, batch), floor_steps(q, 1, batch),
                floor_steps(q, 3, batch), repeat=rep)
            rows.append([f"{size + 2} scripts", "0 + chain", us(plain.median), us(skips.median),
                         us(floor1.median), us(floor3.median), f"{plain / base:.2f}x"])
            del sized
        figures.append(at_most(f"step in {sizes[-1] + 2} scripts ÷ in {sizes[0] + 2}",
                               plain / base, 1.25))
        # The floor holds the same facts: a bigger working set costs any engine something.
        profile = {f"p{i}": f"value {i}" for i in range(args.facts)}
        for age in (0.0, 120.0):  # the profile's odd facts have a ttl of 1m
            base, plain, skips, floor1, floor3 = timed(
                scriptflow_steps(lib, q, 1, batch),
                scriptflow_steps(lib, q, 1, batch, profile, age),
                scriptflow_steps(lib, q, 3, batch, profile, age),
                floor_steps(q, 1, batch, profile), floor_steps(q, 3, batch, profile), repeat=rep)
            label = f"{args.facts} + chain" + (", half stale" if age else "")
            rows.append([f"{sizes[0] + 2} scripts", label, us(plain.median), us(skips.median),
                         us(floor1.median), us(floor3.median), f"{plain / base:.2f}x"])
            figures.append(at_most(f"step, {args.facts} more facts{', half stale' if age else ''}"
                                   " ÷ without them", plain / base, 1.25))
        table("Step cost as the library and the tracker grow (must stay flat)",
              ["library", "tracker facts", "answer → next", "answer + 2 skips", "floor → next",
               "floor + 2 skips", "÷ 12 scripts, 0 facts"], rows)
    if only == {"steps", "serial", "growth"}:
        record("engine", figures)
    print(f"\nCPU time (process_time); machine: {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, "
          f"Python {sys.version.split()[0]}; chain of {q} questions; medians of {rep} samples "
          f"of {batch} sessions each (python-statemachine: {max(batch // 10, 2)})")


if __name__ == "__main__":
    main()
