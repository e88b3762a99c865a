"""The score views driven by a hand-made ScoreResult: timeline, score panel, comparison tab, settings dialog."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from app.colors import subaction_color
from app.comparison_tab import ComparisonTab
from app.main_window import MainWindow
from app.score_panel import ScorePanel
from app.settings_dialog import SettingsDialog
from app.shortcuts import shortcut_conflicts
from app.subaction_nav import next_start, prev_start, segment_at
from app.timeline import Timeline, attention_image
from vatp_core.charts import aligned_cumulative
from vatp_core.settings import DEFAULT_SHORTCUTS, load_settings

from .conftest import N_FRAMES, NAMES, make_result


def test_timeline_bands_heat_rows_and_playhead(qtbot, tmp_path):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(900, 220)
    tl.show()
    qtbot.waitExposed(tl)
    tl.set_video(N_FRAMES, 25)
    result = make_result(tmp_path / "r.mp4")
    tl.set_result(result)
    assert tl.band_names == NAMES
    assert tl.band_ranges == [(s.start_frame, s.end_frame) for s in result.segments]
    assert tl.heat.image.shape[:2] == (N_FRAMES, 4)  # (x, rows) in pyqtgraph's column-major order
    seeks = []
    tl.seek_requested.connect(seeks.append)
    tl.set_position(40)  # from the player: no seek back
    assert tl.position == 40 and seeks == []
    # A click on the plot seeks to the frame under the mouse.
    vb = tl.view
    scene_pt = vb.mapViewToScene(vb.mapToView(vb.boundingRect().center()))
    x_frame = vb.mapSceneToView(scene_pt).x()
    widget_pt = tl.plot.mapFromScene(scene_pt)
    qtbot.mouseClick(tl.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(int(widget_pt.x()), int(widget_pt.y())))
    assert seeks and abs(seeks[-1] - x_frame) <= 1
    # Dragging the playhead seeks too.
    tl.playhead.setValue(70.4)
    tl.playhead.sigPositionChanged.emit(tl.playhead)
    assert seeks[-1] == 70
    # Zoomed in, the playhead is kept in view.
    vb.setXRange(0, 20, padding=0)
    tl.set_position(90)
    lo, hi = vb.viewRange()[0]
    assert lo <= 90 <= hi and hi - lo == pytest.approx(20, abs=0.5)
    tl.set_result(None)
    assert tl.band_names == [] and tl.heat.image is None


def test_attention_image_follows_the_clips():
    colors = [subaction_color(i) for i in range(2)]
    att = [[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]]
    img = attention_image(att, [[0, 9], [10, 19], [20, 29]], 30, colors)
    assert img.shape == (2, 30, 3)
    # Row 0 is brightest over the first clip, row 1 over the last.
    assert img[0, 5].sum() > img[0, 15].sum() > img[0, 25].sum()
    assert img[1, 25].sum() > img[1, 5].sum()
    np.testing.assert_array_equal(img[0, 3], [colors[0].red(), colors[0].green(), colors[0].blue()])


def test_score_panel_shows_score_distribution_contributions_and_label(qtbot, tmp_path):
    panel = ScorePanel()
    qtbot.addWidget(panel)
    panel.show()
    result = make_result(tmp_path / "r.mp4", mean=7.25, contributions=[0.5, -0.3, 0.2, -0.1])
    panel.set_result(result)
    assert panel.score_label.text() == "7.2" and "uncalibrated" in panel.interval_label.text()
    (curve,) = [item for item in panel.dist_plot.listDataItems() if isinstance(item, pg.PlotDataItem)]
    x, y = curve.getData()
    assert len(x) > 30 and x[np.argmax(y)] == pytest.approx(7.2, abs=0.11)
    widths = panel.contrib_bars.opts["width"]
    x0 = panel.contrib_bars.opts["x0"]
    values = np.array(result.contributions)
    np.testing.assert_allclose(np.where(values >= 0, x0 + widths, x0), values)  # each bar reaches its value
    np.testing.assert_allclose(np.where(values >= 0, x0, x0 + widths), 0, atol=1e-12)  # from zero
    brushes = panel.contrib_bars.opts["brushes"]
    assert brushes[0] != brushes[1]  # positive and negative differ
    assert "hand-made" in panel.pack_label.text()
    assert panel.warning_label.isVisible() and "not for judging" in panel.warning_label.text()
    result.pack.not_for_judging = False
    panel.set_result(result)
    assert not panel.warning_label.isVisible()
    panel.set_result(None)
    assert panel.score_label.text() == "–"


def test_subaction_navigation_rules():
    segs = make_result("v.mp4").segments  # starts 4, 24, 48, 72
    assert next_start(segs, 0) == 4 and next_start(segs, 4) == 24 and next_start(segs, 80) is None
    assert prev_start(segs, 30) == 24 and prev_start(segs, 24) == 4 and prev_start(segs, 4) is None
    assert segment_at(segs, 50).name == "Flight" and segment_at(segs, 95).name == "Entry"
    assert segment_at(segs, 0).name == "Approach"


def test_aligned_cumulative_curves_meet_at_sub_action_boundaries(tmp_path):
    a = make_result(tmp_path / "a.mp4", bounds=[(4, 23), (24, 47), (48, 71), (72, 90)])
    b = make_result(tmp_path / "b.mp4", bounds=[(0, 9), (10, 59), (60, 69), (70, 95)])
    xa, ya = aligned_cumulative(a)
    xb, yb = aligned_cumulative(b)
    # Segment k ends at x = k + 1 (just before the next start) on both attempts despite different tempos.
    assert xa[2] == pytest.approx(1 + 23 / 24 * 0 + (47 - 24) / 24, abs=1e-9)
    assert xb[2] == pytest.approx(1 + (59 - 10) / 50, abs=1e-9)
    assert xa[-1] == pytest.approx(4 - 1 / 19, abs=1e-9) and xb[-1] == pytest.approx(4 - 1 / 26, abs=1e-9)
    assert ya[-1] == pytest.approx(a.mean) and yb[-1] == pytest.approx(b.mean)


def test_comparison_table_and_labelled_set(qtbot, tmp_path):
    tab = ComparisonTab()
    qtbot.addWidget(tab)
    tab.show()
    first = make_result(tmp_path / "monday.mp4", mean=6.0, contributions=[0.4, -0.2, 0.9, 0.1])
    second = make_result(tmp_path / "friday.mp4", mean=6.8, contributions=[0.6, 0.3, 0.8, 0.3])
    tab.add_attempt(first)
    tab.add_attempt(second)
    assert len(tab.curve_plot.getPlotItem().listDataItems()) == 2
    diffs = tab.difference_rows()
    assert diffs == pytest.approx({"Approach": 0.2, "Take-off": 0.5, "Flight": -0.1, "Entry": 0.2})
    assert tab.table.rowCount() == 5 and tab.table.columnCount() == 3
    assert tab.table.item(1, 2).text() == "+0.50" and tab.table.item(4, 2).text() == "+0.80"
    # Unticking one leaves one curve and no difference column.
    tab.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert len(tab.curve_plot.getPlotItem().listDataItems()) == 1 and tab.table.columnCount() == 1

    # A saved attempt loads from its JSON.
    path = second.to_json(tmp_path / "friday.mp4.vatp.json") and tmp_path / "friday.mp4.vatp.json"
    assert tab.add_json(path) and len(tab.attempts) == 3
    assert not tab.add_json(tmp_path / "nope.json")

    # Labelled set from a batch results CSV: CS curve and scatter.
    csv_path = tmp_path / "results.csv"
    csv_path.write_text(
        "file,status,mean,std,true_score\na.mp4,ok,7.0,0.3,7.5\nb.mp4,ok,5.0,0.3,4.0\n"
        "c.mp4,error,,,6.0\nd.mp4,ok,8.0,0.2,8.25\n"
    )
    assert tab.load_labelled(csv_path)
    alphas, shares = tab.cs_plot.getPlotItem().listDataItems()[0].getData()
    assert shares[0] == 0 and shares[-1] == 1.0 and np.all(np.diff(shares) >= 0)
    assert alphas[-1] == pytest.approx(1.0)
    scatter = tab.scatter_plot.getPlotItem().listDataItems()[-1].getData()
    np.testing.assert_allclose(scatter[0], [7.5, 4.0, 8.25])
    assert "3 videos" in tab.metrics_label.text()
    # A labels file matched against the attempts' names.
    labels = tmp_path / "labels.csv"
    labels.write_text("file,score\nmonday.mp4,6.5\nfriday.mp4,6.0\n")
    assert tab.load_labelled(labels)
    assert sorted(tab.labelled.true.tolist()) == [6.0, 6.0, 6.5]


def test_settings_dialog_remaps_a_shortcut_and_detects_conflicts(qtbot, tmp_path):
    from tests.videogen import make_test_video

    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dialog = SettingsDialog(window.settings, window, reserved=window.menu_shortcuts())
    qtbot.addWidget(dialog)
    dialog.key_edits["play_pause"].setKeySequence(QKeySequence("Ctrl+O"))  # File → Open video
    assert "Open video" in dialog.conflict_label.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.key_edits["play_pause"].setKeySequence(QKeySequence("Space"))
    dialog.key_edits["next_frame"].setKeySequence(QKeySequence("Left"))
    assert "Left" in dialog.conflict_label.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.key_edits["next_frame"].setKeySequence(QKeySequence("D"))
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.cache_spin.setValue(1024)
    new = dialog.result_settings()
    assert new.shortcuts["next_frame"] == "D" and new.device == "cpu" and new.cache_size_mb == 1024
    window.apply_settings(new)
    stored = load_settings()
    assert stored.shortcuts["next_frame"] == "D" and stored.device == "cpu"
    assert window.score_bar.device == "cpu"

    video = make_test_video(tmp_path / "v.mp4", 10)
    assert window.open_video(video)
    qtbot.waitUntil(lambda: window.player.shown == 0, timeout=5000)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: window.player.shown == 1, timeout=3000)
    qtbot.keyClick(window, Qt.Key.Key_Right)  # no longer bound
    qtbot.wait(200)
    assert window.player.shown == 1
    dialog.reset_shortcuts()
    assert dialog.shortcut_table() == {k: QKeySequence(v).toString() for k, v in DEFAULT_SHORTCUTS.items()}


def test_default_shortcut_table_has_no_conflicts():
    assert shortcut_conflicts(DEFAULT_SHORTCUTS) == {}
    assert shortcut_conflicts({"a": "Ctrl+S", "b": "ctrl+s"}) == {"Ctrl+S": ["a", "b"]}


def test_result_shown_from_json_and_review_from_comparison(qtbot, tmp_path):
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "attempt.mp4", N_FRAMES)
    result = make_result(video)
    sidecar = result.save_sidecar(video)
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert window.open_result_json(sidecar)
    assert window.player.path == video and window.result == result
    assert window.timeline.band_names == NAMES and len(window.comparison.attempts) == 1
    assert window.save_action.isEnabled() and window.report_action.isEnabled()


def test_timeline_top_axis_reads_in_seconds(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.set_video(500, 50)
    axis = tl.plot.getAxis("top")
    assert axis.tickStrings([0, 100, 3100], 1, 100) == ["0.0 s", "2.0 s", "1:02.0"]


def test_clicking_a_contribution_bar_goes_to_its_sub_action(qtbot, tmp_path):
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "v.mp4", N_FRAMES)
    window = MainWindow(device_check=False)
    qtbot.addWidget(window)
    assert window.open_video(video)
    window.show_result(make_result(video))
    window.score_panel.click_row(2.2)  # the "Flight" bar
    qtbot.waitUntil(lambda: window.player.shown == 48, timeout=3000)
    assert "Flight" in window.statusBar().currentMessage()
    window.score_panel.click_row(7)  # below the bars: nothing
    assert window.player.target == 48


def test_score_bar_shows_frames_per_second_and_time_left_while_extracting_features(qtbot):
    from app.score_bar import ScoreBar

    bar = ScoreBar()
    qtbot.addWidget(bar)
    bar.set_video_frames(400)
    assert bar._rate_text("features", 10, 40, 2.0) == " · 50 frames/s · 6s left"  # a quarter in 2 s
    assert bar._rate_text("features", 0, 40, 2.0) == ""  # nothing to go by yet
    assert bar._rate_text("model", 0, 1, 2.0) == ""
    bar.set_running(True)
    bar.show_progress("features", 0, 40)
    bar.show_progress("features", 20, 40)
    assert bar.progress.format().startswith("20/40")
    assert bar.stage_label.text() == "Extracting features"


def test_score_panel_charts_fit_the_panel_at_its_narrowest(qtbot, tmp_path):
    """A title wider than the panel used to widen its plot past the widget and cut the bars off on the right."""
    panel = ScorePanel()
    qtbot.addWidget(panel)
    panel.resize(panel.minimumWidth(), 640)
    panel.show()
    result = make_result(tmp_path / "r.mp4", mean=7.25, contributions=[5.13, 8.66, -2.95, 3.81])
    result.subaction_names = ["Approach", "Take-off", "Rotation", "Entry"]
    panel.set_result(result)
    # the tick labels ("Take-off +8.66") widen the left axis when they are first drawn
    qtbot.waitUntil(lambda: panel.contrib_plot.getAxis("left").width() > 60)
    for plot in (panel.dist_plot, panel.contrib_plot):  # laid out in the narrow panel first
        qtbot.waitUntil(lambda plot=plot: 0 < plot.viewport().width() < panel.width())
        qtbot.waitUntil(
            lambda plot=plot: plot.getPlotItem().size().width() <= plot.viewport().width() + 1, timeout=2000
        )
        view = plot.getViewBox()
        shown = plot.mapFromScene(view.mapToScene(view.boundingRect()).boundingRect()).boundingRect()
        assert shown.right() <= plot.viewport().width() + 1  # the whole view box is on screen
    assert panel.contrib_title.text() == "Contribution per sub-action" and panel.dist_title.text()
    lo, hi = panel.contrib_plot.getViewBox().viewRange()[0]
    assert lo <= min(result.contributions) and hi >= max(result.contributions)
