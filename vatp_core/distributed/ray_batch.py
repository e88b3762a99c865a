"""`vatp batch DIR --engine ray`: the folder's videos scored by Ray actors, every row written by this driver.

The driver lists and hashes the videos, skips those already scored with the same pack, and sends the rest
*by path* (the folder must be on storage every node sees at the same path) to long-lived actors, one per GPU
(or per CPU slot), each keeping its `Scorer` loaded. Results come back as ScoreResults and go through the same
`BatchStore` as the local engine — atomic rewrites after every row, error rows, resume — so a run killed at
any moment, driver or worker, loses nothing and the next run skips what is done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..batch import (
    BatchRow,
    BatchStore,
    BatchSummary,
    content_hash,
    find_videos,
    label_metrics,
    match_label,
    pack_identity,
    read_labels,
)
from ..batch.recording import (
    attach_report,
    describe_run,
    error_text,
    new_row,
    present_rows,
    record_result,
    update_skipped,
)
from ..batch.runner import Progress
from ..errors import VATPError
from .ray_pool import ACTOR_RESTARTS, run_on_actors
from .ray_runtime import RayOptions, ray_session, worker_count


@dataclass(frozen=True)
class ScorerFactory:
    """What an actor calls once to load its model: the pack (a path every node can read) on its device."""

    pack: str
    device: str = "auto"
    level: float | None = None  # of the calibrated interval (None: the default 0.9)

    def __call__(self) -> Any:
        from ..pipeline import Scorer

        return Scorer(self.pack, device=self.device, level=self.level)


class ScoringActor:
    """One Ray worker: a Scorer loaded once, scoring one video after another."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.scorer = factory()

    def ping(self) -> bool:
        return True

    def score(self, path: str, difficulty: float | None, dive_code: str = "") -> dict[str, Any]:
        """The ScoreResult, or the one-line reason the video could not be scored."""
        start = time.perf_counter()
        try:
            kwargs: dict[str, Any] = {"difficulty": difficulty} if difficulty is not None else {}
            if dive_code:
                kwargs["dive_code"] = dive_code
            result = self.scorer.score(path, **kwargs)
            return {"result": result, "seconds": time.perf_counter() - start}
        except Exception as exc:  # an error row, the worker goes on
            return {"error": error_text(exc), "seconds": time.perf_counter() - start}


def run_ray_batch(
    folder: str | Path,
    pack: str | None = None,
    *,
    options: RayOptions = RayOptions(),
    device: str = "auto",
    level: float | None = None,
    out_csv: str | Path | None = None,
    labels: str | Path | None = None,
    progress: Progress | None = None,
    on_row: Callable[[BatchRow, Any], None] | None = None,
    make_report: Callable[[BatchRow, Any], str | Path | None] | None = None,
    scorer_factory: Callable[[], Any] | None = None,
) -> BatchSummary:
    """Score every video under ``folder`` on Ray workers, resuming from ``out_csv`` (default DIR/results.csv).

    ``level`` is the coverage of the calibrated intervals, as in `score_folder`. ``scorer_factory`` (picklable,
    called once in each worker) replaces the Scorer of ``pack``; ``progress``,
    ``on_row`` and ``make_report`` are called here, as `run_batch` calls them.
    """
    from ..pack import resolve_pack

    t0 = time.perf_counter()
    root = Path(folder)
    if not root.is_dir():
        raise VATPError(f"Batch folder not found: {folder}")
    resolved = resolve_pack(pack)  # fails here, in one line, before any worker starts
    manifest = resolved.manifest
    pack_id, pack_name = pack_identity(resolved), str(manifest.name or "")
    rng = manifest.score_range
    score_range = (float(rng[0]), float(rng[1])) if rng and len(rng) == 2 else None
    factory = scorer_factory or ScorerFactory(str(Path(resolved.path).resolve()), device, level)

    store = BatchStore(Path(out_csv) if out_csv else root / "results.csv")
    videos = find_videos(root, exclude=[store.results_dir])
    rels = [p.relative_to(root).as_posix() for p in videos]
    label_map = read_labels(labels) if labels else {}
    describe_run(store, root, pack_name, pack_id, labels, engine="ray")
    total = len(videos)
    counts = {"scored": 0, "skipped": 0, "failed": 0, "done": 0}
    pending: dict[str, tuple[str, Any]] = {}  # rel → (content hash, label)
    items: list[tuple[str, tuple]] = []

    def finish(row: BatchRow, result: Any, *, new: bool = True) -> None:
        """Write a new row (``new``) and report the video as done."""
        if new:
            store.put(row)
            if label_map:
                store.metrics = label_metrics(present_rows(store, rels), score_range)
            store.write(rels)
        counts["done"] += 1
        if on_row is not None:
            on_row(row, result)
        if progress:
            progress("batch", counts["done"], total)

    if progress:
        progress("batch", 0, total)
    for path, rel in zip(videos, rels):
        label = match_label(label_map, rel) if label_map else None
        try:
            chash = content_hash(path)
        except OSError as exc:
            row = new_row(rel, "", pack_id, pack_name, label)
            row.error = error_text(exc)
            counts["failed"] += 1
            finish(row, None)
            continue
        if store.is_done(rel, chash, pack_id, path, label):
            counts["skipped"] += 1
            row = store.rows[rel]
            if update_skipped(row, chash, label, store, make_report):
                store.write(rels)
            finish(row, None, new=False)
            continue
        pending[rel] = (chash, label)
        difficulty = label.difficulty if label is not None else None
        items.append((rel, (str(path.resolve()), difficulty, label.dive_code if label is not None else "")))

    def on_done(rel: str, value: dict[str, Any] | None, died: str) -> None:
        chash, label = pending.pop(rel)
        row = new_row(rel, chash, pack_id, pack_name, label)
        result = value.get("result") if value else None
        if result is not None:
            try:
                record_result(row, result, store)
            except Exception as exc:  # e.g. the results folder became unwritable: an error row, not a crash
                row.status, row.error, result = "error", error_text(exc), None
        else:
            row.error = value["error"] if value else f"not scored: {died}"
        row.seconds = float(value.get("seconds", 0.0)) if value else None
        if row.status == "ok":
            counts["scored"] += 1
            if make_report is not None:
                attach_report(row, result, store, make_report)
        else:
            counts["failed"] += 1
        finish(row, result)

    if items:
        with ray_session(options) as ray:
            n_workers, gpus = worker_count(ray, options)
            actor_cls = ray.remote(
                num_cpus=options.cpus_per_worker, num_gpus=gpus, max_restarts=ACTOR_RESTARTS, max_task_retries=0
            )(ScoringActor)
            actors = [actor_cls.remote(factory) for _ in range(min(n_workers, len(items)))]
            try:
                run_on_actors(ray, actors, "score", items, on_done)
            finally:
                for actor in actors:
                    ray.kill(actor)
    if label_map:
        store.metrics = label_metrics(present_rows(store, rels), score_range)
    store.write(rels)
    return BatchSummary(
        rows=present_rows(store, rels),
        n_videos=total,
        n_scored=counts["scored"],
        n_skipped=counts["skipped"],
        n_failed=counts["failed"],
        cancelled=False,
        seconds=time.perf_counter() - t0,
        out_csv=store.out_csv,
        out_json=store.out_json,
        metrics=store.metrics,
        folder=root,
    )
