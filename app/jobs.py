"""What the inference worker runs: a `Job` (with its outcome callbacks) and the two kinds the app submits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .worker_child import JobContext, is_missing_weights

_job_ids = itertools.count(1)


@dataclass(eq=False)
class Job:
    """A unit of work for the worker. ``status`` ends as done / failed / cancelled.

    The callbacks (optional) are bound methods of GUI-thread QObjects, called in the GUI thread:
    ``on_done(result)``, ``on_failed(job)`` (``job.error`` is the message, ``job.exception`` the error),
    ``on_cancelled(job)``, ``on_post(data)`` for each ``ctx.post(data)`` of the running job.
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
    on_post: Callable[[Any], None] | None = None  # what the job posts while it runs (``ctx.post(data)``)

    def run(self, ctx: JobContext) -> Any:  # overridden
        raise TypeError(f"{type(self).__name__} does not define run()")

    def remote_payload(self) -> tuple | None:
        """What the worker process needs to run this job (plain, picklable); None: it runs in the thread."""
        return None

    @property
    def missing_weights(self) -> bool:
        """It failed because backbone weights are not installed (the app then offers to get them)."""
        return self.exception is not None and is_missing_weights(self.exception)


@dataclass(eq=False)
class ScoreJob(Job):
    """Score one video with a model pack on a device."""

    video: str | Path = ""
    pack: str | None = None
    device: str = "auto"
    difficulty: float | None = None
    dive_code: str | None = None  # what a fused pack reads (the announced dive)

    def run(self, ctx: JobContext) -> Any:
        scorer = ctx.scorer(self.pack, self.device)
        extra = {"dive_code": self.dive_code} if self.dive_code else {}  # only a fused pack needs one
        return scorer.score(
            Path(self.video), progress=ctx.progress, cancel=ctx.cancel, difficulty=self.difficulty, **extra
        )

    def remote_payload(self) -> tuple | None:
        return ("score", str(self.video), self.pack, self.device, self.difficulty, self.dive_code)


@dataclass(eq=False)
class CallJob(Job):
    """Run ``fn(ctx)`` in the worker thread (or, with ``process``, the worker process); its return value is the result."""

    fn: Callable[[JobContext], Any] | None = None
    process: bool = False

    def run(self, ctx: JobContext) -> Any:
        if self.fn is None:
            raise TypeError("CallJob needs a function")
        return self.fn(ctx)

    def remote_payload(self) -> tuple | None:
        return ("call", self.fn) if self.process and self.fn is not None else None
