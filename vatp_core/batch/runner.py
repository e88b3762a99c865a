"""The batch loop: prefetch the next video, score this one, write its row, resume what was done before."""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar, cast

from ..errors import Cancelled, VATPError, check_cancel
from ..locking import exclusive_lock
from ..result_rows import BatchRow
from .athletes import LibraryFeed, athlete_of
from .discovery import content_hash, find_videos, pack_identity
from .labels import Label, match_label, read_labels
from .prefetch import Prefetcher, Prepared
from .recording import (
    MakeReport,
    attach_report,
    describe_run,
    error_text,
    new_row,
    present_rows,
    record_result,
    update_skipped,
)
from .store import BatchStore
from .summary import BatchSummary, label_metrics

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
_F = TypeVar("_F", bound=Callable[..., Any])


def _holding_the_lock(fn: _F) -> _F:
    """A second run on the same results table is refused while one holds its lock (`vatp_core.locking`)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with exclusive_lock(kwargs["out_csv"], "The results table"):
            return fn(*args, **kwargs)

    return cast(_F, run)


@_holding_the_lock
def run_batch(
    folder: str | Path,
    scorer: Any,
    *,
    pack_id: str,
    pack_name: str = "",
    out_csv: str | Path,
    out_json: str | Path | None = None,
    labels: str | Path | None = None,
    score_range: tuple[float, float] | None = None,
    prefetch: bool = True,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    on_row: Callable[[BatchRow, Any], None] | None = None,
    make_report: MakeReport | None = None,
    athlete_from_folder: bool = False,
    library: str | Path | None = None,
) -> BatchSummary:
    """Score every video under ``folder`` with ``scorer``, resuming from ``out_csv`` / ``out_json``.

    ``scorer`` needs ``score(path, progress=, cancel=, difficulty=) -> ScoreResult``; when it also has
    ``features(path, progress=, cancel=)`` and ``score_features(path, features, progress=, cancel=, difficulty=)``
    the feature extraction of the next video runs in the prefetch thread. ``progress`` gets
    ``("batch", done, total)`` per video and the scorer's own stages in between. ``on_row`` is called (in this
    thread) after each row is written, with the ScoreResult, or None for an error row or a video scored in an
    earlier run; ``make_report`` may render a PDF and return its path, recorded in the row (also for videos
    scored earlier that have no report yet, or an incomplete one). A second run on the same ``out_csv`` is
    refused while this one holds its lock (`vatp_core.locking.LockedError`).
    """
    t0 = time.perf_counter()
    root = Path(folder)
    store = BatchStore(out_csv, out_json)
    exclude = [store.results_dir]
    videos = find_videos(root, exclude=exclude)
    label_map = read_labels(labels) if labels else {}
    feed = LibraryFeed(library)
    rels = [p.relative_to(root).as_posix() for p in videos]
    describe_run(store, root, pack_name, pack_id, labels)
    split = (
        prefetch and callable(getattr(scorer, "features", None)) and callable(getattr(scorer, "score_features", None))
    )
    total = len(videos)
    n_scored = n_skipped = n_failed = 0
    cancelled = False

    def prepare(path: Path, rel: str) -> Prepared:
        item = Prepared(path, rel)
        start = time.perf_counter()
        try:
            item.chash = content_hash(path)
            label = match_label(label_map, rel) if label_map else None
            item.skip = store.is_done(rel, item.chash, pack_id, path, label)
            if split and not item.skip:
                item.features = scorer.features(path, progress=progress, cancel=_stop_or_cancel)
        except Cancelled:
            raise
        except Exception as exc:  # recorded as an error row by the consumer
            item.error = exc
        item.seconds = time.perf_counter() - start
        return item

    stop = threading.Event()

    def _stop_or_cancel() -> bool:
        return stop.is_set() or bool(cancel and cancel())

    def prepare_safe(path: Path, rel: str) -> Prepared:
        try:
            return prepare(path, rel)
        except Cancelled as exc:
            return Prepared(path, rel, error=exc)

    items = list(zip(videos, rels))
    if prefetch:
        fetcher = Prefetcher(items, prepare_safe)
        fetcher.start()
        source: Iterable[Prepared] = fetcher
    else:
        fetcher = None
        source = (prepare_safe(p, r) for p, r in items)

    if progress:
        progress("batch", 0, total)
    done = 0
    try:
        for item in source:
            check_cancel(cancel)
            if isinstance(item.error, Cancelled):
                raise item.error
            label = match_label(label_map, item.rel) if label_map else None
            athlete = athlete_of(item.rel, label, athlete_from_folder)
            if item.skip:
                n_skipped += 1
                row = store.rows[item.rel]
                changed = update_skipped(row, item.chash, label, store, make_report, athlete)
                feed.add_stored(store.result_path(row), row.athlete)
                if changed:
                    store.write(rels)
                if on_row is not None:
                    on_row(row, None)
            else:
                row, result = _score_one(
                    item, scorer, store, pack_id, pack_name, label, athlete, split, progress, cancel
                )
                if row.status == "ok":
                    n_scored += 1
                    if make_report is not None:
                        attach_report(row, result, store, make_report)
                else:
                    n_failed += 1
                store.put(row)
                if label_map:
                    store.metrics = label_metrics(present_rows(store, rels), score_range)
                store.write(rels)
                if result is not None and row.status == "ok":
                    feed.add(result, athlete, store.result_path(row))
                if on_row is not None:
                    on_row(row, result)
            done += 1
            if progress:
                progress("batch", done, total)
    except Cancelled:
        cancelled = True
    finally:
        stop.set()
        if fetcher is not None:
            fetcher.stop.set()
            fetcher.join(timeout=30)
        feed.close()
    if label_map:
        store.metrics = label_metrics(present_rows(store, rels), score_range)
    store.write(rels)
    rows = present_rows(store, rels)
    return BatchSummary(
        rows=rows,
        n_videos=total,
        n_scored=n_scored,
        n_skipped=n_skipped,
        n_failed=n_failed,
        cancelled=cancelled,
        seconds=time.perf_counter() - t0,
        out_csv=store.out_csv,
        out_json=store.out_json,
        metrics=store.metrics,
        folder=root,
        library_added=feed.added,
        library_error=feed.error,
    )


def _score_one(
    item: Prepared,
    scorer: Any,
    store: BatchStore,
    pack_id: str,
    pack_name: str,
    label: Label | None,
    athlete: str,
    split: bool,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> tuple[BatchRow, Any]:
    """Score one prepared video; any failure other than cancel becomes an error row."""
    start = time.perf_counter()
    row = new_row(item.rel, item.chash, pack_id, pack_name, label, athlete)
    result = None
    try:
        if item.error is not None:
            raise item.error
        kwargs: dict[str, Any] = {"progress": progress, "cancel": cancel}
        if label is not None and label.difficulty is not None:
            kwargs["difficulty"] = label.difficulty
        if label is not None and label.dive_code:
            kwargs["dive_code"] = label.dive_code
        if split:
            result = scorer.score_features(item.path, item.features, **kwargs)
        else:
            result = scorer.score(item.path, **kwargs)
        if athlete:
            result.athlete = athlete  # the stored result is the portable record the library is rebuilt from
        record_result(row, result, store)
    except Cancelled:
        raise
    except Exception as exc:
        row.status = "error"
        row.error = error_text(exc)
        log.info("batch: %s failed: %s", item.rel, row.error)
    row.seconds = item.seconds + (time.perf_counter() - start)
    return row, result


def scorer_pack_info(scorer: Any) -> tuple[str, str, tuple[float, float] | None]:
    """(pack id, pack name, score range) of a loaded scorer, for the resume key and the metrics."""
    pack = getattr(scorer, "pack", None)
    if pack is None:
        return f"scorer:{type(scorer).__name__}", "", None
    manifest = getattr(pack, "manifest", None)
    rng = getattr(manifest, "score_range", None)
    score_range = (float(rng[0]), float(rng[1])) if rng and len(rng) == 2 else None
    return pack_identity(pack), str(getattr(manifest, "name", "") or ""), score_range


def run_scorer_batch(
    folder: str | Path, scorer: Any, *, out_csv: str | Path | None = None, **kwargs: Any
) -> BatchSummary:
    """`run_batch` with the pack id, name and score range taken from a loaded `Scorer` (the GUI job calls this)."""
    pack_id, pack_name, score_range = scorer_pack_info(scorer)
    out = Path(out_csv) if out_csv else Path(folder) / "results.csv"
    kwargs.setdefault("score_range", score_range)
    return run_batch(folder, scorer, pack_id=pack_id, pack_name=pack_name, out_csv=out, **kwargs)


def score_folder(
    folder: str | Path,
    pack: str | None = None,
    *,
    device: str = "auto",
    out_csv: str | Path | None = None,
    level: float | None = None,
    **kwargs: Any,
) -> BatchSummary:
    """Resolve the pack, load it once into a `Scorer`, and run the batch (what `vatp batch` calls);
    ``level`` is the coverage of the calibrated intervals."""
    from ..pipeline import Scorer

    if not Path(folder).is_dir():
        raise VATPError(f"Batch folder not found: {folder}")
    return run_scorer_batch(folder, Scorer(pack, device=device, level=level), out_csv=out_csv, **kwargs)
