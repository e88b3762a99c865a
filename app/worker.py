"""The inference worker: jobs run one at a time, away from the GUI thread, in a worker process by default.

The GUI never touches torch: it submits jobs to an `InferenceService` (lives in the GUI thread). Score jobs
(and calls marked ``process=True``) go to a worker process (`app.worker_link` starts it with the spawn method;
`app.worker_child` is its Qt-free side); other calls, and every job when a scorer factory *callable* is
injected (tests), run in an `InferenceWorker` living in its own `QThread`. Results come back as plain data.
Cancel sets a flag the job polls between clips. In the process, Cancel also ends the job in the GUI at once;
a process that has not stopped it 0.4 s later (a model load cannot poll) is killed, and what it was still
producing is discarded, so Cancel takes effect at once at every stage. (The thread waits for the next poll.)

Why a process, measured with benchmarks/gui.py (demo video and pack, CPU) on the shared 2-core container
(no GPU; load average ~20 from other work, idle-window noise floor 92 ms): longest event-loop gap over the
first 10 s after launch 1682 ms with the thread (the device check imports torch, holding the interpreter
lock) against 39 ms with the process; from the first Score press to the result 5572 ms against 100 ms;
Cancel during the model load gave control back after 22.4 s with the thread (the load must finish first)
against < 1 ms with the process (features: 36 ms against < 1 ms). A crashed or killed process fails only
its job; the next job restarts it. So the process is the default.

Jobs:
- `ScoreJob(video, pack, device)` scores a video with a `vatp_core.pipeline.Scorer` kept loaded
  between jobs (one per pack and device; an evicted one is closed so its GPU memory is returned).
- `CallJob(fn)` runs ``fn(ctx)`` for anything else (the batch dialog, weight downloads); ``ctx`` gives
  ``progress``, ``cancel`` and ``scorer(pack, device)``, so a batch reuses the loaded model. With
  ``process=True`` ``fn`` must be a module-level function of a Qt-free module (it is sent by name).

Each job carries its own outcome callbacks (``on_done(result)``, ``on_failed(job)``, ``on_cancelled(job)``),
as Anki's CollectionOp does: bound methods of QObjects living in the GUI thread, called there once the job
ends. A receiver deleted meanwhile is skipped. The service's signals stay for observers (progress bars).
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from vatp_core.errors import Cancelled

from .jobs import CallJob, Job, ScoreJob
from .threads import start_thread, stop_thread
from .worker_child import (
    JobContext,
    ProgressThrottle,
    ScorerCache,
    ScorerFactory,
    default_scorer_factory,
    error_message,
    run_job_body,
)
from .worker_link import ProcessLink

__all__ = [
    "CallJob",
    "InferenceService",
    "InferenceWorker",
    "Job",
    "JobContext",
    "ScoreJob",
    "ScorerFactory",
    "default_scorer_factory",
    "default_mode",
]

log = logging.getLogger(__name__)


def default_mode() -> str:
    """Where jobs run unless told: "process" (measured best, see above); VATP_WORKER=thread overrides."""
    mode = os.environ.get("VATP_WORKER", "process").strip().lower()
    return mode if mode in ("process", "thread") else "process"


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
    posted = Signal(object, object)  # the Job, what it posted
    job_ended = Signal(object)  # the Job, with status/result/error set

    MAX_SCORERS = 2

    def __init__(self, scorer_factory: ScorerFactory | None = None) -> None:
        super().__init__()
        self._scorers = ScorerCache(scorer_factory or default_scorer_factory, self.MAX_SCORERS)
        self.cancel_event = threading.Event()
        self._report = ProgressThrottle(self.progress.emit)

    def scorer(self, pack: str | None, device: str) -> Any:
        """A loaded scorer for (pack, device); kept between jobs, at most two at once (the oldest is closed)."""
        return self._scorers.get(pack, device)

    def forget_scorers(self, ctx: JobContext | None = None) -> None:
        """Close and drop every loaded scorer (run in the worker thread, or after it stopped)."""
        self._scorers.close_all()

    def _cancel_requested(self) -> bool:
        return self.cancel_event.is_set()

    @Slot(object)
    def run_job(self, job: Job) -> None:
        job.status = "running"
        self._report.reset()
        ctx = JobContext(
            progress=self._report,
            cancel=self._cancel_requested,
            scorer=self.scorer,
            post=lambda data: self.posted.emit(job, data),
        )
        try:
            if self.cancel_event.is_set():
                raise Cancelled()
            job.result = run_job_body(lambda: job.run(ctx), job.uses_torch)
        except Cancelled:
            job.status = "cancelled"
        except Exception as exc:  # every failure becomes a message; the worker lives on
            job.status = "failed"
            job.exception = exc
            job.error = error_message(exc)
        else:
            job.status = "done"
        self.job_ended.emit(job)


class InferenceService(QObject):
    """GUI-thread front of the worker: a job queue, cancel, and what the jobs report as signals here.

    ``scorer_factory``: None (the real scorer), a ``"module:name"`` string (a factory the worker process
    imports) or a callable (runs every job in the thread). ``mode`` "process" or "thread" (default:
    `default_mode`). Connect to these signals from GUI objects; they are delivered in the GUI thread.
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

    def __init__(
        self,
        scorer_factory: ScorerFactory | str | None = None,
        parent: QObject | None = None,
        mode: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue: deque[Job] = deque()
        self.current: Job | None = None
        spec = scorer_factory if isinstance(scorer_factory, str) or scorer_factory is None else None
        self.mode = mode or ("thread" if callable(scorer_factory) else default_mode())
        if self.mode == "process" and callable(scorer_factory):
            raise TypeError("the worker process needs its scorer factory as a 'module:name' string")
        if self.mode == "thread" and isinstance(scorer_factory, str):
            from .worker_child import load_factory

            scorer_factory = load_factory(scorer_factory)
        self.worker = InferenceWorker(scorer_factory if callable(scorer_factory) else None)
        self._thread = start_thread("vatp-inference", owner=self, cancel=self.worker.cancel_event)
        self.worker.moveToThread(self._thread)
        self._dispatch.connect(self.worker.run_job)
        self.worker.progress.connect(self._on_progress)
        self.worker.posted.connect(self._on_posted)
        self.worker.job_ended.connect(self._on_job_ended)
        self.link: ProcessLink | None = None
        if self.mode == "process":
            self.link = ProcessLink(spec, parent=self)
            self.link.progress.connect(self._on_progress)
            self.link.posted.connect(self._on_posted)
            self.link.job_ended.connect(self._on_job_ended)
            self.link.start()  # it imports torch only at its first job, off the GUI's interpreter

    # --- public API --------------------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        """Queue a job; it runs after the ones before it. Its callbacks must be GUI-thread QObject methods."""
        for name in ("on_done", "on_failed", "on_cancelled", "on_post"):
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
        dive_code: str | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Job], None] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
    ) -> ScoreJob:
        job = ScoreJob(
            video=str(video),
            pack=pack,
            device=device,
            dive_code=dive_code,
            on_done=on_done,
            on_failed=on_failed,
            on_cancelled=on_cancelled,
        )
        return self.submit(job)  # type: ignore[return-value]

    def call(
        self,
        fn: Callable[[JobContext], Any],
        uses_torch: bool = True,
        *,
        process: bool = False,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Job], None] | None = None,
        on_cancelled: Callable[[Job], None] | None = None,
        on_post: Callable[[Any], None] | None = None,
    ) -> CallJob:
        """Run ``fn(ctx)``; ``process``: in the worker process (``fn`` a module-level function of a Qt-free module,
        or a functools.partial of one with picklable arguments)."""
        job = CallJob(
            fn=fn,
            uses_torch=uses_torch,
            process=process,
            on_done=on_done,
            on_failed=on_failed,
            on_cancelled=on_cancelled,
            on_post=on_post,
        )
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
            if self.link is not None and self.link.job is self.current:
                self.link.cancel()
            else:
                self.worker.cancel_event.set()

    def cancel_all(self) -> None:
        for job in list(self._queue):
            self.cancel(job)
        self.cancel()

    def forget_scorers_later(self) -> Job:
        """Drop the loaded scorers (after queued jobs): e.g. after new weights arrive."""
        if self.link is not None:
            self.link.forget_scorers()
        return self.call(self.worker.forget_scorers, uses_torch=False)

    @property
    def busy(self) -> bool:
        return self.current is not None

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything, stop the thread and the process, close the loaded scorers (when the window closes)."""
        self.cancel_all()
        if self.link is not None:
            self.link.shutdown()
        if stop_thread(self._thread, timeout_ms):
            self.worker.forget_scorers()  # the thread is joined: nothing else touches them now

    # --- internals (GUI thread) --------------------------------------------------------------
    def _next(self) -> None:
        if self.current is not None or not self._queue:
            return
        job = self.current = self._queue.popleft()
        self.worker.cancel_event.clear()
        self.job_started.emit(job)
        self.busy_changed.emit(True)
        payload = job.remote_payload() if self.link is not None else None
        if payload is not None and self.link is not None:
            self.link.run(job, payload)
        else:
            self._dispatch.emit(job)

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.emit(stage, done, total)

    @Slot(object, object)
    def _on_posted(self, job: Job, data: Any) -> None:
        # posts and the job's end arrive in order, so a post of the current job is never late (its status may
        # already say done in the thread worker, which sets it before the end is delivered here)
        if job is self.current and job.on_post is not None:
            _call_if_alive(job.on_post, data)

    @Slot(object)
    def _on_job_ended(self, job: Job) -> None:
        if job is not self.current:
            return
        self.current = None
        if job.status == "done":
            self.finished.emit(job.result)
        elif job.status == "cancelled":
            self.cancelled.emit()
        elif job.status == "failed":
            if job.missing_weights:
                self.missing_weights.emit(job.exception)
            self.failed.emit(job.error)
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
    if fn is not None:
        _call_if_alive(fn, arg)


def _call_if_alive(fn: Callable[[Any], None], arg: Any) -> None:
    """``fn(arg)`` unless fn's QObject was deleted meanwhile."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return
    fn(arg)
