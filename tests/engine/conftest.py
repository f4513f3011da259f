"""Fixtures for the engine tests: small libraries written into tmp_path, and a manual clock.

Scripts are written as Python dicts and dumped to YAML, so each test shows exactly the
scripts it relies on (nothing here depends on the bundled scripts/ folder).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scriptflow import Library, load_library
from scriptflow.engine import ManualClock

T0 = 1_700_000_000.0

Spec = dict[str, Any]
MakeLib = Callable[..., Library]


def script(sid: str, nodes: dict[str, Any], facts: dict[str, Any] | None = None,
           start: str | None = None, **extra: Any) -> Spec:
    """A script document as a dict (start defaults to the first node)."""
    return {"scriptflow": 1, "id": sid, "title": extra.pop("title", sid.title()),
            "start": start or next(iter(nodes)), "facts": facts or {}, "nodes": nodes,
            **extra}


def write_library(folder: Path, *scripts: Spec) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for spec in scripts:
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        (folder / f"{spec['id']}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def make_lib(tmp_path: Path) -> MakeLib:
    """``make_lib(*scripts, folder="lib")``: write the scripts and load them."""

    def make(*scripts: Spec, folder: str = "lib") -> Library:
        return load_library(write_library(tmp_path / folder, *scripts))

    return make


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


# -- a small helpdesk: a router script that hands off to wifi, which calls verify ---------

LIGHTS = {"type": "choice", "label": "Router lights",
          "options": ["all_green", "internet_red", "all_off"], "ttl": "30m"}
ACCOUNT = {"type": "text", "label": "Account number", "pattern": "^[0-9]{8}$",
           "sensitive": True}

NET = script("net", facts={
    "outage": {"type": "boolean", "label": "Outage in area", "reask": "always"},
    "lights": LIGHTS,
    "cycle": {"type": "choice", "label": "Router restart", "options": ["fixed", "not_fixed"]},
    "account_id": ACCOUNT,
    "age": {"type": "number", "label": "Router age", "min": 0, "max": 30, "integer": True},
}, nodes={
    "outage": {"type": "question", "prompt": "Is there an outage?", "fact": "outage",
               "branches": {"yes": "area", "no": "lights"}},
    "lights": {"type": "question", "prompt": "Which lights are on?", "fact": "lights",
               "branches": {"all_green": "to-wifi", "internet_red": "cycle",
                            "all_off": "dead"}},
    "cycle": {"type": "action", "instruction": "Restart the router of account {account_id}.",
              "fact": "cycle", "invalidates": ["lights"],
              "branches": {"fixed": "done", "not_fixed": "lights-again"}},
    "lights-again": {"type": "question", "prompt": "And now, which lights?", "fact": "lights",
                     "branches": {"all_green": "to-wifi", "internet_red": "age",
                                  "all_off": "dead"}},
    "age": {"type": "question", "prompt": "How old is the router?", "fact": "age",
            "routes": [{"when": "age >= 5", "goto": "old"}, {"goto": "tier2"}]},
    "to-wifi": {"type": "handoff", "script": "wifi", "message": "Let's look at the Wi-Fi."},
    "area": {"type": "outcome", "result": "unresolved", "code": "area-outage"},
    "done": {"type": "outcome", "result": "resolved", "code": "fixed-by-restart",
             "message": "Fixed for account {account_id}."},
    "dead": {"type": "outcome", "result": "escalated", "code": "dead-router"},
    "old": {"type": "outcome", "result": "referred", "code": "old-router"},
    "tier2": {"type": "outcome", "result": "escalated", "code": "tier2"},
})

WIFI = script("wifi", facts={
    "lights": LIGHTS,
    "scope": {"type": "choice", "label": "Devices affected", "options": ["one", "all"]},
    "band": {"type": "choice", "label": "Wi-Fi band", "options": ["ghz24", "ghz5"],
             "reask": "confirm"},
}, nodes={
    "check-lights": {"type": "question", "prompt": "Which lights are on?", "fact": "lights",
                     "branches": {"all_green": "scope", "*": "tier2"}},
    "scope": {"type": "question", "prompt": "One device or all?", "fact": "scope",
              "branches": {"one": "band", "all": "verify"}},
    "band": {"type": "question", "prompt": "Which band?", "fact": "band",
             "branches": {"ghz24": "fixed", "ghz5": "tier2"}},
    "verify": {"type": "call", "script": "verify",
               "branches": {"resolved": "band", "*": "tier2"}},
    "fixed": {"type": "outcome", "result": "resolved", "code": "wifi-fixed"},
    "tier2": {"type": "outcome", "result": "escalated", "code": "wifi-tier2"},
})

VERIFY = script("verify", facts={
    "account_id": ACCOUNT,
    "caller": {"type": "choice", "label": "Who is calling", "options": ["holder", "other"],
               "ttl": "1h"},
}, nodes={
    "account": {"type": "question", "prompt": "Your account number?", "fact": "account_id",
                "next": "role"},
    "role": {"type": "question", "prompt": "Are you the account holder?", "fact": "caller",
             "branches": {"holder": "ok", "other": "no"}},
    "ok": {"type": "outcome", "result": "resolved", "code": "verified",
           "message": "Verified {account_id}."},
    "no": {"type": "outcome", "result": "referred", "code": "not-holder"},
})


def helpdesk() -> tuple[Spec, Spec, Spec]:
    """Fresh copies of NET, WIFI and VERIFY (tests may change them)."""
    return copy.deepcopy(NET), copy.deepcopy(WIFI), copy.deepcopy(VERIFY)


@pytest.fixture
def desk(make_lib: MakeLib) -> Library:
    """The net / wifi / verify library."""
    return make_lib(*helpdesk())
