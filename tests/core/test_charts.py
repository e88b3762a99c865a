"""vatp_core.charts: the one computation of the scatter, CS curve, distribution and cumulative charts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vatp_core import palette
from vatp_core.charts import (
    cs_curve_chart,
    cs_curve_of,
    nice_ticks,
    scatter_chart,
    tick_labels,
)
from vatp_core.metrics import cumulative_score_curve
from vatp_core.plots import cs_curve_png


def test_nice_ticks_and_their_labels():
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0, 1.02, 4) == [0, 0.5, 1.0]
    assert nice_ticks(float("nan"), 1) == []
    assert tick_labels([0, 2.5, 5.0]) == ["0.0", "2.5", "5.0"]
    assert tick_labels([0, 5, 10]) == ["0", "5", "10"]
    assert tick_labels([0.25, 0.5]) == ["0.25", "0.50"]


def test_scatter_chart_is_square_with_the_identity_line():
    chart = scatter_chart([5.0, 8.0], [5.5, 7.5], score_range=(0, 10))
    assert (chart.x.lo, chart.x.hi) == (chart.y.lo, chart.y.hi) and chart.x.lo < 0 < 10 < chart.x.hi
    (points,) = chart.series
    assert points.style == "points" and points.x == [5.5, 7.5] and points.y == [5.0, 8.0]
    line = chart.lines[0]
    assert (line.x0, line.y0, line.x1, line.y1) == (chart.x.lo, chart.x.lo, chart.x.hi, chart.x.hi)
    with pytest.raises(ValueError):
        scatter_chart([], [])


def test_cs_curves_share_the_threshold_axis_and_attempt_colours():
    chart = cs_curve_chart({"A": ([0, 1, 2], [0.2, 0.7, 1.0]), "B": ([0, 3], [0.1, 1.0])})
    a, b = chart.series
    assert a.x[-1] == b.x[-1] == chart.x.hi == 3 and a.y[-1] == 1.0  # A held at its last share
    assert [s.color for s in chart.series] == [palette.attempt_color(0), palette.attempt_color(1)]
    assert chart.legend_entries() == [("A", a.color, False), ("B", b.color, False)]
    pred, true = np.array([7.0, 5.0, 8.0]), np.array([7.5, 4.0, 8.25])
    (one,) = cs_curve_of(pred, true).series
    alphas, shares = cumulative_score_curve(pred, true)
    assert one.x == alphas.tolist() and one.y == shares.tolist()
    with pytest.raises(ValueError):
        cs_curve_chart({})


def test_png_curve_k_is_drawn_in_attempt_colour_k(tmp_path):
    path = cs_curve_png({"A": ([0, 1, 2], [0.2, 0.7, 1.0]), "B": ([0, 3], [0.1, 1.0])}, tmp_path / "c.png")
    img = cv2.imread(str(path)).astype(int)
    for k in (0, 1):
        near = np.abs(img - palette.bgr(palette.attempt_color(k))).sum(axis=2) < 20
        assert near.sum() > 100, k


def test_palette_conversions():
    assert palette.rgb("#1F77B4") == (31, 119, 180) and palette.bgr("#1F77B4") == (180, 119, 31)
    assert palette.text_on("#F0E442") == palette.INK and palette.text_on("#0072B2") == palette.PAPER
    assert palette.subaction_color(len(palette.SUBACTION_COLORS)) == palette.SUBACTION_COLORS[0]
    with pytest.raises(ValueError):
        palette.rgb("blue")
