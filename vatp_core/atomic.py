"""Atomic file writes: a temporary file in the same folder, moved into place only when complete.

A crash or a kill at any instant leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "wb", *, fsync: bool = False, encoding: str | None = None
) -> Iterator[IO]:
    """Open a temporary file for writing; on a clean exit it replaces ``path``, on an error it is removed.

    With ``fsync`` the data and the rename reach the disk before this returns (survives power loss).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "b" not in mode
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # newline="": text is written as given (a CSV's own line ends are not translated).
        with os.fdopen(fd, mode, encoding=(encoding or "utf-8") if text else None, newline="" if text else None) as fh:
            yield fh
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, data: bytes | str, *, fsync: bool = False) -> Path:
    """Write bytes or text (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w" if isinstance(data, str) else "wb", fsync=fsync) as fh:
        fh.write(data)
    return Path(path)
