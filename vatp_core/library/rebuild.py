"""A damaged or too-new library is never written to: a new file is filled from the sidecars instead."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Callable

from .errors import LibraryError
from .importer import ImportProgress, ImportSummary, import_path
from .store import Library


def rebuild_path(broken: str | os.PathLike) -> Path:
    """A new file name beside the broken library: ``library.rebuilt-20261201-1342.sqlite3``."""
    broken = Path(broken)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = broken.with_name(f"{broken.stem}.rebuilt-{stamp}{broken.suffix or '.sqlite3'}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = broken.with_name(f"{broken.stem}.rebuilt-{stamp}-{n}{broken.suffix or '.sqlite3'}")
    return candidate


def rebuild_library(
    folders: list[str | os.PathLike],
    target: str | os.PathLike,
    *,
    progress: ImportProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportSummary:
    """Import every sidecar and batch result under ``folders`` into the new library file ``target``."""
    target = Path(target)
    if target.exists():
        raise LibraryError(f"{target} exists already; a rebuild writes a new file only.")
    total = ImportSummary()
    with Library(target) as lib:
        for folder in folders:
            part = import_path(lib, folder, progress=progress, cancel=cancel)
            total.added += part.added
            total.already += part.already
            total.failed += part.failed
            total.relocated += part.relocated
    return total
