"""The app shows how sure a score is: the interval in the score panel and the plot, the warning banner, pack details."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest

from app.pack_details import pack_details_text
from app.review_tab import ReviewTab
from app.score_panel import ScorePanel
from vatp_core.charts import distribution_chart
from vatp_core.settings import Settings

from .conftest import make_result

INTERVAL = {"level": 0.9, "low": 61.2, "high": 75.6, "method": "split-conformal", "clipped": False}
OOD = {"flag": True, "distance": 80.0, "percentile": 100.0, "reason": "unlike the videos this pack was trained on"}


def test_score_panel_shows_the_interval_text_and_draws_it(qtbot, tmp_path):
    panel = ScorePanel()
    qtbot.addWidget(panel)
    result = dataclasses.replace(make_result(tmp_path / "r.mp4", mean=68.4), interval=dict(INTERVAL))
    panel.set_result(result)
    assert f"{panel.score_label.text()} — {panel.interval_label.text()}" == "68.4 — 90% between 61.2 and 75.6"
    band = distribution_chart(result).bands[0]
    assert min(band.x) <= 61.3 and max(band.x) >= 75.5  # the chart draws the interval, not ±σ
    chart = distribution_chart(result)
    assert chart.x.lo < 61.2 - 0.5 and chart.x.hi > 75.6 + 0.5  # with a margin: its edges read as the interval's
    assert 61.1 <= min(band.x) and max(band.x) <= 75.7  # and the band stops at them
    assert panel.dist_chart == distribution_chart(result) and _filled(panel) == 1  # and the screen draws that chart
    panel.set_result(make_result(tmp_path / "r.mp4"))
    assert "uncalibrated" in panel.interval_label.text() and _filled(panel) == 1  # ±σ, as in the PDF


def _filled(panel: ScorePanel) -> int:
    return sum(isinstance(item, pg.FillBetweenItem) for item in panel.dist_plot.getPlotItem().items)


def test_screen_and_pdf_draw_the_same_distribution_points(qtbot, tmp_path, monkeypatch):
    """One chart module: the score panel's curve and band are the points the PDF report draws."""
    from app.report import render_report, routine

    result = dataclasses.replace(make_result(tmp_path / "r.mp4", mean=68.4), interval=dict(INTERVAL))
    panel = ScorePanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    (curve,) = [item for item in panel.dist_plot.listDataItems() if isinstance(item, pg.PlotDataItem)]
    screen_x, screen_y = curve.getData()
    (fill,) = [item for item in panel.dist_plot.getPlotItem().items if isinstance(item, pg.FillBetweenItem)]
    band_x, band_y = fill.curves[0].getData()

    drawn = []
    draw_chart = routine.draw_chart
    monkeypatch.setattr(routine, "draw_chart", lambda c, rect, chart: drawn.append(chart) or draw_chart(c, rect, chart))
    render_report(result, tmp_path / "r.pdf")
    (pdf_chart,) = [chart for chart in drawn if chart.title == "Predicted score distribution"]
    np.testing.assert_allclose(screen_x, pdf_chart.series[0].x)
    np.testing.assert_allclose(screen_y, pdf_chart.series[0].y)
    np.testing.assert_allclose(band_x, pdf_chart.bands[0].x)
    np.testing.assert_allclose(band_y, pdf_chart.bands[0].y)
    assert min(band_x) == pytest.approx(61.2, abs=0.5) and max(band_x) == pytest.approx(75.6, abs=0.5)


def test_warning_banner_is_shown_with_an_ood_result_and_only_then(qtbot, tmp_path):
    tab = ReviewTab(Settings())
    qtbot.addWidget(tab)
    tab.show()
    tab.show_result(dataclasses.replace(make_result(tmp_path / "r.mp4"), ood=dict(OOD)))
    assert tab.ood_banner.isVisible()
    assert "unlike the videos this pack was trained on — treat the score with caution" in tab.ood_banner.text()
    tab.show_result(dataclasses.replace(make_result(tmp_path / "r.mp4"), out_of_range=True))
    assert tab.ood_banner.isVisible() and "outside the pack's score range" in tab.ood_banner.text()
    tab.show_result(make_result(tmp_path / "r.mp4"))
    assert not tab.ood_banner.isVisible()


def test_pack_details_say_whether_the_pack_is_calibrated():
    text = pack_details_text("demo")
    assert "synthaqa-demo" in text and ("calibration:" in text)
    assert "cannot be used" in pack_details_text("/no/such/pack")


def test_pack_details_show_the_sub_action_frame_accuracy(tmp_path):
    import json
    import shutil

    from vatp_core import paths

    pack = tmp_path / "pack"
    shutil.copytree(paths.demo_pack_path(), pack)
    manifest = json.loads((pack / "manifest.json").read_text())
    fa = {"n_videos": 20, "subactions": 4, "parse": 0.61, "equal_parts": 0.66, "parse_active": 0.7}
    manifest["metrics"] = {"test": {"n": 20, "spearman": 0.5, "rl2": 1.0, "mse": 2.0, "frame_accuracy": fa}}
    (pack / "manifest.json").write_text(json.dumps(manifest))
    text = pack_details_text(str(pack))
    assert "sub-action frame accuracy on 20 labelled videos: parse 0.610, 4 equal parts 0.660" in text
    assert "the parse is no better than equal parts" in text


def test_pack_list_warns_when_the_default_pack_is_missing(qtbot):
    from app.score_bar import ScoreBar

    bar = ScoreBar()
    qtbot.addWidget(bar)
    bar.fill_packs("club-pack-deleted")
    assert not bar.pack_warning.isHidden() and "'club-pack-deleted' is not installed" in bar.pack_warning.text()
    assert bar.pack == "demo"  # what will score, and the warning says so
    bar.fill_packs("")
    assert bar.pack_warning.isHidden() and bar.pack == "demo"


def test_batch_dialog_says_when_the_default_pack_is_missing(qtbot):
    from app.batch_dialog import BatchDialog
    from app.worker import InferenceService
    from tests.core.test_batch import FakeScorer
    from vatp_core.settings import load_settings, save_settings

    s = load_settings()
    s.default_pack = "club-pack-deleted"
    save_settings(s)
    service = InferenceService(scorer_factory=lambda pack, device: FakeScorer())
    try:
        dlg = BatchDialog(None, worker=service)
        qtbot.addWidget(dlg)
        assert "'club-pack-deleted' is not installed: the demo pack scores" in dlg.pack_combo.itemText(0)
        assert dlg.pack_combo.itemData(0) is None  # still the default entry
    finally:
        service.shutdown()
