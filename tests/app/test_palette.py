"""One palette: sub-action k and attempt k have the same colour on screen, in the PDF and in the PNG plots."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.colors import attempt_color, subaction_color
from app.comparison_tab import ComparisonTab
from app.report.canvas import subaction_qcolor
from vatp_core import palette

from .conftest import make_result


def test_screen_and_report_colours_are_the_palette():
    for k in range(12):
        assert subaction_color(k).name() == subaction_qcolor(k).name() == palette.subaction_color(k).lower()
        assert attempt_color(k).name() == palette.attempt_color(k).lower()


def test_comparison_curves_use_the_attempt_colours(qtbot, tmp_path):
    tab = ComparisonTab()
    qtbot.addWidget(tab)
    tab.add_attempt(make_result(tmp_path / "a.mp4", mean=6.0))
    tab.add_attempt(make_result(tmp_path / "b.mp4", mean=6.5))
    pens = [item.opts["pen"].color().name() for item in tab.curve_plot.getPlotItem().listDataItems()]
    assert pens == [palette.attempt_color(0).lower(), palette.attempt_color(1).lower()]


def _pixels_near(png, color: str, tolerance: int = 24) -> int:
    img = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    rgb = arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)
    return int((np.abs(rgb - palette.rgb(color)).sum(axis=2) < tolerance).sum())


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_draws_attempts_and_sub_actions_in_the_palette_colours(qapp, tmp_path):
    from app.report import render_report
    from tests.app.test_report import make_result as report_result

    out = render_report(report_result(None), tmp_path / "r.pdf", reference=report_result(None, mean=7.0))
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(out), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert all(_pixels_near(pages[0], palette.subaction_color(k)) > 50 for k in range(4))  # band and table
    for k in (0, 1):  # the cumulative chart: this attempt, then the reference
        assert sum(_pixels_near(page, palette.attempt_color(k)) for page in pages) > 50, k
