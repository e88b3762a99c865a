"""Resumable training state: our own dict of tensors and plain values, saved with torch.save,
read back with ``torch.load(weights_only=True)`` so a checkpoint can never run code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..atomic import atomic_open
from ..errors import VATPError

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_VERSION = 1


class CheckpointError(VATPError):
    """A checkpoint is unreadable or belongs to a different run."""


def checkpoint_path(folder: str | Path) -> Path:
    return Path(folder) / CHECKPOINT_NAME


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write atomically (temp file + rename) so a kill mid-write leaves the previous checkpoint intact."""
    import torch

    path = Path(path)
    with atomic_open(path, "wb") as fh:
        torch.save({"version": CHECKPOINT_VERSION, **state}, fh)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    import torch

    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        from ..safe_pickle import torch_load_reason

        raise CheckpointError(f"Cannot read checkpoint {path}: {torch_load_reason(exc)}") from None
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} is not a VATP training checkpoint of version {CHECKPOINT_VERSION}")
    return state


def run_fingerprint(parts: dict[str, Any]) -> str:
    """A digest of what must not change between an interrupted run and its resumption."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
