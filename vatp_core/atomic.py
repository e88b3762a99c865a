"""Atomic file writes: a temporary file in the same folder, checked, then moved into place only when complete.

A crash, a kill or a full disk at any instant leaves either the old file or the new one, never half of one.
Every file the app and the CLI write goes through here (`atomic_open`, `atomic_write`, and `atomic_path` for
writers that want a path, such as the PDF renderer). A symlink is written through (its target is replaced,
the link stays); a new file gets the usual 0666 & ~umask permissions (an existing one keeps its mode); a
target that is a folder or a device (``/dev/full``) is refused; any OS error becomes one `OutputError` line.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import VATPError


class OutputError(VATPError, OSError):
    """A file could not be written (full disk, read-only folder, a folder or device in the way); nothing was lost."""


def output_target(path: str | os.PathLike) -> Path:
    """Where a write to ``path`` really lands: the target of a symlink, refused when it is not a regular file."""
    p = Path(path)
    if p.is_symlink():
        p = Path(os.path.realpath(p))
    try:
        st = p.stat()
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"Cannot write {path}: it is a folder; give a file name.")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"Cannot write {path}: it is not a regular file (a device or a pipe).")
    return p


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, with one `OutputError` line, when ``path`` cannot be written (before any long work starts)."""
    target = output_target(path)
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the first existing folder is the one a new file or subfolder goes into
    if not folder.is_dir():
        raise OutputError(f"Cannot write {path}: {folder} is not a folder.")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"Cannot write {path}: the folder {folder} is read-only or not writable.")
    return target


def _new_file_mode(existing: Path) -> int:
    try:
        return stat.S_IMODE(existing.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it where the platform allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _message(path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the disk"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "the folder is read-only or not writable"
    return f"Cannot write {path}: {reason} (nothing was changed)."


@contextmanager
def atomic_path(
    path: str | os.PathLike, *, verify: Callable[[Path], None] | None = None, fsync: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that opens files itself; it replaces ``path`` when the
    body returns, the file is on disk and ``verify(tmp)`` (raise `OutputError` for a bad file) accepts it.
    """
    target = output_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise OutputError(_message(Path(path), exc)) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        if fsync:
            _fsync_file(tmp)
        if verify is not None:
            verify(tmp)
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except OutputError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(_message(Path(path), exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_folder(target.parent)


@contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "wb", *, fsync: bool = False, encoding: str | None = None
) -> Iterator[IO]:
    """Open a temporary file for writing; on a clean exit it replaces ``path``, on an error it is removed.

    With ``fsync`` the data and the rename reach the disk before this returns (survives power loss). The size
    on disk is compared with what was written, so a short write never replaces a good file.
    """
    text = "b" not in mode
    with atomic_path(path, fsync=fsync) as tmp:
        # newline="": text is written as given (a CSV's own line ends are not translated).
        with open(tmp, mode, encoding=(encoding or "utf-8") if text else None, newline="" if text else None) as fh:
            yield fh
            fh.flush()
            written = (getattr(fh, "buffer", fh) if text else fh).tell()  # bytes, also for text files
        if os.stat(tmp).st_size != written:
            raise OutputError(f"Cannot write {path}: only part of the file reached the disk (nothing was changed).")


def verify_pdf(path: Path) -> None:
    """An `atomic_path` check: a PDF must start with %PDF- and end with %%EOF (a full disk cuts it short)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(5)
            fh.seek(max(0, size - 64))
            tail = fh.read().rstrip()
    except OSError as exc:
        raise OutputError(f"The PDF could not be read back: {exc.strerror or exc}") from None
    if head != b"%PDF-" or not tail.endswith(b"%%EOF"):
        raise OutputError(f"The PDF came out incomplete ({size} bytes; the disk may be full); nothing was replaced.")


def pdf_is_complete(path: Path) -> bool:
    """True for a whole PDF file (a 0-byte or cut-off one left by an older version is made again)."""
    try:
        verify_pdf(path)
    except OutputError:
        return False
    return True


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
