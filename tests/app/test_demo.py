"""The bundled demo, end to end in the GUI: open, score through the real worker, review, cancel, screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.main_window import MainWindow
from app.transport_bar import timecode
from vatp_core.pack import load_pack

ROOT = Path(__file__).resolve().parents[2]


def test_demo_scored_in_the_gui(qtbot, demo_assets, tmp_path):
    video, pack_path = demo_assets
    manifest = load_pack(pack_path).manifest
    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    assert win.open_video(video)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=10_000)
    assert win.score_bar.pack == "demo"
    win.score_bar.set_device("cpu")

    # Cancel a running job: the first progress of the feature stage, then Cancel.
    job = win.start_scoring()
    qtbot.waitUntil(
        lambda: job.status != "queued" and win.score_bar.stage_label.text() != "Loading the model…", timeout=120_000
    )
    win.cancel_scoring()
    qtbot.waitUntil(lambda: job.status in ("cancelled", "done"), timeout=1000)
    assert job.status == "cancelled" and win.result is None

    with qtbot.waitSignal(win.result_shown, timeout=300_000) as blocker:
        win.start_scoring()
    result = blocker.args[0]
    assert len(win.timeline.band_names) == 4
    assert set(win.timeline.band_names) <= set(manifest.subaction_names or result.subaction_names)
    assert manifest.not_for_judging and win.score_panel.warning_label.isVisibleTo(win)

    # Keyboard stepping shows the exact frame number and timecode.
    for _ in range(3):
        qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.player.shown == 3, timeout=3000)
    t = win.player.transport
    assert t.frame_label.text().split()[1] == "3" and t.time_label.text() == timecode(win.player.timestamp(3))

    # Jump between sub-actions.
    starts = sorted(s.start_frame for s in result.segments)
    win.player.seek(0)
    qtbot.waitUntil(lambda: win.player.shown == 0, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    first = next(s for s in starts if s > 0)
    qtbot.waitUntil(lambda: win.player.shown == first, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    second = next((s for s in starts if s > first), first)
    qtbot.waitUntil(lambda: win.player.shown == second, timeout=3000)

    # The test run keeps a screenshot of the scored window.
    out_dir = Path(os.environ.get("VATP_SCREENSHOT_DIR", tmp_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    shot = out_dir / "demo_scored_window.png"
    qtbot.wait(200)
    assert win.grab().save(str(shot))
    assert QImage(str(shot)).width() >= 1000

    # A corrupt file gives a message and the demo stays open.
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(video.read_bytes()[:2000])
    assert win.open_video(bad) is False
    assert win.player.path == video and win.result is result


def test_demo_flag_with_screenshot(demo_assets, tmp_path):
    shot = tmp_path / "screenshot_main.png"
    out = subprocess.run(
        [sys.executable, "-m", "app.main", "--demo", "--device", "cpu", "--screenshot", str(shot)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert QImage(str(shot)).width() >= 1000


def test_headless_demo(demo_assets):
    out = subprocess.run(
        [sys.executable, "-m", "app.main", "--headless", "--device", "cpu"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "90% between" in out.stdout and "not for judging" in out.stdout  # the calibrated demo pack
