"""Headless Chromium for the HTML report tests: load a page, return the DOM it rendered
and every console message it logged."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
         "--allow-file-access-from-files"]


def dump_dom(page: Path, profile: Path) -> tuple[str, list[str]]:
    """``(serialised DOM after load, console lines)`` of the file ``page``."""
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                           page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


class Elements(HTMLParser):
    """Every element's tag and attributes, in document order, with the text inside it."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.found.append((tag, {k: v or "" for k, v in attrs}, text))
        if tag not in {"meta", "link", "br", "img", "input"}:
            self._open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for text in self._open:
            text.append(data)

    def having(self, attribute: str, value: str | None = None) -> list[tuple[
            str, dict[str, str], str]]:
        """Elements with ``attribute`` (equal to ``value`` when given), with their text."""
        return [(tag, attrs, "".join(text)) for tag, attrs, text in self.found
                if attribute in attrs and (value is None or attrs[attribute] == value)]
