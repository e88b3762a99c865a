"""An exclusive lock on an output file, so two runs never write the same results at once (across processes)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import OutputError
from .errors import VATPError


class LockedError(VATPError):
    """Another run holds the lock on this output."""


def lock_path(target: str | os.PathLike) -> Path:
    """The hidden lock file beside ``target`` (kept after use: removing it would race with a waiting run)."""
    t = Path(target)
    return t.with_name(f".{t.name}.lock")


@contextmanager
def exclusive_lock(target: str | os.PathLike, what: str = "The output") -> Iterator[None]:
    """Hold an exclusive, non-blocking lock tied to ``target`` for the body; a second holder fails at once."""
    path = lock_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"Cannot write beside {target}: {exc.strerror or exc}") from None
    try:
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            owner = fh.read().strip()
            raise LockedError(
                f"{what} {target} is being written by another run{f' ({owner})' if owner else ''}; "
                "wait for it to finish or choose another output file."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            _unlock(fh)
    finally:
        fh.close()


if sys.platform == "win32":
    import msvcrt

    def _lock(fh) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(fh) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fh) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fh) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
