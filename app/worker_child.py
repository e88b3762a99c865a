"""The model side of the inference worker, free of Qt: what runs where torch lives.

Used three ways: by the worker process (`child_main`, started with multiprocessing's *spawn* method by
`app.worker_link`), by the in-process thread worker (`app.worker`: the scorer cache, the error wording, the
progress throttle) and by `vatp-studio --headless` (`score_once`). It never imports PySide6, so a spawned
worker process loads torch and the model without Qt; torch itself is imported only when a job needs it.
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from vatp_core.errors import Cancelled, VATPError
from vatp_core.result import ScoreResult

log = logging.getLogger(__name__)

#: Builds a scorer for (pack name or path or None, device).
ScorerFactory = Callable[[str | None, str], Any]

PROGRESS_INTERVAL_S = 0.05


def default_scorer_factory(pack: str | None, device: str) -> Any:
    """A real `Scorer` for the pack (None → settings' default → demo pack); imports torch lazily."""
    from vatp_core.pack import resolve_pack
    from vatp_core.pipeline import Scorer

    return Scorer(resolve_pack(pack), device=device)


def load_factory(spec: str | None) -> ScorerFactory:
    """The scorer factory named ``"package.module:name"`` (None: the real one); a spawned process can't take a closure."""
    if not spec:
        return default_scorer_factory
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(f"A scorer factory is named 'module:attribute', not {spec!r}.")
    return getattr(importlib.import_module(module), name)


def _nowhere(data: Any) -> None:
    """Where a job's posts go when nobody listens."""


@dataclass
class JobContext:
    """What a running job may use: progress and cancel callbacks, the worker's loaded scorers, and ``post``,
    which hands plain data (e.g. a batch's rows) to the job's ``on_post`` in the GUI thread while it runs."""

    progress: Callable[[str, int, int], None]
    cancel: Callable[[], bool]
    scorer: Callable[[str | None, str], Any]
    post: Callable[[Any], None] = _nowhere


def close_scorer(scorer: Any) -> None:
    """Release a scorer's model (and its GPU memory); a scorer without ``close`` is simply dropped."""
    close = getattr(scorer, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:  # closing must never take the worker down
        log.warning("closing %r failed:\n%s", scorer, traceback.format_exc())


class ScorerCache:
    """Loaded scorers kept between jobs, one per (pack, device), at most ``limit`` (the oldest is closed)."""

    def __init__(self, factory: ScorerFactory, limit: int = 2) -> None:
        self.factory, self.limit = factory, limit
        self._scorers: dict[tuple[str | None, str], Any] = {}

    def get(self, pack: str | None, device: str) -> Any:
        key = (pack or None, device)
        if key not in self._scorers:
            while len(self._scorers) >= self.limit:
                close_scorer(self._scorers.pop(next(iter(self._scorers))))
            self._scorers[key] = self.factory(pack or None, device)
        return self._scorers[key]

    def loaded(self, pack: str | None, device: str) -> bool:
        return (pack or None, device) in self._scorers

    def close_all(self) -> None:
        scorers, self._scorers = list(self._scorers.values()), {}
        for scorer in scorers:
            close_scorer(scorer)


class ProgressThrottle:
    """Passes on a stage's first and last report and at most one every 50 ms between (the GUI repaints no faster)."""

    def __init__(self, emit: Callable[[str, int, int], None]) -> None:
        self.emit = emit
        self.last_time, self.last_stage = 0.0, ""

    def reset(self) -> None:
        self.last_stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.last_stage or done >= total or now - self.last_time >= PROGRESS_INTERVAL_S:
            self.last_time, self.last_stage = now, stage
            self.emit(stage, int(done), int(total))


def is_missing_weights(exc: BaseException) -> bool:
    """True for MissingWeightsError, also when it came from the worker process (matched by class name)."""
    names = getattr(exc, "class_names", None) or [cls.__name__ for cls in type(exc).__mro__]
    return "MissingWeightsError" in names


def error_message(exc: BaseException) -> str:
    """The one line a user sees for a failed job; an unexpected error is also logged with its traceback."""
    if isinstance(exc, (VATPError, OSError, ValueError)):
        return str(exc) or type(exc).__name__
    log.error("job failed:\n%s", "".join(traceback.format_exception(exc)))
    return f"Unexpected error: {type(exc).__name__}: {exc}"


def run_job_body(fn: Callable[[], Any], uses_torch: bool) -> Any:
    """Run ``fn()``, inside ``torch.inference_mode()`` when the job uses torch (imported only then)."""
    if not uses_torch:
        return fn()
    import torch

    with torch.inference_mode():
        return fn()


def score_once(video: str | Path, pack: str | None, device: str, progress: Callable[[str, int, int], None]) -> Any:
    """Load the pack and score one video in this process (`vatp-studio --headless`)."""
    return run_job_body(lambda: default_scorer_factory(pack, device).score(Path(video), progress=progress), True)


def describe_device(ctx: JobContext) -> str:
    """Which device will score, in words for the status bar (imports torch: run it in the worker)."""
    from vatp_core.sysinfo import torch_device_summary

    _, device = torch_device_summary()
    if device.startswith("CUDA"):
        return f"GPU: {device.split(':', 1)[1].strip()}"
    return "No GPU found — scoring on the CPU (slower)"


# --- the worker process ------------------------------------------------------------------------------


def _plain_attrs(exc: BaseException) -> dict[str, Any]:
    """The exception's simple attributes (e.g. MissingWeightsError.filename), safe to send to the GUI."""
    out: dict[str, Any] = {}
    for key, value in vars(exc).items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, Path):
            out[key] = str(value)
    return out


def _run_remote(payload: tuple, ctx: JobContext, scorers: ScorerCache) -> Any:
    kind = payload[0]
    if kind == "score":
        _, video, pack, device, difficulty = payload
        result = ctx.scorer(pack, device).score(
            Path(video), progress=ctx.progress, cancel=ctx.cancel, difficulty=difficulty
        )
        # plain data over the pipe: the GUI rebuilds it with ScoreResult.from_dict
        return ("score", result.to_dict()) if isinstance(result, ScoreResult) else ("raw", result)
    if kind == "call":
        return ("raw", payload[1](ctx))
    raise ValueError(f"unknown job kind {kind!r}")


def child_main(conn: Any, cancel_event: Any, factory_spec: str | None) -> None:
    """The worker process's loop: one job at a time from ``conn``; progress and the outcome go back on it.

    Messages in: ("job", id, payload, uses_torch), ("forget",), ("stop",). Out: ("progress", id, stage, done,
    total), ("post", id, data), ("done", id, kind, value), ("failed", id, message, class names, attributes),
    ("cancelled", id).
    """
    factory = load_factory(factory_spec)
    scorers = ScorerCache(factory)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the GUI went away
            break
        if message[0] == "stop":
            break
        if message[0] == "forget":
            scorers.close_all()
            continue
        _, job_id, payload, uses_torch = message
        throttle = ProgressThrottle(lambda s, d, t, job_id=job_id: conn.send(("progress", job_id, s, d, t)))
        ctx = JobContext(
            progress=throttle,
            cancel=cancel_event.is_set,
            scorer=scorers.get,
            post=lambda data, job_id=job_id: conn.send(("post", job_id, data)),
        )
        try:
            if cancel_event.is_set():
                raise Cancelled()
            if payload[0] == "score" and not scorers.loaded(payload[2], payload[3]):
                throttle("load", 0, 0)  # importing torch and loading the pack: it cannot poll Cancel
            kind, value = run_job_body(lambda: _run_remote(payload, ctx, scorers), uses_torch)
        except Cancelled:
            reply: tuple = ("cancelled", job_id)
        except Exception as exc:  # every failure becomes a message; the process lives on
            names = [cls.__name__ for cls in type(exc).__mro__]
            reply = ("failed", job_id, error_message(exc), names, _plain_attrs(exc))
        else:
            reply = ("done", job_id, kind, value)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            break
        except Exception as exc:  # a result that cannot be pickled
            conn.send(("failed", job_id, f"Unexpected error: the result could not be sent: {exc}", [], {}))
    scorers.close_all()
