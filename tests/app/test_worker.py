"""The inference worker with a fake slow model: the GUI keeps responding, Cancel is quick, jobs queue."""

from __future__ import annotations

import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer

from app.worker import CallJob, InferenceService
from vatp_core.errors import VATPError, check_cancel


class SlowFakeScorer:
    """Stands in for vatp_core.pipeline.Scorer: 40 'clips' of 50 ms, polling cancel between clips."""

    def __init__(self, pack, device):
        self.pack, self.device = pack, device
        self.thread = None

    def score(self, video, *, progress=None, cancel=None, difficulty=None):
        self.thread = threading.current_thread()
        n = 40
        for i in range(n):
            check_cancel(cancel)
            time.sleep(0.05)
            progress("features", i + 1, n)
        return {"video": str(video), "pack": self.pack, "device": self.device}


@pytest.fixture
def service(qtbot):
    made = []

    def factory(pack, device):
        made.append((pack, device))
        return SlowFakeScorer(pack, device)

    svc = InferenceService(scorer_factory=factory)
    svc.made = made
    yield svc
    svc.shutdown()


def test_event_loop_keeps_ticking_and_cancel_takes_effect(qtbot, service):
    """What is deterministic; the longest event-loop gap and the cancel latency are figures of benchmarks/gui.py."""
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))  # test-only counter
    timer.start()
    progress = []
    service.progress.connect(lambda s, d, t: progress.append((s, d, t)))
    job = service.score("routine.mp4", pack="demo", device="cpu")
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=60_000)
    n_before = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= n_before + 3, timeout=10_000)  # the GUI thread's timer still fires
    assert job.status == "running"
    with qtbot.waitSignal(service.cancelled, timeout=10_000):
        service.cancel()
    qtbot.waitUntil(lambda: not service.busy, timeout=5000)
    assert job.status == "cancelled" and len(progress) < 40  # it stopped before the last clip
    timer.stop()


def test_score_job_result_comes_back_in_gui_thread(qtbot, service):
    got = []
    service.finished.connect(lambda r: got.append((r, QThread.currentThread())))
    with qtbot.waitSignal(service.job_ended, timeout=10000):
        job = service.score("a.mp4", pack="p1", device="cpu")
    assert job.status == "done"
    assert got[0][0] == {"video": "a.mp4", "pack": "p1", "device": "cpu"}
    assert got[0][1] is QThread.currentThread()  # delivered in the GUI thread
    assert service.made == [("p1", "cpu")]


class Receiver(QObject):
    """A GUI-thread object whose bound methods are a job's outcome callbacks."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def done(self, result):
        self.calls.append(("done", result, QThread.currentThread()))

    def failed(self, job):
        self.calls.append(("failed", job.error, QThread.currentThread()))

    def cancelled(self, job):
        self.calls.append(("cancelled", job.id, QThread.currentThread()))


def test_scorer_is_kept_between_jobs_and_jobs_queue_in_order(qtbot, service):
    first, second = Receiver(), Receiver()
    service.call(lambda ctx: ctx.scorer("p1", "cpu").pack + "-first", uses_torch=False, on_done=first.done)
    service.call(lambda ctx: ctx.scorer("p1", "cpu").pack + "-second", uses_torch=False, on_done=second.done)
    qtbot.waitUntil(lambda: bool(second.calls), timeout=5000)
    assert [c[1] for c in first.calls + second.calls] == ["p1-first", "p1-second"]
    assert service.made == [("p1", "cpu")]


def test_each_job_calls_its_own_callbacks_in_the_gui_thread(qtbot, service):
    ok, bad, stopped = Receiver(), Receiver(), Receiver()

    def boom(ctx):
        raise VATPError("The video has no frames.")

    service.call(boom, uses_torch=False, on_done=ok.done, on_failed=bad.failed)
    service.call(lambda ctx: 7, uses_torch=False, on_done=ok.done, on_failed=bad.failed)
    queued = service.call(lambda ctx: 8, uses_torch=False, on_done=ok.done, on_cancelled=stopped.cancelled)
    service.cancel(queued)
    qtbot.waitUntil(lambda: bool(ok.calls), timeout=5000)
    gui = QThread.currentThread()
    assert ok.calls == [("done", 7, gui)]
    assert bad.calls == [("failed", "The video has no frames.", gui)]
    assert stopped.calls == [("cancelled", queued.id, gui)]


def test_callbacks_must_be_bound_methods_of_qobjects(service):
    class Plain:
        def done(self, result):
            pass

    with pytest.raises(TypeError):
        service.call(lambda ctx: 1, on_done=lambda result: None)
    with pytest.raises(TypeError):
        service.call(lambda ctx: 1, on_done=Plain().done)
    assert not service.busy


def test_a_deleted_receiver_is_skipped(qtbot, service):
    gone, other = Receiver(), Receiver()
    service.call(lambda ctx: 1, uses_torch=False, on_done=gone.done)
    service.call(lambda ctx: 2, uses_torch=False, on_done=other.done)
    shiboken6.delete(gone)
    qtbot.waitUntil(lambda: bool(other.calls), timeout=5000)
    assert other.calls[0][1] == 2


class ClosingScorer:
    closed: list = []

    def __init__(self, pack, device):
        self.key = (pack, device)

    def close(self):
        ClosingScorer.closed.append(self.key)


def test_evicted_and_remaining_scorers_are_closed(qtbot):
    ClosingScorer.closed = []
    svc = InferenceService(scorer_factory=ClosingScorer)
    done = Receiver()
    for pack in ("p1", "p2", "p3"):
        svc.call(lambda ctx, pack=pack: ctx.scorer(pack, "cpu").key, uses_torch=False, on_done=done.done)
    qtbot.waitUntil(lambda: len(done.calls) == 3, timeout=5000)
    assert ClosingScorer.closed == [("p1", "cpu")]  # evicted when the third was loaded
    svc.shutdown()
    assert sorted(ClosingScorer.closed[1:]) == [("p2", "cpu"), ("p3", "cpu")]  # closed on shutdown


def test_failure_becomes_message_and_worker_survives(qtbot, service):
    def boom(ctx):
        raise VATPError("The video has no frames.")

    with qtbot.waitSignal(service.failed, timeout=5000) as blocker:
        service.call(boom, uses_torch=False)
    assert blocker.args == ["The video has no frames."]
    with qtbot.waitSignal(service.finished, timeout=5000) as blocker:
        service.call(lambda ctx: 42, uses_torch=False)
    assert blocker.args == [42]


def test_missing_weights_is_signalled(qtbot, service):
    class MissingWeightsError(VATPError):
        pass

    def need_weights(ctx):
        raise MissingWeightsError("Backbone weights swin3d_b not found in /x.")

    with qtbot.waitSignal(service.missing_weights, timeout=5000) as blocker:
        service.call(need_weights, uses_torch=False)
    assert "swin3d_b" in str(blocker.args[0])


def test_queued_job_can_be_dropped(qtbot, service):
    running = service.score("long.mp4")
    queued = service.submit(CallJob(fn=lambda ctx: 1, uses_torch=False))
    service.cancel(queued)
    assert queued.status == "cancelled"
    service.cancel(running)
    qtbot.waitUntil(lambda: not service.busy, timeout=2000)
    assert running.status == "cancelled"


def test_inference_mode_is_on_in_score_jobs(qtbot, service):
    def check(ctx):
        import torch

        return torch.is_inference_mode_enabled()

    with qtbot.waitSignal(service.finished, timeout=60000) as blocker:
        service.call(check)
    assert blocker.args == [True]
