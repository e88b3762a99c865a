"""Out of the library: the attempts table as CSV, and everything about one athlete as one JSON file."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ..atomic import atomic_write
from .errors import LibraryError
from .importer import ATHLETE_EXPORT_FORMAT
from .queries import AttemptFilter, attempt_rows, subaction_table
from .records import AttemptRow
from .store import Library

CSV_COLUMNS = (
    "id",
    "scored_at",
    "athlete",
    "place",
    "routine",
    "pack_name",
    "pack_label",
    "pack_id",
    "mean",
    "std",
    "interval_lo",
    "interval_hi",
    "ood",
    "difficulty",
    "subactions",
    "tags",
    "notes",
    "video_name",
    "video_path",
    "content_hash",
    "source_path",
)


def csv_text(lib: Library, rows: list[AttemptRow]) -> str:
    """The CSV of ``rows``; sub-actions as ``name +contribution; ...`` in routine order."""
    subs = subaction_table(lib, [r.id for r in rows])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        values = r.to_dict()
        values["subactions"] = "; ".join(
            f"{name} {c:+.3f}" if c is not None else name for name, c in subs.get(r.id, [])
        )
        writer.writerow([_cell(values[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def export_csv(lib: Library, path: str | os.PathLike, flt: AttemptFilter | None = None) -> int:
    """Write the (filtered) table to ``path`` atomically; returns the number of rows."""
    rows = attempt_rows(lib, flt)
    _write(path, csv_text(lib, rows))
    return len(rows)


def export_athlete(lib: Library, name: str, path: str | os.PathLike) -> int:
    """One athlete's sessions and attempts with their full results: a file `vatp library import` reads back."""
    if name not in lib.athletes():
        raise LibraryError(f"No athlete named {name!r} in the library.")
    rows = attempt_rows(lib, AttemptFilter(athlete=name))
    attempts = []
    for r in reversed(rows):  # oldest first
        item = r.to_dict()
        item["result"] = lib.result(r.id).to_dict()
        attempts.append(item)
    doc = {
        "format": ATHLETE_EXPORT_FORMAT,
        "format_version": 1,
        "athlete": name,
        "exported": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "attempts": attempts,
    }
    _write(path, json.dumps(doc, indent=1, allow_nan=False))
    return len(attempts)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _write(path: str | os.PathLike, text: str) -> None:
    try:
        atomic_write(Path(path), text)
    except OSError as exc:
        raise LibraryError(f"Cannot write {path}: {exc.strerror or exc}") from None
