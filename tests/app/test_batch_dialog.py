"""The batch dialog: runs on the inference worker, fills the live table, cancels and resumes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.core.test_batch import FakeScorer
from tests.videogen import make_test_video
from vatp_core.result import ScoreResult


def _folder(root: Path, n: int) -> Path:
    root.mkdir()
    for k in range(n):
        make_test_video(root / f"routine_{k}.mp4", 16 + 2 * k, size=(64, 48))
    (root / "notes.mp4").write_text("not a video")
    return root


@pytest.fixture
def make_dialog(qtbot):
    made = []

    def make(scorer):
        from app.batch_dialog import BatchDialog
        from app.worker import InferenceService

        service = InferenceService(scorer_factory=lambda pack, device: scorer)
        dlg = BatchDialog(None, worker=service)
        qtbot.addWidget(dlg)
        made.append(service)
        return dlg

    yield make
    for service in made:
        service.shutdown()


def _table(dlg) -> dict[str, list[str]]:
    t = dlg.table
    return {t.item(r, 0).text(): [t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())}


def test_batch_dialog_scores_folder_with_live_rows_and_reports(qtbot, make_dialog, tmp_path):
    folder = _folder(tmp_path / "videos", 2)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score\nroutine_0.mp4,1.5\nroutine_1.mp4,2.0\n")
    dlg = make_dialog(FakeScorer())
    live = []
    dlg.row_added.connect(lambda row: live.append(row.file))
    dlg.folder_edit.setText(str(folder))
    dlg.labels_edit.setText(str(labels))
    dlg.reports_check.setChecked(True)
    assert dlg.start()
    assert not dlg.start_button.isEnabled() and dlg.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert sorted(live) == ["notes.mp4", "routine_0.mp4", "routine_1.mp4"]  # rows arrived one by one
    rows = _table(dlg)
    assert rows["routine_0.mp4"][1] == "ok" and rows["routine_0.mp4"][2] == "1.60"
    assert rows["routine_1.mp4"][4] == "2"
    assert rows["notes.mp4"][1] == "error" and rows["notes.mp4"][6]
    assert dlg.summary.n_scored == 2 and dlg.summary.n_failed == 1
    assert "Spearman" in dlg.summary_label.text() and "Summary report" in dlg.summary_label.text()
    with open(folder / "results.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    reports = folder / "reports"
    assert (reports / "routine_0.pdf").is_file() and (reports / "batch_summary.pdf").is_file()
    assert dlg.start_button.isEnabled()
    # sortable by score once finished; double-click opens the scored routine's result
    dlg.table.sortItems(2, Qt.SortOrder.DescendingOrder)
    assert [dlg.table.item(r, 0).text() for r in range(3)] == ["routine_1.mp4", "routine_0.mp4", "notes.mp4"]
    opened = []
    dlg.open_result.connect(opened.append)
    dlg._row_activated(0, 0)
    assert ScoreResult.from_json(opened[0]).video.name == "routine_1.mp4"


def test_batch_dialog_cancel_then_resume(qtbot, make_dialog, tmp_path):
    folder = _folder(tmp_path / "videos", 4)
    scorer = FakeScorer(delay=0.4)
    dlg = make_dialog(scorer)
    dlg.folder_edit.setText(str(folder))
    dlg.out_edit.setText(str(tmp_path / "out" / "r.csv"))
    assert dlg.start()
    qtbot.waitUntil(lambda: "ok" in [v[1] for v in _table(dlg).values()], timeout=60_000)
    dlg.cancel()
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert "Cancelled" in dlg.summary_label.text()
    first = len(scorer.calls)
    assert 1 <= first < 4
    scorer.delay = 0.0
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert dlg.summary.n_skipped == first and dlg.summary.n_scored == 4 - first
    assert sorted(scorer.calls) == sorted(f"routine_{k}.mp4" for k in range(4))  # none scored twice
    assert len(_table(dlg)) == 5
    assert [v[1] for v in _table(dlg).values()].count("ok") == 4


def test_batch_dialog_rejects_bad_options(make_dialog, tmp_path):
    dlg = make_dialog(FakeScorer())
    assert not dlg.start() and "Choose a folder" in dlg.summary_label.text()
    dlg.folder_edit.setText(str(tmp_path / "missing"))
    assert not dlg.start() and "Not a folder" in dlg.summary_label.text()
    dlg.folder_edit.setText(str(tmp_path))
    dlg.labels_edit.setText(str(tmp_path / "nope.csv"))
    assert not dlg.start() and "Labels file not found" in dlg.summary_label.text()
    assert dlg.pack() is None
    dlg.pack_combo.setEditText("/some/pack")
    assert dlg.pack() == "/some/pack"


def test_batch_dialog_reports_a_pack_that_fails_to_load(qtbot, tmp_path):
    from app.batch_dialog import BatchDialog
    from vatp_core.pack import PackError

    def factory(pack, device):
        raise PackError(f"No model pack {pack!r}")

    dlg = BatchDialog(None, scorer_factory=factory)  # its own worker, shut down on close
    qtbot.addWidget(dlg)
    folder = _folder(tmp_path / "videos", 1)
    dlg.folder_edit.setText(str(folder))
    dlg.pack_combo.setEditText("nonexistent-pack")
    assert dlg.start()
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert "nonexistent-pack" in dlg.summary_label.text() and dlg.error
    dlg.close()
