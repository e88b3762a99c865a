"""The inference worker: one long-lived thread that owns the model and runs queued jobs one at a time.

The GUI never touches torch: it submits jobs to an `InferenceService` (lives in the GUI thread) which
hands them, one after the other, to an `InferenceWorker` living in its own `QThread`. Results come back
as plain data through queued signals. Cancel sets a flag the job polls between clips, so it takes
effect within a clip's time (well under a second with the bundled backbone).

Jobs:
- `ScoreJob(video, pack, device)` scores a video with a `vatp_core.pipeline.Scorer` kept loaded
  between jobs (one per pack and device).
- `CallJob(fn)` runs ``fn(ctx)`` for anything else (H's batch dialog, weight downloads); ``ctx`` gives
  ``progress``, ``cancel`` and ``scorer(pack, device)``, so a batch reuses the loaded model.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from vatp_core.errors import Cancelled, VATPError

from .threads import start_thread, stop_thread

log = logging.getLogger(__name__)

_job_ids = itertools.count(1)

#: Builds a scorer for (pack name or path or None, device); runs in the worker thread.
ScorerFactory = Callable[[str | None, str], Any]


def default_scorer_factory(pack: str | None, device: str) -> Any:
    """A real `Scorer` for the pack (None → settings' default → demo pack); imports torch lazily."""
    from vatp_core.pack import resolve_pack
    from vatp_core.pipeline import Scorer

    return Scorer(resolve_pack(pack), device=device)


@dataclass
class JobContext:
    """What a running job may use: progress and cancel callbacks and the worker's loaded scorers."""

    progress: Callable[[str, int, int], None]
    cancel: Callable[[], bool]
    scorer: Callable[[str | None, str], Any]


@dataclass(eq=False)
class Job:
    """A unit of work for the worker. ``status`` ends as done / failed / cancelled."""

    tag: str = ""
    id: int = field(default_factory=lambda: next(_job_ids))
    status: str = "queued"  # queued | running | done | failed | cancelled
    result: Any = None
    error: str = ""
    uses_torch: bool = True  # run inside torch.inference_mode()

    def run(self, ctx: JobContext) -> Any:  # overridden
        raise TypeError(f"{type(self).__name__} does not define run()")


@dataclass(eq=False)
class ScoreJob(Job):
    """Score one video with a model pack on a device."""

    video: str | Path = ""
    pack: str | None = None
    device: str = "auto"
    difficulty: float | None = None

    def run(self, ctx: JobContext) -> Any:
        scorer = ctx.scorer(self.pack, self.device)
        return scorer.score(Path(self.video), progress=ctx.progress, cancel=ctx.cancel, difficulty=self.difficulty)


@dataclass(eq=False)
class CallJob(Job):
    """Run ``fn(ctx)`` in the worker thread; its return value is the job's result."""

    fn: Callable[[JobContext], Any] | None = None

    def run(self, ctx: JobContext) -> Any:
        if self.fn is None:
            raise TypeError("CallJob needs a function")
        return self.fn(ctx)


def _missing_weights_error(exc: BaseException) -> bool:
    """True for C's MissingWeightsError (matched by name so this module never imports the features stack)."""
    return any(cls.__name__ == "MissingWeightsError" for cls in type(exc).__mro__)


class InferenceWorker(QObject):
    """Lives in the worker thread; runs one job per `run_job` call and reports through signals."""

    progress = Signal(str, int, int)
    finished = Signal(object)  # the job's result (a ScoreResult for ScoreJob)
    failed = Signal(str)  # a message for the user
    cancelled = Signal()
    missing_weights = Signal(object)  # the MissingWeightsError instance (has a user-facing message)
    job_ended = Signal(object)  # the Job, with status/result/error set, after one of the above

    PROGRESS_INTERVAL_S = 0.05

    def __init__(self, scorer_factory: ScorerFactory | None = None) -> None:
        super().__init__()
        self._factory = scorer_factory or default_scorer_factory
        self._scorers: dict[tuple[str | None, str], Any] = {}
        self.cancel_event = threading.Event()
        self._last_progress = 0.0
        self._last_stage = ""

    # --- helpers used from the job (worker thread) -------------------------------------------
    def scorer(self, pack: str | None, device: str) -> Any:
        """A loaded scorer for (pack, device); kept between jobs, at most two at once."""
        key = (pack or None, device)
        if key not in self._scorers:
            while len(self._scorers) >= 2:
                self._scorers.pop(next(iter(self._scorers)))
            self._scorers[key] = self._factory(pack or None, device)
        return self._scorers[key]

    def forget_scorers(self) -> None:
        self._scorers.clear()

    def _report(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self._last_stage or done >= total or now - self._last_progress >= self.PROGRESS_INTERVAL_S:
            self._last_progress, self._last_stage = now, stage
            self.progress.emit(stage, int(done), int(total))

    def _cancel_requested(self) -> bool:
        return self.cancel_event.is_set()

    # --- the job loop ------------------------------------------------------------------------
    @Slot(object)
    def run_job(self, job: Job) -> None:
        job.status = "running"
        self._last_stage = ""
        ctx = JobContext(progress=self._report, cancel=self._cancel_requested, scorer=self.scorer)
        try:
            if self.cancel_event.is_set():
                raise Cancelled()
            if job.uses_torch:
                import torch  # lazily: the window is up long before this runs

                with torch.inference_mode():
                    job.result = job.run(ctx)
            else:
                job.result = job.run(ctx)
        except Cancelled:
            job.status = "cancelled"
            self.cancelled.emit()
        except Exception as exc:  # every failure becomes a message; the worker lives on
            job.status = "failed"
            if isinstance(exc, (VATPError, OSError, ValueError)):
                job.error = str(exc) or type(exc).__name__
            else:
                log.error("job %s failed:\n%s", job.id, traceback.format_exc())
                job.error = f"Unexpected error: {type(exc).__name__}: {exc}"
            if _missing_weights_error(exc):
                self.missing_weights.emit(exc)
            self.failed.emit(job.error)
        else:
            job.status = "done"
            self.finished.emit(job.result)
        self.job_ended.emit(job)


class InferenceService(QObject):
    """GUI-thread front of the worker: a job queue, cancel, and the worker's signals re-emitted here.

    Connect to these signals from GUI objects (with @Slot methods); they are delivered in the GUI thread.
    """

    progress = Signal(str, int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    missing_weights = Signal(object)
    job_started = Signal(object)  # the Job about to run
    job_ended = Signal(object)  # the Job, finished in any way
    busy_changed = Signal(bool)

    _dispatch = Signal(object)

    def __init__(self, scorer_factory: ScorerFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[Job] = deque()
        self.current: Job | None = None
        self.worker = InferenceWorker(scorer_factory)
        self._thread = start_thread("vatp-inference", owner=self, cancel=self.worker.cancel_event)
        self.worker.moveToThread(self._thread)
        self._dispatch.connect(self.worker.run_job)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.missing_weights.connect(self._on_missing_weights)
        self.worker.job_ended.connect(self._on_job_ended)

    # --- public API --------------------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        """Queue a job; it runs after the ones before it."""
        self._queue.append(job)
        self._next()
        return job

    def score(self, video: str | Path, pack: str | None = None, device: str = "auto", tag: str = "score") -> ScoreJob:
        return self.submit(ScoreJob(tag=tag, video=str(video), pack=pack, device=device))  # type: ignore[return-value]

    def call(self, fn: Callable[[JobContext], Any], tag: str = "call", uses_torch: bool = True) -> CallJob:
        return self.submit(CallJob(tag=tag, fn=fn, uses_torch=uses_torch))  # type: ignore[return-value]

    def cancel(self, job: Job | None = None) -> None:
        """Cancel the running job (or the given one); a queued job is simply dropped."""
        if job is not None and job in self._queue:
            self._queue.remove(job)
            job.status = "cancelled"
            self.job_ended.emit(job)
            return
        if self.current is not None and (job is None or job is self.current):
            self.worker.cancel_event.set()

    def cancel_all(self) -> None:
        for job in list(self._queue):
            self.cancel(job)
        self.cancel()

    def forget_scorers_later(self) -> Job:
        """Drop the loaded scorers (in the worker thread, after queued jobs): e.g. after new weights arrive."""
        worker = self.worker
        return self.call(lambda ctx: worker.forget_scorers(), tag="forget-scorers", uses_torch=False)

    @property
    def busy(self) -> bool:
        return self.current is not None

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything and stop the thread (call when the window closes)."""
        self.cancel_all()
        stop_thread(self._thread, timeout_ms)

    # --- internals (GUI thread) --------------------------------------------------------------
    def _next(self) -> None:
        if self.current is not None or not self._queue:
            return
        self.current = self._queue.popleft()
        self.worker.cancel_event.clear()
        self.job_started.emit(self.current)
        self.busy_changed.emit(True)
        self._dispatch.emit(self.current)

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.emit(stage, done, total)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self.finished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    @Slot(object)
    def _on_missing_weights(self, exc: object) -> None:
        self.missing_weights.emit(exc)

    @Slot(object)
    def _on_job_ended(self, job: Job) -> None:
        self.current = None
        self.job_ended.emit(job)
        if not self._queue:
            self.busy_changed.emit(False)
        self._next()
