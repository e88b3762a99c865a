"""The worker process: results as plain data, Cancel at every stage (the model load included), crashes survived."""

from __future__ import annotations

import os

import pytest

from app.worker import InferenceService, ScoreJob
from vatp_core.result import ScoreResult

FAKES = "tests.app.worker_fakes"


@pytest.fixture(params=["notifier", "thread"])
def make_service(qtbot, request, monkeypatch):
    """Services whose replies are read by the socket notifier, or by the reader thread (Windows' way)."""
    monkeypatch.setenv("VATP_PIPE_READER", request.param)
    made = []

    def make(factory: str | None, mode: str = "process") -> InferenceService:
        svc = InferenceService(scorer_factory=f"{FAKES}:{factory}" if factory else None, mode=mode)
        assert svc.link is None or svc.link.reader == request.param
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.shutdown()


def fake_score(svc, video, pack="p1"):
    """A score job for the fakes: without torch's inference mode, so the process never imports torch."""
    return svc.submit(ScoreJob(video=video, pack=pack, device="cpu", uses_torch=False))


def run(qtbot, svc, job, timeout=120_000):
    qtbot.waitUntil(lambda: job.status not in ("queued", "running"), timeout=timeout)
    return job


def test_a_score_job_runs_in_another_process_and_reports_progress(qtbot, make_service):
    svc = make_service("SlowFakeScorer")
    progress = []
    svc.progress.connect(lambda s, d, t: progress.append((s, d, t)))
    job = run(qtbot, svc, fake_score(svc, "a.mp4", "p1"))
    assert job.status == "done", job.error
    assert job.result["pid"] != os.getpid() and job.result["pack"] == "p1"
    assert progress[0] == ("load", 0, 0) and progress[-1] == ("features", 40, 40)
    again = run(qtbot, svc, fake_score(svc, "b.mp4", "p1"))
    assert again.result["pid"] == job.result["pid"]  # one long-lived process, the scorer kept loaded


def test_cancel_during_the_model_load_ends_the_job_and_the_next_job_works(qtbot, make_service):
    svc = make_service("SlowLoadScorer")
    loading = []
    svc.progress.connect(lambda s, d, t: loading.append(s))
    job = fake_score(svc, "a.mp4", "slow-load")
    qtbot.waitUntil(lambda: "load" in loading, timeout=60_000)  # the child is inside the 60 s load
    cancelled = []
    svc.cancelled.connect(lambda: cancelled.append(job.status))
    svc.cancel()
    assert cancelled == ["cancelled"] and not svc.busy  # within cancel() itself: control is back at once
    assert svc.link is not None
    qtbot.waitUntil(lambda: not svc.link.alive, timeout=10_000)  # the load is abandoned with its process
    after = run(qtbot, svc, fake_score(svc, "b.mp4", "p1"))
    assert after.status == "done" and svc.link.restarts == 1


def test_cancel_while_scoring_is_cooperative(qtbot, make_service):
    svc = make_service("SlowFakeScorer")
    progress = []
    svc.progress.connect(lambda s, d, t: progress.append(s))
    job = fake_score(svc, "a.mp4", "p1")
    qtbot.waitUntil(lambda: "features" in progress, timeout=60_000)
    with qtbot.waitSignal(svc.cancelled, timeout=10_000):
        svc.cancel()
    assert job.status == "cancelled"
    after = run(qtbot, svc, fake_score(svc, "b.mp4", "p1"))
    assert after.status == "done"


def test_a_crashed_process_gives_one_line_and_the_next_job_works(qtbot, make_service):
    svc = make_service("CrashingScorer")
    failed = []
    svc.failed.connect(failed.append)
    job = run(qtbot, svc, fake_score(svc, "crash.mp4", "p1"))
    assert job.status == "failed"
    assert failed == [job.error] and "\n" not in job.error
    assert "stopped unexpectedly" in job.error and "SIGKILL" in job.error
    after = run(qtbot, svc, fake_score(svc, "fine.mp4", "p1"))
    assert after.status == "done" and svc.link.restarts == 1


def test_an_error_in_the_process_is_a_message_and_the_process_lives_on(qtbot, make_service):
    svc = make_service("CrashingScorer")
    first = run(qtbot, svc, fake_score(svc, "fine.mp4", "p1"))
    bad = run(qtbot, svc, fake_score(svc, "bad.mp4", "p1"))
    assert bad.status == "failed" and bad.error == "The video has no frames."
    again = run(qtbot, svc, fake_score(svc, "fine.mp4", "p1"))
    assert again.result["pid"] == first.result["pid"] and svc.link.restarts == 0


def test_missing_weights_in_the_process_keeps_what_the_app_needs(qtbot, make_service):
    svc = make_service("CrashingScorer")
    with qtbot.waitSignal(svc.missing_weights, timeout=120_000) as blocker:
        job = fake_score(svc, "noweights.mp4", "p1")
    assert job.missing_weights and job.exception.filename == "swin_b.pth"
    assert "swin_b.pth" in str(blocker.args[0])


def test_the_process_gives_the_same_result_as_the_thread(qtbot, make_service, routine_video, small_pack):
    results = {}
    for mode in ("process", "thread"):
        svc = make_service(None, mode=mode)
        job = run(qtbot, svc, svc.score(routine_video, pack=str(small_pack), device="cpu"))
        assert job.status == "done", job.error
        assert isinstance(job.result, ScoreResult)
        results[mode] = job.result.to_dict()
    for data in results.values():
        data.pop("timings", None)
        data.pop("created", None)
        data["video"].pop("features_from_cache")  # the second run finds the first one's features
    assert results["process"] == results["thread"]


GUI_SCRIPT = """
import sys, time
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
from app.scoring import describe_device
win = MainWindow(scorer_factory="tests.app.worker_fakes:SlowFakeScorer", device_check=False)
said = []
win.service.call(describe_device, uses_torch=False, process=True, on_done=win.show_status)
win.statusBar().messageChanged.connect(lambda m: said.append(m) if m and m != "Ready" else None)
job = win.service.score("x.mp4", pack="p1", device="cpu")
end = time.monotonic() + 300
loop = QEventLoop()
poll = QTimer()
poll.timeout.connect(
    lambda: loop.quit() if (job.status not in ("queued", "running") and said) or time.monotonic() > end else None
)
poll.start(10)
loop.exec()
print(job.status, bool(said), "torch" in sys.modules)
win.close()
"""


def test_the_window_process_never_imports_torch(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", VATP_HOME=str(tmp_path), PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", GUI_SCRIPT], cwd=root, env=env, capture_output=True, text=True)
    assert out.stdout.split()[-3:] == ["done", "True", "False"], out.stderr[-2000:]
