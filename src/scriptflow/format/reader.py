"""Find script files under the paths given and load each into a Document."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .document import Document

SCRIPT_SUFFIXES = (".yaml", ".yml")
SCENARIO_SUFFIXES = (".scenarios.yaml", ".scenarios.yml")


class MissingPathError(FileNotFoundError):
    """A path given on the command line or to the API that does not exist."""


class UnreadableFolderError(OSError):
    """A folder (given, or found under one given) whose entries cannot be listed.

    Skipping it would report "no problems" for scripts that were never checked, so
    the search stops here; the message says which folder and how to fix it.
    """

    def __init__(self, folder: str, reason: str) -> None:
        super().__init__(f"cannot read folder {folder}: {reason} (make it readable, "
                         "e.g. `chmod u+rx`, or leave it out of the paths to check)")
        self.folder = folder


def _raise_unreadable(error: OSError) -> None:
    # os.walk skips a folder it cannot list unless told otherwise: turn that into an error.
    folder = error.filename if error.filename is not None else "?"
    raise UnreadableFolderError(str(folder), error.strerror or str(error)) from error


def is_script_file(name: str) -> bool:
    return name.endswith(SCRIPT_SUFFIXES) and not name.endswith(SCENARIO_SUFFIXES)


def _explain_missing(path: str) -> None:
    """Raise the right error for a path that is neither a readable file nor a folder."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise MissingPathError(f"no such file or folder: {path}") from None
    except OSError as exc:  # e.g. a parent folder that may not be searched
        raise UnreadableFolderError(path, exc.strerror or str(exc)) from exc
    raise MissingPathError(f"not a file or folder: {path} (name script files or the "
                           "folders that hold them)")


def find_script_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Script files under ``paths`` (folders searched recursively), sorted, no repeats.

    A file named explicitly is taken whatever its suffix, except a scenario file (named
    by a shell glob such as ``scripts/*``: it is no script). Hidden folders are skipped;
    folders reached through symbolic links are searched, each real folder once.
    Raises :class:`MissingPathError` for a path that does not exist and
    :class:`UnreadableFolderError` for a folder that cannot be listed.
    """
    found: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isfile(path):
            if not path.endswith(SCENARIO_SUFFIXES):
                found.append(os.path.normpath(path))
        elif os.path.isdir(path):
            seen: set[str] = set()  # real folders: links may lead round in a circle
            for folder, dirs, files in os.walk(path, onerror=_raise_unreadable,
                                               followlinks=True):
                real = os.path.realpath(folder)
                if real in seen:
                    dirs[:] = []
                    continue
                seen.add(real)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.normpath(os.path.join(folder, f))
                             for f in sorted(files) if is_script_file(f))
        else:
            _explain_missing(path)
    return sorted(dict.fromkeys(found))


def read_document(path: str) -> Document:
    from .yamlload import load_bytes  # PyYAML only when a file is really parsed

    with open(path, "rb") as handle:
        raw = handle.read()
    return load_bytes(raw, path)
