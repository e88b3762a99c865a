"""SHA-256 of a file, streamed in blocks: the one file-hash helper (weights, packs, batch and content identity)."""

from __future__ import annotations

import hashlib
import os
from typing import Callable


def sha256_file(
    path: str | os.PathLike, progress: Callable[[str, int, int], None] | None = None, chunk: int = 1 << 22
) -> str:
    """Full SHA-256 hex digest of a file (with ``progress``, reported as stage "verify": done, total bytes)."""
    h = hashlib.sha256()
    total = os.stat(path).st_size if progress is not None else 0
    done = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
            done += len(block)
            if progress is not None:
                progress("verify", done, total)
    return h.hexdigest()
