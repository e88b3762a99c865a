"""What a batch works on: the videos under a folder, their content hashes and the model pack's identity."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from ..errors import VATPError
from ..hashing import sha256_file
from ..identity import content_id
from ..video.formats import is_video_filename


def find_videos(folder: str | Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Every video file under ``folder`` (recursively, by extension), sorted, skipping hidden folders."""
    root = Path(folder)
    if not root.is_dir():
        raise VATPError(f"Batch folder not found: {root}")
    excluded = [Path(p).resolve() for p in exclude]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and Path(dirpath, d).resolve() not in excluded
        )
        for name in filenames:
            if not name.startswith(".") and is_video_filename(name):
                found.append(Path(dirpath, name))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def content_hash(path: str | Path) -> str:
    """The video's content identity (`vatp_core.identity.content_id`), so a renamed file is still recognised."""
    return content_id(path)


def pack_identity(pack: Any) -> str:
    """A short id that changes whenever the pack's weights or manifest change (part of the resume key).

    The manifest carries the SHA-256 of the weights file, so hashing the manifest covers the weights too;
    a pack without one (older format) falls back to hashing its files.
    """
    manifest = _manifest_dict(getattr(pack, "manifest", None))
    h = hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode())
    if not manifest.get("weights_sha256"):
        path = Path(getattr(pack, "path", "") or "")
        if path.is_file():
            h.update(sha256_file(path).encode())
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                h.update(child.relative_to(path).as_posix().encode())
                h.update(sha256_file(child).encode())
    return h.hexdigest()[:16]


def _manifest_dict(manifest: Any) -> dict:
    if manifest is None:
        return {}
    if hasattr(manifest, "to_dict"):
        return manifest.to_dict()
    try:
        return asdict(manifest)
    except TypeError:
        return dict(vars(manifest))
