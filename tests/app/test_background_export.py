"""Clip exports run in the background: the event loop keeps running while they encode, the file is complete,
Cancel leaves nothing behind."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QPushButton

from app.background import BackgroundTask
from tests.videogen import decode_index
from vatp_core.export import export_clip
from vatp_core.video import open_video


def _indices(path):
    with open_video(path, prefetch=False) as reader:
        return [decode_index(frame) for _, frame in reader.stream()]


def test_the_gui_thread_runs_a_slot_while_the_clip_is_encoding(qtbot, routine_video, tmp_path):
    gate = threading.Event()  # the encoder waits at frame 3 until the GUI thread has handled its signal
    out = tmp_path / "clip.mp4"

    def work(progress, cancel):
        def report(done, total):
            progress(done, total)
            if done == 3:
                assert gate.wait(60), "the GUI thread never handled the progress signal"

        return export_clip(routine_video, 10, 49, out, progress=report, cancel=cancel)

    task = BackgroundTask(work)
    seen = []

    def on_progress(done, total):
        seen.append(done)
        if done == 3:
            gate.set()  # in the GUI thread, while the pool thread is still inside the encoder

    task.progress.connect(on_progress)
    with qtbot.waitSignal(task.done, timeout=60_000) as done:
        task.start()
    clip = done.args[0]
    assert 3 in seen and seen[-1] == 40 and task.finished
    assert clip.n_frames == 40 and _indices(out) == list(range(10, 50))  # complete, in order


def test_an_export_error_is_one_line(qtbot, routine_video, tmp_path):
    task = BackgroundTask(lambda progress, cancel: export_clip(routine_video, 500, 600, tmp_path / "x.mp4"))
    with qtbot.waitSignal(task.failed, timeout=60_000) as failed:
        task.start()
    assert "Empty frame range" in failed.args[0] and "\n" not in failed.args[0]


def test_export_clip_from_the_window_in_the_background_and_cancel(qtbot, opened_window, messages, tmp_path):
    win = opened_window
    win.player.set_loop((20, 59))
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "loop.mp4"
    task = win.exporter.export_clip(out=out)
    with qtbot.waitSignal(task.done, timeout=60_000):
        pass
    assert _indices(out) == list(range(20, 60))
    qtbot.waitUntil(lambda: "written to" in win.statusBar().currentMessage(), timeout=5000)

    # Cancel while the export waits for its thread: a one-thread pool kept busy until Cancel was pressed
    pool, gate = QThreadPool(), threading.Event()
    pool.setMaxThreadCount(1)
    BackgroundTask(lambda progress, cancel: gate.wait(60)).start(pool)
    win.exporter.pool = pool
    again = folder / "cancelled.mp4"
    task = win.exporter.export_clip(out=again)
    with qtbot.waitSignal(task.cancelled, timeout=60_000):
        task.dialog.findChild(QPushButton).click()  # the progress dialog's Cancel button
        gate.set()
    pool.waitForDone(60_000)
    assert not again.exists() and list(folder.iterdir()) == [out]
    assert "cancelled" in win.statusBar().currentMessage() and not messages
