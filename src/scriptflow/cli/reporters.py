"""Lint reporters by name: text for people, json for machines, sarif and github for CI."""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import quote

from ..codes import CODES
from ..format.document import Document
from ..problems import LintReport

Reporter = Callable[[LintReport, dict[str, Document], TextIO], None]
REPORTERS: dict[str, Reporter] = {}


def reporter(name: str) -> Callable[[Reporter], Reporter]:
    def register(func: Reporter) -> Reporter:
        REPORTERS[name] = func
        return func

    return register


@reporter("text")
def text_report(report: LintReport, documents: dict[str, Document], out: TextIO) -> None:
    for p in report.problems:
        out.write(p.format() + "\n")
        doc = documents.get(p.path)
        source = doc.line_text(p.line) if doc is not None and p.line else ""
        if source.strip():
            out.write(f"    {source}\n")
            caret_at = _display_width(source[: max(p.column - 1, 0)])
            out.write("    " + " " * caret_at + "^\n")
        if p.hint:
            out.write(f"    hint: {p.hint}\n")
    s = report.summary()
    noun = "file" if s["files"] == 1 else "files"
    if not report.problems:
        out.write(f"no problems in {s['files']} {noun}\n")
    else:
        out.write(f"{s['errors']} error(s), {s['warnings']} warning(s) in {s['files']} {noun}\n")


def _display_width(text: str) -> int:
    # Tabs in the source line are shown as they are, so the caret keeps them too.
    return len(text)


def as_json(report: LintReport) -> dict[str, Any]:
    return {
        "problems": [
            {"code": p.code, "name": p.name, "severity": p.severity, "path": p.path,
             "line": p.line, "column": p.column, "message": p.message, "script": p.script,
             "node": p.node, "hint": p.hint}
            for p in report.problems
        ],
        "summary": report.summary(),
    }


@reporter("json")
def json_report(report: LintReport, documents: dict[str, Document], out: TextIO) -> None:
    json.dump(as_json(report), out, indent=2)
    out.write("\n")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


# Relative paths are resolved against the folder lint ran in; code-scanning tools map
# this base onto the checkout, so results line up with the repository's files.
SARIF_BASE = "%SRCROOT%"


def _sarif_location(path: str) -> dict[str, str]:
    """``artifactLocation`` for ``path``: a valid URI reference (SARIF 2.1.0 §3.4.3).

    Raw paths are not URIs: a space or ``#`` would break them, and ``C:/x`` would read
    as scheme ``C``. Relative paths are percent-encoded and based on ``%SRCROOT%``;
    absolute ones become ``file:`` URIs.
    """
    if os.path.isabs(path):
        return {"uri": pathlib.Path(path).as_uri()}
    return {"uri": quote(path.replace("\\", "/"), safe="/"), "uriBaseId": SARIF_BASE}


def _folder_uri(folder: pathlib.Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base must end in "/" (§3.14.14)


@reporter("sarif")
def sarif_report(report: LintReport, documents: dict[str, Document], out: TextIO) -> None:
    from .. import __version__

    codes = sorted(CODES)
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": CODES[code].name,
            "shortDescription": {"text": CODES[code].summary},
            "fullDescription": {"text": CODES[code].explanation},
            "helpUri": f"https://scriptflow.dev/rules/{code}/",
            "defaultConfiguration": {"level": CODES[code].severity},
        }
        for code in codes
    ]
    results = []
    for p in report.problems:
        message = p.message + (f" ({p.hint})" if p.hint else "")
        results.append({
            "ruleId": p.code,
            "ruleIndex": index[p.code],
            "level": p.severity,
            "message": {"text": message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _sarif_location(p.path),
                    "region": {"startLine": max(p.line, 1), "startColumn": max(p.column, 1)},
                },
                **({"logicalLocations": [{"name": p.node, "kind": "member",
                                          "fullyQualifiedName": f"{p.script}:{p.node}"}]}
                   if p.node and p.script else {}),
            }],
        })
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "scriptflow", "version": __version__,
                                "informationUri": "https://scriptflow.dev", "rules": rules}},
            "originalUriBaseIds": {SARIF_BASE: {"uri": _folder_uri(pathlib.Path.cwd())}},
            "results": results,
        }],
    }
    json.dump(sarif, out, indent=2)
    out.write("\n")


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


@reporter("github")
def github_report(report: LintReport, documents: dict[str, Document], out: TextIO) -> None:
    for p in report.problems:
        level = "error" if p.severity == "error" else "warning"
        message = p.message + (f" (hint: {p.hint})" if p.hint else "")
        out.write(f"::{level} file={_gh_escape(p.path, prop=True)},line={p.line},"
                  f"col={p.column},title={_gh_escape(p.code + ' ' + p.name, prop=True)}::"
                  f"{_gh_escape(message)}\n")
