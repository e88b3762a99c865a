"""Evaluation plots as PNG files drawn with OpenCV (no plotting library): the paper's Fig. 6 and Fig. 7.

The charts themselves (series, ranges, ticks, colours) come from `vatp_core.charts`, the same ones the
PDF report paints; this module only rasterises them.

- `scatter_png`: predicted vs. judged score, with the y = x line.
- `cs_curve_png`: cumulative score curves (share of routines with |error| ≤ α), one line per model/class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from . import palette
from .atomic import atomic_write
from .charts import Chart, cs_curve_chart, scatter_chart

_W, _H = 720, 540
_MARGIN = (80, 30, 40, 60)  # left, right, top, bottom
_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX
# Hershey fonts draw ASCII only.
_ASCII = str.maketrans({"α": "a", "σ": "s", "μ": "mu", "≤": "<=", "±": "+/-", "—": "-", "–": "-", "·": "-"})


def _ascii(text: str) -> str:
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def render_png(chart: Chart, path: str | Path) -> Path:
    """Draw ``chart`` into a 720 × 540 PNG."""
    import cv2

    ink, muted, grid = palette.bgr(palette.INK), palette.bgr(palette.MUTED), palette.bgr(palette.GRID)
    aa = cv2.LINE_AA
    img: np.ndarray = np.full((_H, _W, 3), 255, np.uint8)
    left, right, top, bottom = _MARGIN
    x0, x1, y0, y1 = left, _W - right, _H - bottom, top  # y0 is the bottom edge of the plot area
    (xa, xb), (ya, yb) = (chart.x.lo, chart.x.hi), (chart.y.lo, chart.y.hi)

    def px(x: float, y: float) -> tuple[int, int]:
        fx = (x - xa) / (xb - xa) if xb > xa else 0.5
        fy = (y - ya) / (yb - ya) if yb > ya else 0.5
        return int(round(x0 + fx * (x1 - x0))), int(round(y0 - fy * (y0 - y1)))

    for t, label in zip(chart.x.ticks, chart.x.tick_labels):
        x = px(t, ya)[0]
        if not chart.x.categorical:
            cv2.line(img, (x, y1), (x, y0), grid, 1)
        cv2.putText(img, _ascii(label), (x - 12, y0 + 20), _FONT, 0.45, muted, 1, aa)
    for t, label in zip(chart.y.ticks, chart.y.tick_labels):
        y = px(xa, t)[1]
        if not chart.y.categorical:
            cv2.line(img, (x0, y), (x1, y), grid, 1)
        cv2.putText(img, _ascii(label), (x0 - 50, y + 5), _FONT, 0.45, muted, 1, aa)
    for band in chart.bands:
        pts = np.array([px(x, y) for x, y in band.outline()])
        layer = img.copy()
        cv2.fillPoly(layer, [pts.astype(np.int32)], palette.bgr(band.color), aa)
        img = cv2.addWeighted(layer, band.alpha, img, 1 - band.alpha, 0)
    for line in chart.lines:
        cv2.line(img, px(line.x0, line.y0), px(line.x1, line.y1), palette.bgr(line.color), 1, aa)
    for s in chart.series:
        colour = palette.bgr(s.color)
        if s.style == "points":
            for vx, vy in zip(s.x, s.y):
                cv2.circle(img, px(vx, vy), 4, colour, -1, aa)
        else:
            xs, ys = s.path()
            pts = np.array([px(x, y) for x, y in zip(xs, ys)], np.int32)
            cv2.polylines(img, [pts], False, colour, 2, aa)
    cv2.rectangle(img, (x0, y1), (x1, y0), ink, 1)
    entries = chart.legend_entries()
    for i, (label, color, _dashed) in enumerate(entries):
        ly = (y1 + 20 + 22 * i) if chart.legend == "upper left" else (y0 - 20 - 22 * (len(entries) - 1 - i))
        lx = x0 + 12 if chart.legend == "upper left" else x1 - 170
        cv2.line(img, (lx, ly), (lx + 30, ly), palette.bgr(color), 2)
        cv2.putText(img, _ascii(label)[:18], (lx + 38, ly + 5), _FONT, 0.45, ink, 1, aa)
    cv2.putText(img, _ascii(chart.title)[:70], (x0, 25), _FONT, 0.6, ink, 1, aa)
    xlabel, ylabel = _ascii(chart.x.label), _ascii(chart.y.label)
    cv2.putText(img, xlabel, ((x0 + x1) // 2 - 5 * len(xlabel), _H - 15), _FONT, 0.5, ink, 1, aa)
    if ylabel:
        strip = np.full((24, 10 * len(ylabel) + 10, 3), 255, np.uint8)
        cv2.putText(strip, ylabel, (2, 17), _FONT, 0.5, ink, 1, aa)
        rotated = np.rot90(strip)
        h, w = rotated.shape[:2]
        top_y = max(0, (y0 + y1) // 2 - h // 2)
        img[top_y : top_y + min(h, _H - top_y), 4 : 4 + w] = rotated[: _H - top_y]
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise OSError(f"could not encode {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buf.tobytes())
    return path


def scatter_png(
    true: Sequence[float],
    pred: Sequence[float],
    path: str | Path,
    *,
    title: str = "",
    score_range: Sequence[float] | None = None,
) -> Path:
    """Predicted (y) vs judged (x) scores with the y = x diagonal (paper Fig. 6)."""
    return render_png(scatter_chart(pred, true, score_range=score_range, title=title), path)


def cs_curve_png(
    curves: dict[str, tuple[Sequence[float], Sequence[float]]], path: str | Path, *, title: str = ""
) -> Path:
    """Cumulative score curves: share of routines with |error| ≤ α against α (paper Fig. 7)."""
    return render_png(cs_curve_chart(curves, title=title), path)
