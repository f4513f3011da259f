"""A store of real sessions for the report tests: the net / wifi / verify helpdesk
(tests/engine/conftest.py) walked by eight customers over eight days, each answer
after a known delay, saved with the real SQLiteStore. The figures the tests expect are
counted by hand from the story below.

  day  session       what happens                                              ends
  0    s1-fixed      outage no (10s), lights internet_red, cycle fixed          resolved
  1    s2-cycle      outage no (20s), internet_red, cycle not_fixed, lights      escalated
                     again all_off; an agent's note about the basement
  2    s3-outage     outage yes (30s)                                          unresolved
  3    s4-wifi       outage no (40s), all_green -> wifi (lights skipped),      resolved
                     scope all -> call verify (account, holder) -> band ghz24
  4    s5-intake     account known at intake; outage no (50s), all_green ->     escalated
                     wifi (lights skipped), all -> verify (account skipped),
                     holder -> band ghz5
  5    s6-gone       outage no (60s), then silence at lights                    abandoned
  6    s7-back       outage no (70s), internet_red, back(), all_off             escalated
  7    s8-now        asked outage, not answered yet                             in progress
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from scriptflow import Library
from scriptflow.engine import ManualClock
from scriptflow.stores import open_store
from tests.engine.conftest import T0, MakeLib, helpdesk, make_lib

__all__ = ["make_lib"]  # the engine tests' fixture, shared here

DAY = 86_400.0


@dataclass
class StoreFile:
    path: Path
    library: Library
    as_of: float

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


Answers = list[tuple[float, object]]  # (seconds before answering, answer); "back" undoes

STORY: list[tuple[str, dict[str, object], Answers, str | None]] = [
    ("s1-fixed", {}, [(10, "no"), (5, "internet_red"), (8, "fixed")], None),
    ("s2-cycle", {}, [(20, "no"), (5, "internet_red"), (9, "not_fixed"), (4, "all_off")],
     "Router is in the Basement, far from the phone"),
    ("s3-outage", {}, [(30, "yes")], None),
    ("s4-wifi", {}, [(40, "no"), (5, "all_green"), (6, "all"), (7, "12345678"),
                     (3, "holder"), (2, "ghz24")], None),
    ("s5-intake", {"account_id": "87654321"},
     [(50, "no"), (5, "all_green"), (6, "all"), (3, "holder"), (2, "ghz5")], None),
    ("s6-gone", {}, [(60, "no")], None),
    ("s7-back", {}, [(70, "no"), (5, "internet_red"), (4, "back"), (6, "all_off")], None),
    ("s8-now", {}, [], None),
]


def play(library: Library, path: Path | str, story: list[tuple[str, dict[str, object], Answers,
                                                          str | None]],
         script: str = "net", start: float = T0) -> float:
    """Play ``story`` (one session a day) into the SQLite file at ``path`` (or the store
    a URL names); returns the time of the last step."""
    clock = ManualClock(start)
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    with open_store(url, clock=clock) as store:
        for day, (sid, facts, answers, note) in enumerate(story):
            clock._now = start + day * DAY  # each customer calls on the next day
            session = library.start(script, facts=facts, clock=clock, session_id=sid)
            for delay, answer in answers:
                clock.advance(delay)
                if answer == "back":
                    session.back()
                else:
                    session.answer(answer)
                if note is not None and len(session.events) > 6:
                    session.note(note)
                    note = None
            store.save(session)
    return clock.now()


@pytest.fixture
def desk_store(make_lib: MakeLib, tmp_path: Path) -> StoreFile:
    library = make_lib(*helpdesk())
    path = tmp_path / "sessions.db"
    last = play(library, path, STORY)
    return StoreFile(path, library, as_of=last + 60)
