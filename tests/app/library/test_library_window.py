"""The Library in the main window: scoring with an athlete enters it; review and compare from it."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from app.main_window import MainWindow
from tests.app.test_scoring import open_window, score
from vatp_core.library.synthetic import synthetic_result
from vatp_core.result import ScoreResult


def test_scored_with_an_athlete_enters_the_library_and_its_sidecar(qtbot, routine_video, small_pack, tmp_path):
    video = tmp_path / routine_video.name
    video.write_bytes(routine_video.read_bytes())
    win = open_window(qtbot, video)
    win.score_bar.athlete_combo.setEditText("  A.   Diver ")
    result = score(qtbot, win, small_pack)
    assert result.athlete == "A. Diver"
    assert "in the Library for A. Diver" in win.statusBar().currentMessage()
    sidecar = ScoreResult.from_json(ScoreResult.sidecar_path(video))
    assert sidecar.athlete == "A. Diver" and sidecar.created == result.created
    assert win.score_bar.athlete_combo.findText("A. Diver") >= 0

    win.show_library()
    qtbot.waitUntil(lambda: win.library_tab.model.rowCount() == 1)
    (row,) = win.library_tab.model.rows
    assert (row.athlete, row.source_path) == ("A. Diver", str(ScoreResult.sidecar_path(video)))


def test_scored_without_an_athlete_stays_out_of_the_library(qtbot, routine_video, small_pack, tmp_path):
    video = tmp_path / routine_video.name
    video.write_bytes(routine_video.read_bytes())
    win = open_window(qtbot, video)
    score(qtbot, win, small_pack)
    assert not ScoreResult.sidecar_path(video).exists()
    win.show_library()
    qtbot.waitUntil(lambda: win.library_tab.library is not None)
    assert win.library_tab.library.count() == 0


def test_review_and_compare_from_the_library(qtbot, routine_video):
    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    tab = win.library_tab
    for i in range(3):
        tab.add_result(synthetic_result(i, athlete="A. Diver"))
    win.show_library()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3)
    sel = tab.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (0, 2):
        sel.select(tab.model.index(r, 0), flags)
    tab.compare_selected()
    assert win.tabs.currentWidget() is win.comparison
    assert [r.video_name for r in win.comparison.checked()] == [
        tab.model.rows[0].video_name,
        tab.model.rows[2].video_name,
    ]

    win.show_library()
    sel.clearSelection()
    sel.select(tab.model.index(1, 0), flags)
    tab.open_selected()
    assert win.tabs.currentIndex() == 0
    assert win.result is not None and win.result.video_name == tab.model.rows[1].video_name


def test_watch_two_selected_attempts_side_by_side_in_one_click(qtbot, routine_video, tmp_path):
    from PySide6.QtCore import Qt

    from tests.app.conftest import make_result
    from tests.videogen import make_test_video

    other = make_test_video(tmp_path / "last_week.mp4", 120, size=(96, 64), start=500)
    win = MainWindow(device_check=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    tab = win.library_tab
    for video, mean in ((routine_video, 7.0), (other, 6.5)):
        result = make_result(video, n_frames=120 if video == other else 96, mean=mean)
        result.athlete = "A. Diver"
        tab.add_result(result)
    win.show_library()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    assert not tab.watch_button.isEnabled()  # nothing selected yet
    sel = tab.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    sel.select(tab.model.index(0, 0), flags)
    assert not tab.watch_button.isEnabled()  # one attempt is not a pair
    sel.select(tab.model.index(1, 0), flags)
    assert tab.watch_button.isEnabled()

    qtbot.mouseClick(tab.watch_button, Qt.MouseButton.LeftButton)
    assert win.tabs.currentIndex() == 0 and win.review.dual_active
    dual = win.review.dual
    shown = [dual.a.attempt.video.name, dual.b.attempt.video.name]
    assert shown == [tab.model.rows[0].video_name, tab.model.rows[1].video_name]
    assert sorted(shown) == sorted([routine_video.name, other.name])
    assert dual.sync.mode == "subaction"  # both carry their sub-actions
