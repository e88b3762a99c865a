"""Errors of the athlete library; each message says what happened to which file and what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import VATPError


class LibraryError(VATPError):
    """The library cannot do what was asked (busy, read-only folder, ...); nothing was lost."""


class LibraryCorruptError(LibraryError):
    """The database file is damaged or not a library; it is left untouched (rebuild from sidecars)."""


class LibraryVersionError(LibraryError):
    """The database was written by a newer VATP Studio; it is left untouched."""


def translate(exc: sqlite3.Error, path: Path) -> LibraryError:
    """One readable error for an sqlite3 exception raised while using the library at ``path``."""
    text = str(exc)
    low = text.lower()
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return LibraryCorruptError(
            f"The athlete library {path} is damaged ({text}); it was left as it is — rebuild it from the sidecars "
            "into a new file (vatp library import DIR --db NEW_FILE)."
        )
    if "locked" in low or "busy" in low:
        return LibraryError(f"The athlete library {path} is busy (another program is writing to it); try again.")
    if "readonly" in low or "read-only" in low or "unable to open" in low or "disk i/o" in low:
        return LibraryError(f"The athlete library {path} cannot be written ({text}); check the folder's permissions.")
    return LibraryError(f"The athlete library {path}: {text}")
