"""Find script files under the paths given and load each into a Document."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .document import Document

SCRIPT_SUFFIXES = (".yaml", ".yml")
SCENARIO_SUFFIXES = (".scenarios.yaml", ".scenarios.yml")


class MissingPathError(FileNotFoundError):
    """A path given on the command line or to the API that does not exist."""


def is_script_file(name: str) -> bool:
    return name.endswith(SCRIPT_SUFFIXES) and not name.endswith(SCENARIO_SUFFIXES)


def find_script_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Script files under ``paths`` (folders searched recursively), sorted, no repeats.

    A file named explicitly is taken whatever its suffix; hidden folders are skipped.
    """
    found: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isfile(path):
            found.append(os.path.normpath(path))
        elif os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.normpath(os.path.join(folder, f))
                             for f in sorted(files) if is_script_file(f))
        else:
            raise MissingPathError(f"no such file or folder: {path}")
    return sorted(dict.fromkeys(found))


def read_document(path: str) -> Document:
    from .yamlload import load_bytes  # PyYAML only when a file is really parsed

    with open(path, "rb") as handle:
        raw = handle.read()
    return load_bytes(raw, path)
