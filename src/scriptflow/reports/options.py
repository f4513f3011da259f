"""What a report covers: the period, the script, when an in-flight session counts as
abandoned, and the notes search. Dates are parsed here so every front end agrees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_ABANDONED_AFTER = 30 * 60.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Filters and thresholds of one report; times are epoch seconds (UTC).

    ``since``/``until`` select sessions by when they started (``until`` excluded);
    ``script`` keeps the sessions that started in or passed through that script and
    the per-script figures of that script only; an active session not updated for
    ``abandoned_after`` seconds before ``as_of`` counts as abandoned; ``notes`` is a word
    to search the agents' notes for; ``top`` caps ranked lists (paths, answer values).
    """

    since: float | None = None
    until: float | None = None
    script: str | None = None
    abandoned_after: float = DEFAULT_ABANDONED_AFTER
    as_of: float | None = None
    notes: str | None = None
    top: int = 5


def parse_time(text: str, what: str = "date") -> float:
    """``2026-11-02``, ``2026-11-02T14:30`` (UTC unless it says otherwise) or epoch seconds.

    Raises ValueError naming ``what`` and the forms accepted.
    """
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date: use YYYY-MM-DD, "
                         "YYYY-MM-DDTHH:MM[:SS][+HH:MM] (UTC by default) or epoch "
                         "seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_duration(text: str) -> float:
    """``90``, ``45s``, ``30m``, ``2h``, ``1d`` as seconds; ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: use a number with s, m, h or d "
                         "(30m, 2h)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def iso(moment: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (seconds precision), for people and JSON."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
