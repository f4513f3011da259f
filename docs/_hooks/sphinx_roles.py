"""MkDocs hook: the docstrings use Sphinx roles (:class:`Session`, :meth:`answer`) that
Markdown shows literally; drop the role and keep the code, once the page is HTML."""

from __future__ import annotations

import re
from typing import Any

# The role, and the "~" that asks Sphinx to show only the last part of a dotted name.
ROLE = re.compile(r":(?:class|meth|func|attr|mod|exc|data|obj):<code>(~[\w.]*\.)?")


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub("<code>", html)
