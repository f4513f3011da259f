"""Small hand-countable libraries shared by the authoring-tool tests (scenarios, paths,
graph overlays): a main script that calls a helper and hands off to another, and a
script with a retry loop."""

from __future__ import annotations

MAIN = """\
    scriptflow: 1
    id: main
    start: ask
    facts:
      pick:
        type: choice
        options: [help, other, stop]
    nodes:
      ask:
        type: question
        prompt: What now?
        fact: pick
        branches:
          help: check
          other: away
          stop: bye
      check:
        type: call
        script: helper
        branches:
          resolved: done
          "*": bye
      away:
        type: handoff
        script: other
      done:
        type: outcome
        result: resolved
        code: helped
      bye:
        type: outcome
        result: unresolved
"""

HELPER = """\
    scriptflow: 1
    id: helper
    start: h
    facts:
      ok:
        type: boolean
    nodes:
      h:
        type: question
        prompt: Did it work?
        fact: ok
        branches:
          yes: fine
          no: bad
      fine:
        type: outcome
        result: resolved
      bad:
        type: outcome
        result: escalated
"""

OTHER = """\
    scriptflow: 1
    id: other
    start: o
    facts:
      colour:
        type: choice
        options: [red, blue]
      size:
        type: number
    nodes:
      o:
        type: question
        prompt: Which colour?
        fact: colour
        branches:
          red: measure
          blue: blue-end
      measure:
        type: question
        prompt: How big?
        fact: size
        routes:
          - when: "size >= 10"
            goto: big-end
          - goto: small-end
      big-end:
        type: outcome
        result: escalated
        code: big
      small-end:
        type: outcome
        result: resolved
        code: small
      blue-end:
        type: outcome
        result: resolved
        code: blue
"""

# A retry loop: "again" waits and tries once more.
RETRY = """\
    scriptflow: 1
    id: retry
    start: attempt
    facts:
      attempt_result:
        type: choice
        options: [ok, again, give_up]
      waited:
        type: boolean
    nodes:
      attempt:
        type: action
        instruction: Try it.
        fact: attempt_result
        reask: always
        branches:
          ok: fixed
          again: wait
          give_up: stop
      wait:
        type: question
        prompt: Did you wait a minute?
        fact: waited
        reask: always
        branches:
          yes: attempt
          no: stop
      fixed:
        type: outcome
        result: resolved
      stop:
        type: outcome
        result: unresolved
"""

LIBRARY = {"main.yaml": MAIN, "helper.yaml": HELPER, "other.yaml": OTHER}
