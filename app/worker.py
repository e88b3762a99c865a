"""The inference worker: one long-lived thread that owns the model and runs queued jobs one at a time.

The GUI never touches torch: it submits jobs to an `InferenceService` (lives in the GUI thread) which
hands them, one after the other, to an `InferenceWorker` living in its own `QThread`. Results come back
as plain data through queued signals. Cancel sets a flag the job polls between clips, so it takes
effect within a clip's time (well under a second with the bundled backbone).

Jobs:
- `ScoreJob(video, pack, device)` scores a video with a `vatp_core.pipeline.Scorer` kept loaded
  between jobs (one per pack and device; an evicted one is closed so its GPU memory is returned).
- `CallJob(fn)` runs ``fn(ctx)`` for anything else (the batch dialog, weight downloads); ``ctx`` gives
  ``progress``, ``cancel`` and ``scorer(pack, device)``, so a batch reuses the loaded model.

Each job carries its own outcome callbacks (``on_done(result)``, ``on_failed(job)``, ``on_cancelled(job)``),
as Anki's CollectionOp does: bound methods of QObjects living in the GUI thread, called there once the job
ends. A receiver deleted meanwhile is skipped. The service's signals stay for observers (progress bars).
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

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
    """A unit of work for the worker. ``status`` ends as done / failed / cancelled.

    The callbacks (optional) are bound methods of GUI-thread QObjects, called in the GUI thread:
    ``on_done(result)``, ``on_failed(job)`` (``job.error`` is the message, ``job.exception`` the error),
    ``on_cancelled(job)``.
    """

    id: int = field(default_factory=lambda: next(_job_ids))
    status: str = "queued"  # queued | running | done | failed | cancelled
    result: Any = None
    error: str = ""
    exception: BaseException | None = None
    uses_torch: bool = True  # run inside torch.inference_mode()
    on_done: Callable[[Any], None] | None = None
    on_failed: Callable[[Job], None] | None = None
    on_cancelled: Callable[[Job], None] | None = None

    def run(self, ctx: JobContext) -> Any:  # overridden
        raise TypeError(f"{type(self).__name__} does not define run()")

    @property
    def missing_weights(self) -> bool:
        """It failed because backbone weights are not installed (the app then offers to get them)."""
        return self.exception is not None and _missing_weights_error(self.exception)


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
    """True for MissingWeightsError (matched by name so this module never imports the features stack)."""
    return any(cls.__name__ == "MissingWeightsError" for cls in type(exc).__mro__)


def _close_scorer(scorer: Any) -> None:
    """Release a scorer's model (and its GPU memory); a scorer without ``close`` is simply dropped."""
    close = getattr(scorer, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:  # closing must never take the worker down
        log.warning("closing %r failed:\n%s", scorer, traceback.format_exc())


def _check_callback(name: str, fn: Any, thread: QThread) -> None:
    """Outcome callbacks are bound methods of QObjects in the GUI thread: they can be skipped once deleted."""
    if fn is None:
        return
    owner = getattr(fn, "__self__", None) if inspect.ismethod(fn) else None
    if not isinstance(owner, QObject):
        raise TypeError(f"{name} must be a bound method of a QObject (not {fn!r})")
    if owner.thread() is not thread:
        raise TypeError(f"{name}: {type(owner).__name__} does not live in the GUI thread")


class InferenceWorker(QObject):
    """Lives in the worker thread; runs one job per `run_job` call and reports through signals."""

    progress = Signal(str, int, int)
    finished = Signal(object)  # the job's result (a ScoreResult for ScoreJob)
    failed = Signal(str)  # a message for the user
    cancelled = Signal()
    missing_weights = Signal(object)  # the MissingWeightsError instance (has a user-facing message)
    job_ended = Signal(object)  # the Job, with status/result/error set, after one of the above

    PROGRESS_INTERVAL_S = 0.05
    MAX_SCORERS = 2

    def __init__(self, scorer_factory: ScorerFactory | None = None) -> None:
        super().__init__()
        self._factory = scorer_factory or default_scorer_factory
        self._scorers: dict[tuple[str | None, str], Any] = {}
        self.cancel_event = threading.Event()
        self._last_progress = 0.0
        self._last_stage = ""

    # --- helpers used from the job (worker thread) -------------------------------------------
    def scorer(self, pack: str | None, device: str) -> Any:
        """A loaded scorer for (pack, device); kept between jobs, at most two at once (the oldest is closed)."""
        key = (pack or None, device)
        if key not in self._scorers:
            while len(self._scorers) >= self.MAX_SCORERS:
                _close_scorer(self._scorers.pop(next(iter(self._scorers))))
            self._scorers[key] = self._factory(pack or None, device)
        return self._scorers[key]

    def forget_scorers(self, ctx: JobContext | None = None) -> None:
        """Close and drop every loaded scorer (run in the worker thread, or after it stopped)."""
        scorers, self._scorers = list(self._scorers.values()), {}
        for scorer in scorers:
            _close_scorer(scorer)

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
            job.exception = exc
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
        """Queue a job; it runs after the ones before it. Its callbacks must be GUI-thread QObject methods."""
        for name in ("on_done", "on_failed", "on_cancelled"):
            _check_callback(name, getattr(job, name), self.thread())
        self._queue.append(job)
        self._next()
        return job

    def score(
        self,
        video: str | Path,
        pack: str | None = None,
        device: str = "auto",
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Job], None] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
    ) -> ScoreJob:
        job = ScoreJob(
            video=str(video), pack=pack, device=device, on_done=on_done, on_failed=on_failed, on_cancelled=on_cancelled
        )
        return self.submit(job)  # type: ignore[return-value]

    def call(
        self,
        fn: Callable[[JobContext], Any],
        uses_torch: bool = True,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Job], None] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
    ) -> CallJob:
        job = CallJob(fn=fn, uses_torch=uses_torch, on_done=on_done, on_failed=on_failed, on_cancelled=on_cancelled)
        return self.submit(job)  # type: ignore[return-value]

    def cancel(self, job: Job | None = None) -> None:
        """Cancel the running job (or the given one); a queued job is simply dropped."""
        if job is not None and job in self._queue:
            self._queue.remove(job)
            job.status = "cancelled"
            self.job_ended.emit(job)
            _deliver(job)
            return
        if self.current is not None and (job is None or job is self.current):
            self.worker.cancel_event.set()

    def cancel_all(self) -> None:
        for job in list(self._queue):
            self.cancel(job)
        self.cancel()

    def forget_scorers_later(self) -> Job:
        """Drop the loaded scorers (in the worker thread, after queued jobs): e.g. after new weights arrive."""
        return self.call(self.worker.forget_scorers, uses_torch=False)

    @property
    def busy(self) -> bool:
        return self.current is not None

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything, stop the thread and close the loaded scorers (call when the window closes)."""
        self.cancel_all()
        if stop_thread(self._thread, timeout_ms):
            self.worker.forget_scorers()  # the thread is joined: nothing else touches them now

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
        _deliver(job)
        if not self._queue:
            self.busy_changed.emit(False)
        self._next()


def _deliver(job: Job) -> None:
    """Call the job's outcome callback (GUI thread); one whose QObject was deleted meanwhile is skipped."""
    fn: Callable[..., None] | None
    if job.status == "done":
        fn, arg = job.on_done, job.result
    elif job.status == "failed":
        fn, arg = job.on_failed, job
    elif job.status == "cancelled":
        fn, arg = job.on_cancelled, job
    else:
        return
    if fn is None:
        return
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return
    fn(arg)
