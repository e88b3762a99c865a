"""What a batch writes about each video: its row from a ScoreResult, reports, and the text columns.

Both engines (the local loop in `runner` and the Ray driver in `vatp_core.distributed.ray_batch`) fill rows
through these functions, so a row carries the same columns whichever engine scored it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable

from ..atomic import pdf_is_complete
from ..errors import VATPError
from ..result_rows import BatchRow
from .labels import Label
from .store import BatchStore, utc_now

log = logging.getLogger(__name__)

MakeReport = Callable[[BatchRow, Any], "str | Path | None"]


def describe_run(
    store: BatchStore, root: Path, pack_name: str, pack_id: str, labels: str | Path | None, **extra: Any
) -> None:
    """What the results files say about the run: folder, pack, labels, start (and what an engine adds)."""
    store.meta.update(
        folder=str(root.resolve()),
        pack=pack_name,
        pack_id=pack_id,
        labels=str(labels) if labels else None,
        created=store.meta.get("created") or utc_now(),
        **extra,
    )


def new_row(rel: str, chash: str, pack_id: str, pack_name: str, label: Label | None, athlete: str = "") -> BatchRow:
    """The row of a video about to be scored: an error row until a result is recorded."""
    return BatchRow(
        file=rel,
        status="error",
        content_hash=chash,
        pack=pack_name,
        pack_id=pack_id,
        true_score=label.score if label else None,
        difficulty=label.difficulty if label else None,
        dive_code=label.dive_code if label else "",
        athlete=athlete,
        scored_at=utc_now(),
    )


def record_result(row: BatchRow, result: Any, store: BatchStore) -> None:
    """Fill an ok row from a ScoreResult (score, interval, OOD flag, damage…) and write its JSON through the store;
    the one place every engine turns a result into a row."""
    row.status = "ok"
    row.mean = float(result.mean)
    row.std = float(result.std)
    interval = getattr(result, "interval", None) or {}
    row.interval_low, row.interval_high = interval.get("low"), interval.get("high")
    row.interval_level = interval.get("level")
    flag = (getattr(result, "ood", None) or {}).get("flag")
    row.ood = None if flag is None else bool(flag)
    row.out_of_range = bool(getattr(result, "out_of_range", False))
    if getattr(result, "difficulty", None) is not None:
        row.difficulty = float(result.difficulty)
    row.dive_code = getattr(result, "dive_code", None) or row.dive_code
    row.n_frames = result.video.n_frames
    row.duration = result.video.duration
    row.segments = segments_text(result)
    damage = getattr(result, "damage", None)
    row.damage = damage.message() if damage is not None and damage.any else ""
    row.result_json = store.save_result(row, result)


def update_skipped(
    row: BatchRow,
    chash: str,
    label: Label | None,
    store: BatchStore,
    make_report: MakeReport | None,
    athlete: str = "",
) -> bool:
    """A video scored in an earlier run: take a changed label or athlete, render a report asked for only now
    (or one left incomplete); True if the row changed."""
    changed = row.content_hash != chash  # a row of an older version: upgraded to the full id
    row.content_hash = chash
    if label is not None and label.score is not None and row.true_score != label.score:
        row.true_score = label.score
        changed = True
    if athlete and row.athlete != athlete:
        row.athlete, changed = athlete, True
    if make_report is not None and not (row.report and report_complete(store.out_csv.parent / row.report)):
        changed |= _report_from_stored(row, store, make_report)
    return changed


def attach_report(row: BatchRow, result: Any, store: BatchStore, make_report: MakeReport) -> None:
    """Render a scored video's report and record its path; a report failure must not lose the score."""
    try:
        report = make_report(row, result)
        if report:
            row.report = _relative(report, store)
    except Exception as exc:
        log.warning("report for %s failed: %s", row.file, exc)
        row.error = f"report failed: {exc}"


def report_complete(path: Path) -> bool:
    """An earlier report counts only when whole (a 0-byte or cut-off PDF from an older version is made again)."""
    if path.suffix.lower() == ".pdf":
        return pdf_is_complete(path)
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def _report_from_stored(row: BatchRow, store: BatchStore, make_report: MakeReport) -> bool:
    """Render the report of a video scored in an earlier run (reports asked for only now); True if written."""
    from ..result import ScoreResult

    path = store.result_path(row)
    if path is None or not path.is_file():
        return False
    try:
        report = make_report(row, ScoreResult.from_json(path))
    except Exception as exc:
        log.warning("report for %s failed: %s", row.file, exc)
        return False
    if not report:
        return False
    row.report = _relative(report, store)
    return True


def _relative(report: str | Path, store: BatchStore) -> str:
    """A report's path as the row records it: relative to the CSV's folder, '/'-separated."""
    return os.path.relpath(report, store.out_csv.parent).replace(os.sep, "/")


def present_rows(store: BatchStore, rels: list[str]) -> list[BatchRow]:
    """Rows of the videos in the folder now (the files also keep rows of videos since moved away)."""
    present = set(rels)
    return [r for r in store.ordered_rows(rels) if r.file in present]


def error_text(exc: BaseException) -> str:
    """The error column: a VATPError's own message, anything else with its type name."""
    text = str(exc).strip().replace("\n", " ")
    if isinstance(exc, VATPError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def segments_text(result: Any) -> str:
    """Compact sub-action list for the CSV: ``Approach 0.00–1.20; Flight 1.20–2.40``."""
    parts = []
    for seg in getattr(result, "segments", None) or []:
        parts.append(f"{seg.name} {seg.start_time:.2f}-{seg.end_time:.2f}")
    return "; ".join(parts)
