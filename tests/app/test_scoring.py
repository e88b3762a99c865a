"""Scoring from the main window through the real worker and a real model pack: bands on the timeline, the
score panel, sub-action navigation and looping, cancel, the JSON sidecar, --headless and --screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.main_window import MainWindow
from tests.videogen import make_test_video
from vatp_core.result import ScoreResult

from .conftest import NAMES

ROOT = Path(__file__).resolve().parents[2]


def open_window(qtbot, video, **kw) -> MainWindow:
    win = MainWindow(device_check=False, **kw)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(video)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=5000)
    return win


def score(qtbot, win, pack, timeout=120_000) -> ScoreResult:
    idx = win.score_bar.pack_combo.findData(str(pack))
    if idx < 0:
        win.score_bar.pack_combo.addItem(Path(pack).name, str(pack))
        idx = win.score_bar.pack_combo.count() - 1
    win.score_bar.pack_combo.setCurrentIndex(idx)
    win.score_bar.set_device("cpu")
    with qtbot.waitSignal(win.result_shown, timeout=timeout) as blocker:
        qtbot.mouseClick(win.score_bar.score_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_score_review_navigate_loop_and_save(qtbot, routine_video, small_pack, tmp_path):
    video = tmp_path / routine_video.name
    video.write_bytes(routine_video.read_bytes())
    win = open_window(qtbot, video)
    assert win.score_bar.score_button.isEnabled()
    result = score(qtbot, win, small_pack)

    # Timeline: one named band per parsed sub-action, one attention row per sub-action.
    assert win.timeline.band_names == [s.name for s in result.segments]
    assert len(win.timeline.band_names) == 4 and set(win.timeline.band_names) == set(NAMES)
    assert win.timeline.heat.image.shape[1] == 4
    # Score panel.
    assert win.score_panel.score_label.text() == f"{result.mean:.1f}"
    assert win.score_panel.interval_label.text() == result.interval_text()
    assert "app-test-pack" in win.score_panel.pack_label.text()
    assert win.score_panel.warning_label.isVisibleTo(win) and "not for judging" in win.score_panel.warning_label.text()
    assert len(win.score_panel.contrib_bars.opts["width"]) == 4
    assert win.comparison.attempts[-1] is result

    # Ctrl+→ / Ctrl+← walk the sub-action starts.
    starts = sorted(s.start_frame for s in result.segments)
    win.player.seek(0)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=3000)
    visited = []
    for _ in starts:
        if win.player.target >= starts[-1]:
            break
        qtbot.keyClick(win, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
        visited.append(win.player.target)
        qtbot.waitUntil(lambda: win.player.shown == visited[-1], timeout=3000)
    assert visited == [s for s in starts if s > 0]
    qtbot.keyClick(win, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert win.player.target == ([s for s in starts if s < starts[-1]] or [starts[-1]])[-1]

    # L loops the sub-action under the playhead; L again stops.
    seg = result.segment_at(win.player.target) or result.segments[0]
    qtbot.keyClick(win, Qt.Key.Key_L)
    assert win.player.loop == (seg.start_frame, seg.end_frame) and win.player.playing
    qtbot.wait(int(1000 * (seg.end_frame - seg.start_frame + 1) / 25) + 400)
    assert seg.start_frame <= win.player.shown <= seg.end_frame
    qtbot.keyClick(win, Qt.Key.Key_L)
    assert win.player.loop is None and not win.player.playing

    # Clicking the timeline seeks the player.
    win.timeline.seek_to_x(37.2)
    qtbot.waitUntil(lambda: win.player.shown == 37, timeout=3000)

    # Save beside the video, reopen without re-scoring.
    sidecar = win.save_result()
    assert sidecar == ScoreResult.sidecar_path(video) and sidecar.is_file()
    win.close()
    again = open_window(qtbot, video)
    assert again.result is not None and again.result == result
    assert again.timeline.band_names == win.timeline.band_names
    again.close()


class SlowScorer:
    def __init__(self, pack, device):
        pass

    def score(self, video, *, progress=None, cancel=None, difficulty=None):
        from vatp_core.errors import check_cancel

        for i in range(200):
            check_cancel(cancel)
            time.sleep(0.05)
            progress("features", i + 1, 200)
        raise AssertionError("should have been cancelled")


def test_gui_stays_responsive_and_cancel_stops_the_job(qtbot, routine_video):
    """The player works while a job runs, and Cancel stops the job at its next poll (how fast is a figure of
    benchmarks/gui_worker.py, not asserted here: a loaded machine would make it flaky)."""
    win = open_window(qtbot, routine_video, scorer_factory=SlowScorer)
    job = win.start_scoring()
    qtbot.waitUntil(lambda: win.score_bar.stage_label.text() == "Extracting features", timeout=60_000)
    assert win.score_bar.cancel_button.isVisible() and not win.score_bar.score_button.isEnabled()
    # The player keeps working while the job runs.
    qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.player.shown == 1, timeout=30_000)
    with qtbot.waitSignal(win.service.cancelled, timeout=60_000):
        qtbot.mouseClick(win.score_bar.cancel_button, Qt.MouseButton.LeftButton)
    assert job.status == "cancelled"  # SlowScorer fails the job if it is not stopped within its 200 polls
    assert not win.scoring and win.statusBar().currentMessage() == "Scoring cancelled."
    assert win.score_bar.score_button.isEnabled() and win.result is None


def test_cancel_a_real_scoring_job(qtbot, small_pack, tmp_path):
    video = make_test_video(tmp_path / "long.mp4", 1600, size=(160, 120), gop=50)
    win = open_window(qtbot, video)
    assert win.service.link is not None  # the worker process: Cancel ends the job within cancel() itself
    win.score_bar.pack_combo.addItem("test", str(small_pack))
    win.score_bar.pack_combo.setCurrentIndex(win.score_bar.pack_combo.count() - 1)
    win.score_bar.set_device("cpu")
    job = win.start_scoring()
    qtbot.waitUntil(lambda: win.score_bar.stage_label.text() == "Extracting features", timeout=120_000)
    win.cancel_scoring()
    assert job.status == "cancelled" and win.result is None and not win.scoring


def test_failed_scoring_shows_the_message(qtbot, routine_video, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    win = open_window(qtbot, routine_video)
    win.score_bar.pack_combo.addItem("missing", "/nonexistent/pack")
    win.score_bar.pack_combo.setCurrentIndex(win.score_bar.pack_combo.count() - 1)
    job = win.start_scoring()
    qtbot.waitUntil(lambda: job.status == "failed", timeout=60_000)
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert "/nonexistent/pack" in shown[0] and win.score_bar.score_button.isEnabled()


def test_missing_weights_offers_download_or_import(qtbot, routine_video, monkeypatch):
    from app import weights_dialog
    from vatp_core.features.checkpoints import MissingWeightsError

    asked = []

    def fake_ask(parent, exc):
        asked.append(exc)
        return weights_dialog.WeightsChoice("cancel")

    monkeypatch.setattr(weights_dialog, "ask_for_weights", fake_ask)

    class NeedsWeights:
        def __init__(self, pack, device):
            raise MissingWeightsError("No swin3d_b weights are installed in /w.", filename="swin3d_b_1k-24f7c7c6.pth")

    win = open_window(qtbot, routine_video, scorer_factory=NeedsWeights)
    job = win.start_scoring()
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert job.status == "failed" and "swin3d_b" in str(asked[0])
    known = weights_dialog.known_weights_for(asked[0])
    assert known is not None and known.url  # the dialog would offer a download button for it


def test_headless_prints_the_summary(small_pack, routine_video):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.main",
            "--headless",
            str(routine_video),
            "--pack",
            str(small_pack),
            "--device",
            "cpu",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "uncalibrated" in out.stdout and "app-test-pack" in out.stdout
    assert all(name in out.stdout for name in NAMES)


def test_headless_bad_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.mp4"
    bad.write_bytes(b"not a video")
    out = subprocess.run(
        [sys.executable, "-m", "app.main", "--headless", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2 and "error" in out.stderr and "Traceback" not in out.stderr


def test_screenshot_of_the_scored_window(small_pack, routine_video, tmp_path):
    shot = tmp_path / "shot.png"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.main",
            str(routine_video),
            "--pack",
            str(small_pack),
            "--device",
            "cpu",
            "--screenshot",
            str(shot),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500


def test_importing_missing_weights_then_scoring_again(qtbot, routine_video, small_pack, monkeypatch, tmp_path):
    from app import weights_dialog
    from vatp_core.features import weights
    from vatp_core.features.checkpoints import MissingWeightsError
    from vatp_core.pipeline import Scorer

    imported = []
    monkeypatch.setattr(
        weights_dialog,
        "ask_for_weights",
        lambda parent, exc: weights_dialog.WeightsChoice("import", path=tmp_path / "w.pth"),
    )
    monkeypatch.setattr(weights, "import_weights", lambda path, weights_id=None, progress=None: imported.append(path))

    def factory(pack, device):
        if not imported:
            raise MissingWeightsError("No swin3d_t weights are installed.", filename="swin3d_t-7615ae03.pth")
        return Scorer(str(small_pack), device="cpu")

    win = open_window(qtbot, routine_video, scorer_factory=factory)
    with qtbot.waitSignal(win.result_shown, timeout=120_000) as blocker:
        win.start_scoring()
    assert imported == [tmp_path / "w.pth"]
    assert blocker.args[0].pack.name == "app-test-pack"


class QuickFakeScorer:
    """Returns a hand-made result for whichever video it is given, once the test releases it."""

    release = threading.Event()

    def __init__(self, pack, device):
        pass

    def score(self, video, *, progress=None, cancel=None, difficulty=None):
        from tests.app.conftest import make_result

        assert self.release.wait(60), "the test never released the job"
        return make_result(video)


def test_result_of_a_video_closed_meanwhile_goes_to_compare_only(qtbot, routine_video, tmp_path):
    other = make_test_video(tmp_path / "other.mp4", 20)
    win = open_window(qtbot, routine_video, scorer_factory=QuickFakeScorer)
    QuickFakeScorer.release.clear()
    with qtbot.waitSignal(win.service.job_ended, timeout=60_000):
        job = win.start_scoring()
        assert win.open_video(other)  # before the job may end
        QuickFakeScorer.release.set()
    assert job.status == "done"
    assert win.result is None and win.player.path == other
    assert len(win.comparison.attempts) == 1 and "Compare" in win.statusBar().currentMessage()


def test_closing_the_window_while_scoring_stops_the_worker(qtbot, routine_video):
    from app.threads import live_threads

    win = open_window(qtbot, routine_video, scorer_factory=SlowScorer)
    job = win.start_scoring()
    qtbot.waitUntil(lambda: job.status == "running", timeout=30_000)
    thread = win.service._thread
    win.close()
    qtbot.waitUntil(thread.isFinished, timeout=60_000)  # the job stopped at its next poll and the thread quit
    assert job.status == "cancelled"
    assert thread not in live_threads()
