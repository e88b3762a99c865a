"""The batch dialog in the worker process: the real tiny pack end to end, rows posted live, Cancel at any stage."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from tests.videogen import make_test_video

FAKE = "tests.app.worker_fakes:batch_fake"


def _videos(root: Path, n: int, frames: int = 16) -> Path:
    root.mkdir()
    for k in range(n):
        make_test_video(root / f"v{k}.mp4", frames + 8 * k, size=(96, 72))
    return root


@pytest.fixture
def dialog(qtbot):
    made = []

    def make(factory: str | None = None):
        from app.batch_dialog import BatchDialog
        from app.worker import InferenceService

        service = InferenceService(scorer_factory=factory, mode="process")
        dlg = BatchDialog(None, worker=service)
        qtbot.addWidget(dlg)
        made.append(service)
        return dlg

    yield make
    for service in made:
        service.shutdown()


def _ok_rows(csv_path: Path) -> list[str]:
    with open(csv_path, newline="") as fh:
        return sorted(r["file"] for r in csv.DictReader(fh) if r["status"] == "ok")


def test_a_batch_with_the_real_tiny_pack_runs_in_the_worker_process(qtbot, dialog, small_pack, tmp_path):
    folder = _videos(tmp_path / "videos", 2, frames=48)
    dlg = dialog()
    posted, batch_progress = [], []
    dlg.row_added.connect(lambda row: posted.append(row.file))
    dlg.service.progress.connect(lambda s, d, t: batch_progress.append((d, t)) if s == "batch" else None)
    dlg.folder_edit.setText(str(folder))
    dlg.pack_combo.setEditText(str(small_pack))
    dlg.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(dlg.batch_ended, timeout=180_000) as ended:
        assert dlg.start()
        assert dlg.job.remote_payload() is not None  # sent to the process, not run in the GUI's thread
    assert ended.args == ["done"], dlg.summary_label.text()
    assert sorted(posted) == ["v0.mp4", "v1.mp4"]  # rows arrived from the process one by one
    assert (2, 2) in batch_progress  # progress per video
    assert [r.status for r in dlg.summary.rows] == ["ok", "ok"], [r.error for r in dlg.summary.rows]
    assert _ok_rows(folder / "results.csv") == ["v0.mp4", "v1.mp4"]
    assert dlg.service.link.alive and dlg.service.link.process.pid != os.getpid()


def test_cancel_during_the_model_load_is_immediate_and_the_next_batch_works(qtbot, dialog, tmp_path):
    folder = _videos(tmp_path / "videos", 2)
    marker = tmp_path / "loading"
    dlg = dialog(FAKE)
    dlg.folder_edit.setText(str(folder))
    dlg.pack_combo.setEditText(f"slow-load:{marker}")
    assert dlg.start()
    qtbot.waitUntil(marker.exists, timeout=60_000)  # the process is inside its minute-long load
    with qtbot.waitSignal(dlg.batch_ended, timeout=1) as ended:
        dlg.cancel()  # the outcome is delivered within cancel() itself
    assert ended.args == ["cancelled"] and not dlg.running and dlg.start_button.isEnabled()
    dlg.pack_combo.setEditText("fast")
    with qtbot.waitSignal(dlg.batch_ended, timeout=60_000) as ended:
        assert dlg.start()  # waits for the stuck process to be ended, then runs in a fresh one
    assert ended.args == ["done"], dlg.summary_label.text()
    assert dlg.summary.n_scored == 2 and dlg.service.link.restarts == 1


def test_cancel_between_videos_then_resume_in_the_process(qtbot, dialog, tmp_path):
    folder = _videos(tmp_path / "videos", 4)
    dlg = dialog(FAKE)
    dlg.folder_edit.setText(str(folder))
    dlg.pack_combo.setEditText("slow")
    with qtbot.waitSignal(dlg.row_added, timeout=60_000):
        assert dlg.start()
    with qtbot.waitSignal(dlg.batch_ended, timeout=1) as ended:
        dlg.cancel()
    assert ended.args == ["cancelled"]
    dlg.pack_combo.setEditText("fast")
    with qtbot.waitSignal(dlg.batch_ended, timeout=60_000) as ended:
        assert dlg.start()
    assert ended.args == ["done"], dlg.summary_label.text()
    s = dlg.summary
    assert s.n_skipped >= 1 and s.n_skipped + s.n_scored == 4 and s.n_failed == 0
    assert _ok_rows(folder / "results.csv") == [f"v{k}.mp4" for k in range(4)]
