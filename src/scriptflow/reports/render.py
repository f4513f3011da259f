"""Renderers by format name: each turns the report dict into text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Renderer = Callable[[dict[str, Any]], str]


def _json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _text(report: dict[str, Any]) -> str:
    from .text import render_text

    return render_text(report)


def _html(report: dict[str, Any]) -> str:
    from .html import render_html

    return render_html(report)


RENDERERS: dict[str, Renderer] = {"text": _text, "json": _json, "html": _html}


def render(report: dict[str, Any], fmt: str) -> str:
    """``report`` as ``fmt`` (text, json or html); ValueError for another format."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"no report format {fmt!r}; choose one of "
                         f"{', '.join(RENDERERS)}") from None
    return renderer(report)
