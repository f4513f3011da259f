"""The brief the next agent reads, and one-line descriptions of events for people.

Everything here masks sensitive facts: values come from events (masked when they were
recorded) or go through :func:`~scriptflow.engine.answers.shown`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answers import display, shown
from .events import Event
from .flow import fact_decl

if TYPE_CHECKING:
    from ..library import Library
    from .session import Session


def ago(seconds: float) -> str:
    """``just now``, ``4 min ago``, ``3 h ago``, ``2 d ago``."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def label_of(lib: Library, script_id: str | None, key: str) -> str:
    """A fact's label (its key when it has none)."""
    decl = fact_decl(lib, script_id or "", key)
    return decl.label if decl is not None and decl.label else key


def describe(event: Event, lib: Library, now: float) -> str | None:
    """One line for people about ``event``, or None for events shown otherwise (asked)."""
    kind, data = event.type, event.data or {}
    label = label_of(lib, event.script, event.fact) if event.fact else ""
    value = display(event.value) if event.value is not None else ""
    if kind == "skipped":
        source, where = data.get("source"), data.get("script")
        when = ago(now - float(data.get("learned_at", now)))
        if source == "intake" or not where:
            said = {"intake": "given at intake"}.get(str(source), f"known ({source})")
            return f"skipped: {label} — {said}: {value!r} {when}"
        said = {"customer": "told us", "agent": "an agent recorded"}.get(str(source),
                                                                          "recorded")
        return f"skipped: {label} — {said} {value!r} in {where} {when}"
    if kind == "handoff":
        line = f"→ handed over to {data.get('to_script')}"
        return line + (f": {event.detail}" if event.detail else "")
    if kind == "called":
        return f"→ calling {data.get('to_script')}" + (f": {event.detail}" if event.detail
                                                       else "")
    if kind == "returned":
        code = f" ({data['code']})" if data.get("code") else ""
        return f"← back from {event.script}: {data.get('result')}{code}"
    if kind == "invalidated":
        return f"forgotten: {label} (was {value!r}) — {event.detail}"
    if kind == "confirmed":
        return f"confirmed: {label} is still {value!r}"
    if kind == "answered":
        return f"{label}: {value!r}"
    if kind == "outcome":
        code = f" ({data['code']})" if data.get("code") else ""
        return f"outcome: {data.get('result')}{code}" + (f" — {event.detail}" if event.detail
                                                         else "")
    if kind == "note":
        return f"note ({event.actor}): {event.detail}"
    if kind in ("undone", "resumed"):
        return f"{kind}: {event.detail}"
    return None


def _history(session: Session
             ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]], int]:
    """Actions tried and the scripts walked, questions skipped (all three without undone
    steps), and notes."""
    lib, events = session.library, session.events
    actions: list[tuple[int, dict[str, Any]]] = []
    path: list[tuple[int, str]] = []
    skips: list[int] = []
    notes: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        data = event.data or {}
        if event.type == "undone":
            start = int(data.get("from", index))  # everything from there on was reverted
            actions = [a for a in actions if a[0] < start]
            path = [p for p in path if p[0] < start]
            skips = [i for i in skips if i < start]
        elif event.type == "skipped":
            skips.append(index)
        elif event.type == "answered" and data.get("kind") == "action" and event.fact:
            actions.append((index, {
                "script": event.script, "node": event.node, "fact": event.fact,
                "label": label_of(lib, event.script, event.fact),
                "result": display(event.value), "at": event.at, "actor": event.actor}))
        elif event.type in ("handoff", "called"):
            how = "handed over to" if event.type == "handoff" else "called"
            path.append((index, f"{how} {data.get('to_script')}"))
        elif event.type == "returned":
            path.append((index, f"back in {data.get('to_script')} ({data.get('result')})"))
        elif event.type == "note":
            notes.append({"text": event.detail, "actor": event.actor, "at": event.at,
                          "script": event.script, "node": event.node})
    # The first event of a session (an ask, a skip, a handoff…) is always in its first script.
    first = events[0].script if events and events[0].script else session.script
    return [a for _, a in actions], [str(first), *(p for _, p in path)], notes, len(skips)


def summary_dict(session: Session) -> dict[str, Any]:
    """The brief as JSON-safe data (values masked where sensitive)."""
    lib, now = session.library, session.clock.now()
    facts = []
    for key, entry in sorted(session.tracker.items(), key=lambda kv: (kv[1].learned_at, kv[0])):
        decl = fact_decl(lib, entry.script or session.script, key)
        facts.append({"fact": key, "label": label_of(lib, entry.script or session.script, key),
                      "value": shown(decl, entry.value), "source": entry.source,
                      "script": entry.script, "node": entry.node,
                      "learned_at": entry.learned_at, "age_seconds": now - entry.learned_at,
                      "stale": not entry.fresh(now)})
    actions, path, notes, skipped = _history(session)
    where: dict[str, Any]
    outcome, prompt = session.outcome, session.prompt
    if outcome is not None:
        where = {"status": "finished", "result": outcome.result, "code": outcome.code,
                 "script": outcome.script, "node": outcome.node, "message": outcome.message}
    else:
        assert prompt is not None
        where = {"status": "waiting", "script": prompt.script, "node": prompt.node,
                 "kind": prompt.kind, "fact": prompt.fact, "text": prompt.text,
                 "calls": [f"{s}:{n}" for s, n in session.stack[:-1]]}
    return {"id": session.id, "actor": session.actor, "started_at": session.started_at,
            "where": where, "scripts": path, "facts": facts, "actions": actions,
            "skipped": skipped,
            "notes": notes}


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def summary_text(session: Session) -> str:
    """The brief as plain text (see :meth:`Session.summary`)."""
    brief = summary_dict(session)
    now = session.clock.now()
    where = brief["where"]
    lines = [f"Session {session.id[:8]} ({session.actor}), started "
             f"{ago(now - session.started_at)}"]
    if where["status"] == "finished":
        code = f" ({where['code']})" if where["code"] else ""
        lines.append(f"Finished: {where['result']}{code} at {where['script']}:{where['node']}")
    else:
        lines.append(f"Now: {where['script']}:{where['node']} ({where['kind']}) — "
                     f"{_short(where['text'])}")
        if where["calls"]:
            lines.append(f"  inside a call from {', '.join(where['calls'])}")
    lines.append("Scripts: " + " → ".join(brief["scripts"]))
    lines.append(f"Facts known ({len(brief['facts'])}):" if brief["facts"]
                 else "Facts known: none")
    for fact in brief["facts"]:
        origin = fact["source"]
        if fact["script"] and fact["node"]:
            origin += f", {fact['script']}:{fact['node']}"
        stale = " (stale: will be asked again)" if fact["stale"] else ""
        lines.append(f"  - {fact['label']}: {fact['value']} — {origin}, "
                     f"{ago(fact['age_seconds'])}{stale}")
    if brief["actions"]:
        lines.append(f"Actions tried ({len(brief['actions'])}):")
        for action in brief["actions"]:
            lines.append(f"  - {action['label']} [{action['script']}:{action['node']}]: "
                         f"{action['result']} — {ago(now - action['at'])}")
    else:
        lines.append("Actions tried: none")
    if brief["skipped"]:
        lines.append(f"Questions spared: {brief['skipped']} (skipped: already known)")
    if brief["notes"]:
        lines.append(f"Notes ({len(brief['notes'])}):")
        for note in brief["notes"]:
            lines.append(f"  - {ago(now - note['at'])}, {note['actor']}: {note['text']}")
    return "\n".join(lines) + "\n"
