"""Keep the portable record true: what is edited in the library (athlete, notes, tags) goes back into the
attempt's sidecar or batch result file, so a library rebuilt from the files loses none of it."""

from __future__ import annotations

from pathlib import Path

from ..errors import VATPError
from ..result import ScoreResult
from .errors import LibraryError
from .queries import attempt_row
from .store import Library


def write_back(lib: Library, attempt_id: int) -> Path | None:
    """Rewrite the attempt's source file (atomically) with the library's athlete, notes and tags.

    Returns the file written, or None when the attempt has no source file any more (nothing to keep true).
    A file that no longer holds this attempt (re-scored since) is left alone.
    """
    row = attempt_row(lib, attempt_id)
    if row is None:
        raise LibraryError(f"No attempt {attempt_id} in the library.")
    path = Path(row.source_path) if row.source_path else None
    if path is None or not path.is_file() or not path.name.endswith(".json"):
        return None
    try:
        stored = ScoreResult.from_json(path)
    except VATPError:
        return None
    if stored.created != row.scored_at or abs(stored.mean - row.mean) > 1e-6:
        return None
    stored.athlete = row.athlete
    stored.notes = row.notes
    stored.tags = [t.strip() for t in row.tags.split(",") if t.strip()]
    try:
        stored.to_json(path)
    except OSError as exc:
        raise LibraryError(f"Cannot update {path}: {exc.strerror or exc}") from None
    return path
