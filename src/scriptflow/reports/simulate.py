"""Synthetic traffic: random but plausible sessions played through the real engine and
saved in a real store, so reports, benchmarks and demos have data.

Plausible means: answers drawn from weights (given per fact, else uniform over the
options), customers who now and then leave mid-way, go back, or get a note from the
agent, a few seconds to a minute per answer, and contacts spread over recent weeks.
Seeded, so the same arguments give the same sessions.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.answers import check
from ..engine.clock import ManualClock
from ..errors import AnswerError, SessionError

if TYPE_CHECKING:
    from ..engine.flow import Prompt
    from ..engine.session import Session
    from ..format.model import Fact
    from ..library import Library

Weights = dict[str, list[tuple[Any, float]]]
NOTES = ("Customer is calling from a mobile phone", "Router is in the basement",
         "Customer already restarted everything twice", "Line is noisy, had to repeat",
         "Customer asked for a technician visit", "Customer is in a hurry")
MAX_STEPS = 200  # a session longer than this is left unfinished (an agent would give up)


@dataclass
class Plan:
    """How customers behave: per-prompt chances of leaving, going back and an agent's
    note; seconds per answer (log-normal around ``answer_seconds``); contacts spread
    over ``days`` before ``end``; ``weights`` per fact. With ``customers`` > 0 every
    contact is one of that many customers, drawn at random, and starts with what the
    store remembers of them (so repeat callers are spared what they said before)."""

    sessions: int
    seed: int = 0
    weights: Weights = field(default_factory=dict)
    leave: float = 0.04
    back: float = 0.03
    note: float = 0.05
    answer_seconds: float = 20.0
    days: float = 28.0
    end: float = 1_700_000_000.0
    customers: int = 0


def parse_weights(data: Any, library: Library) -> Weights:
    """``{fact: {value: weight}}`` or ``{fact: [value, …]}`` (equal weights) from a YAML
    or JSON document; ValueError naming the fact for anything else or an unknown fact."""
    if not isinstance(data, Mapping):
        raise ValueError("answer weights must be a mapping of fact: {value: weight}")
    out: Weights = {}
    for key, spec in data.items():
        if key not in library.facts:
            raise ValueError(f"answer weights name the fact {key!r}, which no script of "
                             "the library declares")
        if isinstance(spec, Mapping):
            pairs = list(spec.items())
        elif isinstance(spec, Sequence) and not isinstance(spec, str):
            pairs = [(value, 1.0) for value in spec]
        else:
            raise ValueError(f"answer weights for {key!r}: give {{value: weight}} or a list")
        for value, weight in pairs:
            if not isinstance(weight, int | float) or weight < 0:
                raise ValueError(f"answer weights for {key!r}: the weight of {value!r} "
                                 "must be a number >= 0")
            try:
                check(library.facts[key], value)
            except AnswerError as exc:
                raise ValueError(f"answer weights for {key!r}: {exc}") from None
        if not pairs or not sum(w for _v, w in pairs):
            raise ValueError(f"answer weights for {key!r}: no value has a weight above 0")
        out[str(key)] = [(value, float(weight)) for value, weight in pairs]
    return out


def simulate(library: Library, script: str, store: Any, plan: Plan,
             clock: ManualClock) -> dict[str, int]:
    """Play ``plan.sessions`` sessions of ``script`` and save each in ``store``, which
    must read the same ``clock`` (``open_store(url, clock=clock_for(plan))``) so its
    ``updated_at`` follows the simulated time. Returns counts: ``sessions``,
    ``finished``, ``left`` (unfinished), ``events``."""
    rng = random.Random(plan.seed)
    starts = sorted(plan.end - rng.random() * plan.days * 86_400 for _ in range(plan.sessions))
    counts = {"sessions": 0, "finished": 0, "left": 0, "events": 0}
    for number, start in enumerate(starts):
        clock._now = max(clock.now(), start)  # never backwards: stores compare times
        customer = f"cust-{rng.randrange(plan.customers):06d}" if plan.customers else None
        session = store.start(library, script, customer=customer, clock=clock,
                              session_id=f"sim-{plan.seed}-{number:07d}")
        _play(session, clock, rng, plan, library)
        store.save(session)
        counts["sessions"] += 1
        counts["finished" if session.finished else "left"] += 1
        counts["events"] += len(session.events)
    return counts


def clock_for(plan: Plan) -> ManualClock:
    """The clock to open the store with: it starts where the first contact can fall."""
    return ManualClock(plan.end - plan.days * 86_400)


def _play(session: Session, clock: ManualClock, rng: random.Random, plan: Plan,
          library: Library) -> None:
    for _step in range(MAX_STEPS):
        prompt = session.prompt
        if prompt is None or rng.random() < plan.leave:
            return
        clock.advance(rng.lognormvariate(math.log(plan.answer_seconds), 0.6))
        if rng.random() < plan.note:
            session.note(rng.choice(NOTES))
        if session.can_go_back and rng.random() < plan.back:
            session.back()
            continue
        try:
            try:
                session.answer(_answer(prompt, rng, plan.weights, library))
            except AnswerError:  # a made-up text or number the fact does not take
                session.answer(_fallback(prompt, library))
        except SessionError:
            return  # the scripts would loop on this answer: the customer gives up


def _answer(prompt: Prompt, rng: random.Random, weights: Weights, library: Library) -> Any:
    if prompt.kind == "confirm":
        return rng.random() < 0.85
    given = weights.get(prompt.fact)
    if given:
        values, odds = zip(*given, strict=True)
        return rng.choices(values, odds)[0]
    if prompt.options:
        return rng.choice(prompt.options)
    fact = library.facts.get(prompt.fact)
    if fact is not None and fact.type == "number":
        low = fact.minimum if fact.minimum is not None else 0
        high = fact.maximum if fact.maximum is not None else max(low + 10, 10)
        return rng.randint(math.ceil(low), math.floor(high)) if fact.integer or \
            high - low >= 1 else rng.uniform(low, high)
    return _text(fact, rng)


def _text(fact: Fact | None, rng: random.Random) -> str:
    """A text answer: digits first (account numbers, PINs), which most patterns take."""
    size = 8 if fact is None or fact.max_length is None else min(8, fact.max_length)
    return "".join(rng.choice(string.digits) for _ in range(max(size, 1)))


def _fallback(prompt: Prompt, library: Library) -> Any:
    """An answer the fact accepts, for a weight or a made-up text the engine refused."""
    fact = library.facts.get(prompt.fact)
    candidates: list[Any] = list(prompt.options) or [
        "12345678", "1234", "1", "a", "A1", "ab12cd34", "ok", "yes"]
    for candidate in candidates:
        try:
            if fact is not None:
                check(fact, candidate)
            return candidate
        except AnswerError:
            continue
    raise ValueError(f"cannot make up an answer to {prompt.fact!r} "
                     f"({prompt.allowed}); give values for it in --answers-weights")
