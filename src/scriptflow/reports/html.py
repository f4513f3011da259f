"""The report as one self-contained HTML page (placeholder until the charts land)."""

from __future__ import annotations

import html
from typing import Any

from .text import render_text


def render_html(report: dict[str, Any]) -> str:
    return f"<!doctype html><pre>{html.escape(render_text(report))}</pre>"
