"""``[tool.scriptflow.lint]`` in the nearest pyproject.toml."""

from __future__ import annotations

import os
from typing import Any

from ..codes import CODES, NAMES
from ..errors import ScriptflowError
from .context import LintConfig


class ConfigError(ScriptflowError):
    """The lint configuration cannot be used; the message says where and why."""


def find_pyproject(start: str) -> str | None:
    folder = os.path.abspath(start)
    if os.path.isfile(folder):
        folder = os.path.dirname(folder)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _code(value: Any, where: str) -> str:
    text = str(value).strip()
    code = NAMES.get(text, text.upper())
    if code not in CODES:
        raise ConfigError(f"{where}: unknown rule {value!r} (codes are SF100…SF501, "
                          "or names such as 'unreachable-node')")
    return code


def config_from_table(table: Any, where: str) -> LintConfig:
    """The settings in ``table`` (the parsed ``[tool.scriptflow.lint]``), checked."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of settings, not "
                          f"{_kind(table)}; write e.g. `[tool.scriptflow.lint]` followed by "
                          "`max-questions = 15`")
    config = LintConfig()
    unknown = set(table) - {"ignore", "severity", "max-questions"}
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))} "
                          "(allowed: ignore, severity, max-questions)")
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list):
        raise ConfigError(f"{where}: ignore must be a list of codes, e.g. [\"SF403\"]")
    config.ignore = frozenset(_code(c, where) for c in ignore)
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"{where}: severity must be a table, e.g. {{SF301 = \"error\"}}")
    for key, level in severity.items():
        if level not in ("error", "warning", "off"):
            raise ConfigError(f"{where}: severity of {key} must be error, warning or off")
        config.severity[_code(key, where)] = level
    limit = table.get("max-questions", 15)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ConfigError(f"{where}: max-questions must be a whole number of at least 1")
    config.max_questions = limit
    return config


def _kind(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "true/false",
            list: "a list"}.get(type(value), f"a {type(value).__name__}")


def _lint_table(path: str) -> Any:
    """``[tool.scriptflow.lint]`` of the TOML file ``path`` (``None`` if absent).

    Every way the file can fail (unreadable, not TOML, ``tool`` or ``tool.scriptflow``
    not a table) is a :class:`ConfigError` naming the file and the fix, so the command
    line turns it into a usage error rather than a traceback.
    """
    import tomllib  # only when there is a file to read

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the syntax there") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {path}: "
                          f"{exc.strerror or exc}") from exc
    table: Any = data
    for depth, key in enumerate(("tool", "scriptflow")):
        table = table.get(key)
        if table is None:
            return None
        if not isinstance(table, dict):
            name = ".".join(("tool", "scriptflow")[:depth + 1])
            raise ConfigError(f"{path}: `{name}` must be a table, not {_kind(table)}; the "
                              "lint settings go under `[tool.scriptflow.lint]`")
    return table.get("lint")


def _file_config(path: str) -> LintConfig | None:
    """The settings of the TOML file ``path``; None when it has no lint table."""
    table = _lint_table(path)
    return None if table is None else config_from_table(table,
                                                        f"{path} [tool.scriptflow.lint]")


def load_config_file(path: str) -> LintConfig:
    """The configuration in ``path`` (``--config``); a file without the table gives defaults."""
    config = _file_config(path)
    return LintConfig() if config is None else config


def load_config(start: str) -> tuple[LintConfig, str | None]:
    """The configuration in force for paths under ``start``, and the file it came from."""
    path = find_pyproject(start)
    config = None if path is None else _file_config(path)
    return (LintConfig(), None) if config is None else (config, path)
