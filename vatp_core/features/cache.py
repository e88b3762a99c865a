"""Feature cache keyed by (video content hash, backbone + weights hash, protocol, frame range).

Shared by scoring, batch scoring and training. Entries are .npz files (no pickle) under
``paths.feature_cache_dir()``, written to a temporary file and moved into place with ``os.replace``,
so two processes writing the same entry both leave a complete file and a reader never sees a partial
one. The cache is trimmed, oldest-used first, to the size limit in the settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import paths
from ..atomic import atomic_open
from ..identity import content_id, legacy_id_is_full_content, legacy_sampled_id

# The one content identity (full-content SHA-256); the old name stays for callers that import it from here.
video_content_hash = content_id
log = logging.getLogger(__name__)


def feature_cache_key(
    content_hash: str,
    backbone: str,
    weights_hash: str,
    protocol: dict[str, Any],
    start: int = 0,
    end: int | None = None,
) -> str:
    """The cache key of one extraction (everything that changes the features goes in)."""
    spec = {
        "v": 1,
        "video": content_hash,
        "backbone": backbone,
        "weights": weights_hash,
        "protocol": protocol,
        "start": int(start),
        "end": None if end is None else int(end),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:40]


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


@dataclass
class CachedFeatures:
    """One cache entry."""

    features: np.ndarray  # (T, D) float32
    clip_ranges: list[tuple[int, int]]
    meta: dict[str, Any] = field(default_factory=dict)


class FeatureCache:
    """The on-disk feature cache; safe to use from several threads and processes at once."""

    def __init__(self, root: str | os.PathLike | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else paths.feature_cache_dir()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # the cache is an optimisation: score without it
            _warn_once(f"feature cache {self.root} unavailable ({exc.strerror or exc}); features are not cached")
        if max_bytes is None:
            from ..settings import load_settings

            max_bytes = int(load_settings().cache_size_mb) * (1 << 20)
        self.max_bytes = max_bytes

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> CachedFeatures | None:
        """The entry, or None when absent or unreadable (a damaged entry is removed)."""
        path = self.path_for(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                features = np.asarray(data["features"], dtype=np.float32)
                ranges = [(int(a), int(b)) for a, b in np.asarray(data["clip_ranges"]).reshape(-1, 2)]
                meta = json.loads(str(data["meta"]))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
            return None
        try:
            os.utime(path)  # mark as recently used for trimming
        except OSError:
            pass
        return CachedFeatures(features, ranges, meta)

    def get_or_adopt_legacy(self, key: str, video: str | os.PathLike, make_key) -> CachedFeatures | None:
        """The entry under ``key``; else an entry an older version filed under the sampled hash, moved to ``key``.

        Only entries whose sampled hash covered every byte of the video (small files) are adopted: for a larger
        file the sampled hash does not prove the content, so its entry is left to age out and features are
        recomputed. ``make_key(identity)`` builds the cache key for an identity.
        """
        hit = self.get(key)
        if hit is not None:
            return hit
        try:
            if not legacy_id_is_full_content(video):
                return None
            old = self.path_for(make_key(legacy_sampled_id(video)))
            if not old.is_file():
                return None
            new = self.path_for(key)
            new.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, new)
        except OSError:
            return None
        return self.get(key)

    def put(
        self, key: str, features: np.ndarray, clip_ranges: list[tuple[int, int]], meta: dict[str, Any] | None = None
    ) -> Path | None:
        """Write an entry atomically (temporary file + os.replace), then trim the cache to its limit."""
        path = self.path_for(key)
        try:
            with atomic_open(path, "wb", fsync=True) as fh:
                np.savez(
                    fh,
                    features=np.ascontiguousarray(features, dtype=np.float32),
                    clip_ranges=np.asarray(clip_ranges, dtype=np.int64).reshape(-1, 2),
                    meta=np.array(json.dumps(meta or {})),
                )
        except OSError as exc:  # full or read-only cache folder: the score is still good, only not cached
            _warn_once(f"features not cached: {exc}")
            return None
        self.trim(keep=path)
        return path

    def entries(self) -> list[Path]:
        return [p for p in self.root.glob("*/*.npz")]

    def size_bytes(self) -> int:
        total = 0
        for p in self.entries():
            try:
                total += p.stat().st_size
            except OSError:
                pass
        return total

    def trim(self, keep: Path | None = None) -> int:
        """Remove least recently used entries until the cache fits its limit; returns how many went."""
        if self.max_bytes is None or self.max_bytes <= 0:
            return 0
        stats = []
        for p in self.entries():
            try:
                st = p.stat()
            except OSError:
                continue
            stats.append((st.st_mtime, st.st_size, p))
        total = sum(s for _, s, _ in stats)
        removed = 0
        for _, size, p in sorted(stats, key=lambda t: t[0]):
            if total <= self.max_bytes:
                break
            if keep is not None and p == keep:
                continue
            p.unlink(missing_ok=True)
            total -= size
            removed += 1
        self._remove_stale_temporaries()
        return removed

    def _remove_stale_temporaries(self, older_than_s: float = 3600.0) -> None:
        now = time.time()
        for p in self.root.glob("*/.*.tmp"):
            try:
                if now - p.stat().st_mtime > older_than_s:
                    p.unlink(missing_ok=True)
            except OSError:
                pass

    def clear(self) -> None:
        for p in self.entries():
            p.unlink(missing_ok=True)
