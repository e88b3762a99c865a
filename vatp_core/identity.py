"""The one content identity of a file: a full-content SHA-256, streamed once and remembered.

``content_id(path)`` reads every byte once, in chunks, and remembers the digest by
(path, size, mtime_ns, inode) in the process and in a small JSON file in the user cache folder (no cache
when that folder cannot be written), so a long video is not read again until it changes. Identities are
versioned: ``"sha256-full:<64 hex>"`` today; the older sampled form (32 hex digits of a hash over the size
and three 1 MiB samples) is still recognised by `verify`, so sidecars, batch results and cache entries
written with it are matched, re-checked and upgraded instead of orphaned.

Only regular files are hashed: a named pipe, a device or a folder is refused before it is opened
(opening a FIFO would block forever).
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import stat
import threading
from pathlib import Path

from .errors import VATPError

log = logging.getLogger(__name__)

FULL_PREFIX = "sha256-full:"
_CHUNK = 1 << 20
_LEGACY_SAMPLE = 1 << 20  # the sampled form read 1 MiB at the start, middle and end
_LEGACY_WHOLE_LIMIT = 3 * _LEGACY_SAMPLE  # ... and hashed files up to this size whole
_DISK_CACHE_NAME = "content_ids.json"
_DISK_CACHE_MAX = 4096  # entries kept in the on-disk memo (oldest dropped first)

_memo: dict[tuple, str] = {}
_lock = threading.Lock()


class NotARegularFileError(VATPError):
    """The path is a folder, a named pipe, a device or a socket: nothing to hash or decode."""


class Match(enum.Enum):
    """How a stored identity relates to a file's bytes."""

    SAME = "same"  # full-content match
    LEGACY = "legacy"  # the older sampled form matches: recognised, should be upgraded to content_id()
    DIFFERENT = "different"
    UNKNOWN = "unknown"  # no identity stored, or not one of the known forms: nothing to compare


def require_regular_file(path: str | os.PathLike) -> os.stat_result:
    """The file's stat, or a one-line error when it is missing or not a regular file (checked without opening)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise VATPError(f"File not found: {p}") from None
    except OSError as exc:
        raise VATPError(f"Cannot read {p}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise NotARegularFileError(f"{p} is a folder, not a file.")
    if not stat.S_ISREG(st.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        raise NotARegularFileError(f"{p} is {kind}; only regular files can be read.")
    return st


def is_full_id(identity: str) -> bool:
    return isinstance(identity, str) and identity.startswith(FULL_PREFIX)


def digest_part(identity: str, n: int | None = None) -> str:
    """The hex digits of an identity of either form (for file names and short displays)."""
    hexpart = identity[len(FULL_PREFIX) :] if is_full_id(identity) else identity
    return hexpart[:n] if n else hexpart


def content_id(path: str | os.PathLike) -> str:
    """The full-content identity of the file (``sha256-full:`` + 64 hex digits); renames and moves keep it."""
    p = Path(path)
    st = require_regular_file(p)
    key = _memo_key(p, st)
    with _lock:
        hit = _memo.get(key)
    if hit is None:
        hit = _disk_lookup(key)
    if hit is not None:
        with _lock:
            _memo[key] = hit
        return hit
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    digest = FULL_PREFIX + h.hexdigest()
    with _lock:
        _memo[key] = digest
    _disk_store(key, digest)
    return digest


def legacy_sampled_id(path: str | os.PathLike) -> str:
    """The identity older versions wrote (size + start/middle/end samples); only for recognising old files."""
    p = Path(path)
    st = require_regular_file(p)
    h = hashlib.sha256(b"vatp-video-v1")
    h.update(st.st_size.to_bytes(8, "little"))
    with open(p, "rb") as fh:
        if st.st_size <= _LEGACY_WHOLE_LIMIT:
            h.update(fh.read())
        else:
            for offset in (0, st.st_size // 2 - _LEGACY_SAMPLE // 2, st.st_size - _LEGACY_SAMPLE):
                fh.seek(offset)
                h.update(fh.read(_LEGACY_SAMPLE))
    return h.hexdigest()[:32]


def legacy_id_is_full_content(path: str | os.PathLike) -> bool:
    """True when the older sampled form of this file covered every byte (small files), so it proves the content."""
    return require_regular_file(path).st_size <= _LEGACY_WHOLE_LIMIT


def verify(stored: str | None, path: str | os.PathLike) -> Match:
    """Compare a stored identity (either form) with the file; LEGACY means "matched the old form: upgrade it"."""
    if not stored or not isinstance(stored, str):
        return Match.UNKNOWN
    if is_full_id(stored):
        return Match.SAME if content_id(path) == stored else Match.DIFFERENT
    if len(stored) == 32 and all(c in "0123456789abcdef" for c in stored):
        return Match.LEGACY if legacy_sampled_id(path) == stored else Match.DIFFERENT
    return Match.UNKNOWN


def forget() -> None:
    """Drop the in-process memo (tests; the on-disk memo is still keyed by size, mtime and inode)."""
    with _lock:
        _memo.clear()


def _memo_key(p: Path, st: os.stat_result) -> tuple:
    return (str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def _disk_cache_file() -> Path | None:
    try:
        from . import paths

        return paths.cache_dir() / _DISK_CACHE_NAME
    except OSError:
        return None


def _key_text(key: tuple) -> str:
    return "|".join(str(k) for k in key)


def _read_disk_cache(file: Path) -> dict[str, str]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and is_full_id(v)}


def _disk_lookup(key: tuple) -> str | None:
    file = _disk_cache_file()
    if file is None:
        return None
    return _read_disk_cache(file).get(_key_text(key))


def _disk_store(key: tuple, digest: str) -> None:
    """Remember the digest on disk; an unwritable cache folder only costs a re-read next time."""
    file = _disk_cache_file()
    if file is None:
        return
    from .atomic import atomic_write

    with _lock:
        entries = _read_disk_cache(file)
        entries.pop(_key_text(key), None)
        entries[_key_text(key)] = digest
        while len(entries) > _DISK_CACHE_MAX:
            entries.pop(next(iter(entries)))
        try:
            atomic_write(file, json.dumps(entries))
        except OSError as exc:
            log.debug("content-id cache not written (%s); continuing without it", exc)
