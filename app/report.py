"""PDF reports drawn with QPdfWriter + QPainter from a ScoreResult (vector plots, embedded fonts).

The same code runs in the app (File → Export report…) and headless from `vatp report` / `vatp batch
--reports`, so a report never depends on a window: it only needs a QGuiApplication for fonts. Plots are
QPainterPaths and rectangles (they stay sharp when zoomed); key frames are the only raster images.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

from PySide6.QtCore import QCoreApplication, QDate, QMarginsF, QPointF, QRectF, Qt, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from vatp_core.time_format import clock as _fmt_time

log = logging.getLogger(__name__)

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
RESOLUTION = 300  # dots per inch of the PDF's device space; drawing happens in points (1/72 in)
KEYFRAME_MAX_SIDE = 480  # pixels: sharp in print at the size drawn, small in the file

SUBACTION_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
INK = QColor("#1b1f24")
MUTED = QColor("#5f6b76")
GRID = QColor("#d5dbe1")
ACCENT = QColor("#1f5fa8")
WARN_BG = QColor("#fff1e0")
WARN_FG = QColor("#9a4a00")


@dataclass
class ReportFields:
    """What the person exporting fills in: printed in the report's header."""

    title: str = "Routine score report"
    athlete: str = ""
    routine: str = ""
    date: str = ""
    notes: str = ""


# --- the page canvas ---------------------------------------------------------------------------
def ensure_gui_application() -> QCoreApplication:
    """A Qt application for painting fonts into a PDF: the running one, else a new offscreen one (no window),
    so the CLI and batch make reports headless. A QApplication, so widgets can still be made later."""
    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["vatp"])
    return app


class _Canvas:
    """A QPdfWriter + QPainter drawing in points, with a flowing cursor, page breaks and footers."""

    def __init__(self, path: Path, page_size: str, title: str, footer: str) -> None:
        ensure_gui_application()
        if page_size not in PAGE_SIZES:
            raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}, not {page_size!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = QPdfWriter(str(path))
        self.writer.setResolution(RESOLUTION)
        self.writer.setPageLayout(
            QPageLayout(QPageSize(PAGE_SIZES[page_size]), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0))
        )
        self.writer.setTitle(title)
        self.writer.setCreator("VATP Studio")
        rect = self.writer.pageLayout().fullRect(QPageLayout.Unit.Point)
        self.width, self.height = rect.width(), rect.height()
        self.margin = 42.0
        self.footer_text = footer
        self.page = 1
        self.painter = QPainter()
        if not self.painter.begin(self.writer):
            raise OSError(f"Cannot write the PDF file {path}")
        self._setup()
        self.y = self.margin

    def _setup(self) -> None:
        p = self.painter
        p.resetTransform()
        scale = RESOLUTION / 72.0
        p.scale(scale, scale)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin

    @property
    def bottom(self) -> float:
        return self.height - self.margin - 14

    def font(self, size: float, bold: bool = False, italic: bool = False) -> QFont:
        f = QFont()
        f.setFamilies(["DejaVu Sans", "Helvetica", "Arial", "Sans Serif"])
        f.setPointSizeF(size * 72.0 / RESOLUTION)  # so that 1 unit of text = 1 point after the painter's scale
        f.setBold(bold)
        f.setItalic(italic)
        # no shaping, hence no ligatures: text copied from the PDF (and pdftotext) reads as typed
        f.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
        return f

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.writer)

    def text(
        self,
        rect: QRectF,
        text: str,
        size: float = 9.5,
        *,
        bold: bool = False,
        italic: bool = False,
        color: QColor = INK,
        align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
        wrap: bool = False,
    ) -> float:
        """Draw text in ``rect``; returns the height used."""
        font = self.font(size, bold, italic)
        self.painter.setFont(font)
        self.painter.setPen(QPen(color))
        flags = int(align.value if hasattr(align, "value") else align)
        if wrap:
            flags |= int(Qt.TextFlag.TextWordWrap.value)
        else:
            text = self.metrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        used = self.painter.boundingRect(rect, flags, text)
        self.painter.drawText(rect, flags, text)
        return used.height()

    def text_height(self, text: str, width: float, size: float = 9.5, bold: bool = False) -> float:
        self.painter.setFont(self.font(size, bold))
        flags = int(Qt.TextFlag.TextWordWrap.value) | int(Qt.AlignmentFlag.AlignLeft.value)
        return self.painter.boundingRect(QRectF(0, 0, width, 10_000), flags, text).height()

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return self.metrics(self.font(size, bold)).horizontalAdvance(text)

    def heading(self, text: str, keep_with: float = 20.0) -> None:
        """A section title; ``keep_with`` points of what follows must fit on the same page."""
        self.need(30 + keep_with)
        self.y += 6
        self.text(QRectF(self.margin, self.y, self.content_width, 16), text, 12.5, bold=True, color=ACCENT)
        self.y += 17
        self.painter.setPen(QPen(GRID, 0.8))
        self.painter.drawLine(QPointF(self.margin, self.y), QPointF(self.width - self.margin, self.y))
        self.y += 7

    def table_header(self, cols: list[tuple[str, float]], row_h: float) -> None:
        """One row of column titles (name, width) from the left margin, then move below it."""
        x = self.margin
        for head, w in cols:
            self.text(
                QRectF(x, self.y, w, row_h),
                head,
                8,
                bold=True,
                color=MUTED,
                align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            )
            x += w
        self.y += row_h

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit above the footer."""
        if self.y + height > self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self._footer()
        self.writer.newPage()
        self.page += 1
        self._setup()
        self.y = self.margin

    def _footer(self) -> None:
        y = self.height - self.margin + 2
        self.painter.setPen(QPen(GRID, 0.6))
        self.painter.drawLine(QPointF(self.margin, y - 4), QPointF(self.width - self.margin, y - 4))
        self.text(QRectF(self.margin, y, self.content_width - 60, 12), self.footer_text, 7.5, color=MUTED)
        self.text(
            QRectF(self.width - self.margin - 60, y, 60, 12),
            f"page {self.page}",
            7.5,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
        )

    def finish(self) -> None:
        self._footer()
        self.painter.end()


# --- small plotting helpers (vector) ---------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 × 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.3g}"


@dataclass
class _Axes:
    """A data → page mapping of a plot area."""

    rect: QRectF
    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: float) -> float:
        return self.rect.left() + (x - self.x0) / ((self.x1 - self.x0) or 1.0) * self.rect.width()

    def py(self, y: float) -> float:
        return self.rect.bottom() - (y - self.y0) / ((self.y1 - self.y0) or 1.0) * self.rect.height()

    def pt(self, x: float, y: float) -> QPointF:
        return QPointF(self.px(x), self.py(y))


def _draw_axes(
    c: _Canvas,
    rect: QRectF,
    xr: tuple[float, float],
    yr: tuple[float, float],
    xlabel: str = "",
    ylabel: str = "",
    y_ticks: bool = True,
) -> _Axes:
    """Frame, grid, ticks and labels; returns the mapping for the plot area inside ``rect``."""
    left = 30 if y_ticks else 8
    area = QRectF(rect.left() + left, rect.top() + 4, rect.width() - left - 6, rect.height() - 4 - 24)
    ax = _Axes(area, xr[0], xr[1], yr[0], yr[1])
    p = c.painter
    for t in nice_ticks(*xr):
        if xr[0] - 1e-9 <= t <= xr[1] + 1e-9:
            p.setPen(QPen(GRID, 0.5))  # set every time: drawing the tick label changes the pen
            p.drawLine(QPointF(ax.px(t), area.top()), QPointF(ax.px(t), area.bottom()))
            c.text(
                QRectF(ax.px(t) - 20, area.bottom() + 2, 40, 10),
                _fmt_tick(t),
                7,
                color=MUTED,
                align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            )
    if y_ticks:
        for t in nice_ticks(*yr, n=4):
            if yr[0] - 1e-9 <= t <= yr[1] + 1e-9:
                p.setPen(QPen(GRID, 0.5))
                p.drawLine(QPointF(area.left(), ax.py(t)), QPointF(area.right(), ax.py(t)))
                c.text(
                    QRectF(rect.left(), ax.py(t) - 5, left - 3, 10),
                    _fmt_tick(t),
                    7,
                    color=MUTED,
                    align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                )
    p.setPen(QPen(MUTED, 0.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(area)
    if xlabel:
        c.text(
            QRectF(area.left(), area.bottom() + 12, area.width(), 10),
            xlabel,
            7.5,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
        )
    if ylabel:
        p.save()
        p.translate(rect.left() - 2, area.center().y())
        p.rotate(-90)
        c.text(
            QRectF(-area.height() / 2, -1, area.height(), 10),
            ylabel,
            7.5,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
        )
        p.restore()
    return ax


def _polyline(ax: _Axes, xs: Sequence[float], ys: Sequence[float]) -> QPainterPath:
    path = QPainterPath()
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i == 0:
            path.moveTo(ax.pt(x, y))
        else:
            path.lineTo(ax.pt(x, y))
    return path


def _legend(c: _Canvas, x: float, y: float, entries: Iterable[tuple[str, QColor, bool]]) -> None:
    for label, color, dashed in entries:
        pen = QPen(color, 1.6)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        c.painter.setPen(pen)
        c.painter.drawLine(QPointF(x, y + 5), QPointF(x + 16, y + 5))
        c.text(QRectF(x + 20, y, 200, 10), label, 7.5, color=INK)
        y += 11


def draw_distribution(c: _Canvas, rect: QRectF, result: Any) -> None:
    """The predicted score distribution: density curve, μ line and the ±σ band."""
    xs = list((result.distribution or {}).get("x") or [])
    ys = list((result.distribution or {}).get("pdf") or [])
    mu, sd = float(result.mean), max(float(result.std), 1e-9)
    lo_hi = (result.pack or {}).get("score_range") or []
    width = abs(float(lo_hi[1]) - float(lo_hi[0])) if len(lo_hi) == 2 else 0.0
    half = max(4.0 * sd, 0.01 * width)  # zoom on the distribution when σ is small against the range
    if len(xs) == len(ys) and len(xs) >= 2:
        inside = [(x, y) for x, y in zip(xs, ys) if mu - half <= x <= mu + half]
        xs, ys = ([x for x, _ in inside], [y for _, y in inside]) if len(inside) >= 30 else ([], [])
    if len(xs) < 2:  # too few stored points in view: draw the normal N(μ, σ²) the result describes
        xs = [mu + half * (k / 80.0) for k in range(-80, 81)]
        ys = [math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) for x in xs]
    x0, x1 = min(xs), max(xs)
    top = max(ys) * 1.12 or 1.0
    ax = _draw_axes(c, rect, (x0, x1), (0.0, top), xlabel="predicted score", y_ticks=False)
    p = c.painter
    p.save()
    p.setClipRect(ax.rect)
    band = QPainterPath()
    inside = [(x, y) for x, y in zip(xs, ys) if mu - sd <= x <= mu + sd]
    if inside:
        band.moveTo(ax.pt(inside[0][0], 0))
        for x, y in inside:
            band.lineTo(ax.pt(x, y))
        band.lineTo(ax.pt(inside[-1][0], 0))
        band.closeSubpath()
        p.fillPath(band, QBrush(QColor(31, 95, 168, 60)))
    p.setPen(QPen(ACCENT, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(_polyline(ax, xs, ys))
    pen = QPen(INK, 1.0)
    pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.drawLine(ax.pt(mu, 0), ax.pt(mu, top))
    p.restore()


def draw_attention_strip(c: _Canvas, rect: QRectF, result: Any) -> None:
    """Sub-action bands over the timeline, then one heat row per sub-action (the ParseFormer attention)."""
    n_frames = int((result.video or {}).get("n_frames") or 0)
    ranges = [tuple(r) for r in (result.clip_ranges or [])]
    if ranges:
        n_frames = max(n_frames, max(int(b) for _, b in ranges) + 1)
    n_frames = max(n_frames, 1)
    fps = float((result.video or {}).get("fps") or 0) or 25.0
    names = list(result.subaction_names or [])
    att = [list(row) for row in (result.attention or [])]
    label_w = 92.0
    area = QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w, rect.height() - 22)
    p = c.painter

    def fx(frame: float) -> float:
        return area.left() + frame / n_frames * area.width()

    band_h = 14.0
    rows = max(1, len(att))
    row_h = min(14.0, (area.height() - band_h - 4) / rows)
    # segment band
    c.text(
        QRectF(rect.left(), area.top() + 1, label_w - 6, band_h),
        "sub-actions",
        7.5,
        color=MUTED,
        align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    )
    p.setPen(QPen(GRID, 0.5))
    p.setBrush(QBrush(QColor("#f3f5f7")))
    p.drawRect(QRectF(area.left(), area.top(), area.width(), band_h))
    for seg in result.segments or []:
        color = QColor(SUBACTION_COLORS[seg.index % len(SUBACTION_COLORS)])
        r = QRectF(fx(seg.start_frame), area.top(), max(0.6, fx(seg.end_frame + 1) - fx(seg.start_frame)), band_h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(color))
        p.drawRect(r)
        c.text(
            r.adjusted(2, 0, -1, 0),
            seg.name,
            6.5,
            color=QColor("white"),
            bold=True,
            align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        )
    # heat rows (one colour scale for all rows, so a flat row reads as flat, a peaked one as peaked)
    peak = max((max(row) for row in att if row), default=0.0)
    y = area.top() + band_h + 4
    for s, row in enumerate(att):
        color = QColor(SUBACTION_COLORS[s % len(SUBACTION_COLORS)])
        name = names[s] if s < len(names) else f"sub-action {s + 1}"
        c.text(
            QRectF(rect.left(), y, label_w - 6, row_h),
            name,
            7,
            color=INK,
            align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        )
        p.setPen(Qt.PenStyle.NoPen)
        for t, value in enumerate(row):
            if t < len(ranges):
                first, last = ranges[t]
                nxt = ranges[t + 1][0] if t + 1 < len(ranges) else last + 1
                end = min(last + 1, max(nxt, first + 1))
            else:
                first, end = t * n_frames / len(row), (t + 1) * n_frames / len(row)
            a = (value / peak) if peak > 0 else 0.0
            cell = QColor(color)
            cell.setAlphaF(0.08 + 0.92 * max(0.0, min(1.0, a)))
            p.setBrush(QBrush(cell))
            p.drawRect(QRectF(fx(first), y, max(0.3, fx(end) - fx(first)), row_h - 1.5))
        y += row_h
    p.setPen(QPen(GRID, 0.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(area.left(), area.top() + band_h + 4, area.width(), y - (area.top() + band_h + 4)))
    # time axis
    duration = n_frames / fps
    for t in nice_ticks(0.0, duration, n=8):
        x = fx(t * fps)
        p.setPen(QPen(MUTED, 0.5))
        p.drawLine(QPointF(x, y), QPointF(x, y + 3))
        c.text(
            QRectF(x - 20, y + 3, 40, 10),
            _fmt_tick(t),
            7,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
        )
    c.text(
        QRectF(area.left(), y + 12, area.width(), 10),
        "time (s)",
        7,
        color=MUTED,
        align=Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
    )


def cumulative_series(result: Any) -> tuple[list[float], list[float]]:
    """(seconds, cumulative score) of one attempt, from the result's cumulative curve."""
    cum = result.cumulative or {}
    frames = list(cum.get("frames") or [])
    scores = list(cum.get("scores") or [])
    fps = float((result.video or {}).get("fps") or 0) or 25.0
    n = min(len(frames), len(scores))
    return [float(f) / fps for f in frames[:n]], [float(s) for s in scores[:n]]


def draw_lines(
    c: _Canvas,
    rect: QRectF,
    series: list[tuple[str, list[float], list[float], QColor, bool]],
    xlabel: str,
    ylabel: str,
    y_range: tuple[float, float] | None = None,
    step: bool = False,
) -> None:
    """A line chart of several series with a legend (cumulative curves, CS curves)."""
    xs_all = [x for _, xs, _, _, _ in series for x in xs]
    ys_all = [y for _, _, ys, _, _ in series for y in ys]
    if not xs_all:
        return
    x0, x1 = min(xs_all), max(xs_all)
    if x1 <= x0:
        x1 = x0 + 1
    if y_range is None:
        y0, y1 = min(ys_all), max(ys_all)
        pad = (y1 - y0) * 0.08 or 0.5
        y_range = (y0 - pad, y1 + pad)
    ax = _draw_axes(c, rect, (x0, x1), y_range, xlabel=xlabel, ylabel=ylabel)
    p = c.painter
    p.save()
    p.setClipRect(ax.rect.adjusted(-1, -1, 1, 1))
    for _, xs, ys, color, dashed in series:
        if step and len(xs) > 1:
            sx, sy = [xs[0]], [ys[0]]
            for x, y in zip(xs[1:], ys[1:]):
                sx += [x, x]
                sy += [sy[-1], y]
            xs, ys = sx, sy
        pen = QPen(color, 1.6)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(_polyline(ax, xs, ys))
    p.restore()
    _legend(c, ax.rect.left() + 6, ax.rect.top() + 4, [(label, color, dashed) for label, _, _, color, dashed in series])


def draw_scatter(c: _Canvas, rect: QRectF, pred: list[float], true: list[float]) -> None:
    """Predicted against true score, with the identity line (paper Fig. 6)."""
    lo = min(pred + true)
    hi = max(pred + true)
    pad = (hi - lo) * 0.06 or 0.5
    ax = _draw_axes(c, rect, (lo - pad, hi + pad), (lo - pad, hi + pad), xlabel="true score", ylabel="predicted")
    p = c.painter
    pen = QPen(MUTED, 0.8)
    pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.drawLine(ax.pt(lo - pad, lo - pad), ax.pt(hi + pad, hi + pad))
    p.setPen(QPen(ACCENT.darker(130), 0.5))
    p.setBrush(QBrush(QColor(31, 95, 168, 150)))
    for x, y in zip(true, pred):
        p.drawEllipse(ax.pt(x, y), 2.2, 2.2)


# --- key frames ------------------------------------------------------------------------------------
def _frame_to_qimage(frame: Any) -> QImage:
    import numpy as np

    arr = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def key_frames(result: Any, video_path: str | Path | None = None) -> tuple[list[tuple[Any, int, QImage]], str]:
    """One frame from the middle of each sub-action, read through vatp_core.video; a note when impossible."""
    segments = list(result.segments or [])
    if not segments:
        return [], "No sub-action was placed in time, so there are no key frames."
    candidates = [Path(video_path)] if video_path else []
    stored = (result.video or {}).get("path")
    if stored:
        candidates.append(Path(stored))
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        where = str(candidates[0]) if candidates else "(no path stored in the result)"
        return [], f"Key frames not included: the video was not found at {where}."
    try:
        from vatp_core.video import open_video

        frames = []
        with open_video(path) as reader:
            n = len(reader)
            expected = int((result.video or {}).get("n_frames") or n)
            if n != expected:  # another file now sits at that path: its frames would mislabel the sub-actions
                return [], (f"Key frames not included: {path.name} has {n} frames, the scored video had {expected}.")
            for seg in segments:
                i = max(0, min(n - 1, (int(seg.start_frame) + int(seg.end_frame)) // 2))
                if hasattr(reader, "preview"):
                    img = reader.preview(i, KEYFRAME_MAX_SIDE)
                else:
                    img = reader.frame(i)
                frames.append((seg, i, _frame_to_qimage(img)))
        return frames, ""
    except Exception as exc:  # a video that no longer decodes must not stop the report
        log.warning("key frames from %s failed: %s", path, exc)
        return [], f"Key frames not included: {path.name} could not be read ({exc})."


# --- the routine report ----------------------------------------------------------------------------
def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def _protocol_text(protocol: Any) -> str:
    if isinstance(protocol, dict):
        name = protocol.get("name", "")
        extra = ", ".join(f"{k} {v}" for k, v in protocol.items() if k != "name" and v not in (None, "", [], {}))
        return f"{name} ({extra})" if extra else str(name)
    return str(protocol or "")


def _not_for_judging(pack: dict) -> str:
    label = str(pack.get("label") or "")
    if pack.get("not_for_judging"):
        return label or "not for judging"
    return label if "judg" in label.lower() else ""


def _pack_manifest(pack: dict) -> dict:
    """The pack's manifest.json (description, training data, metrics) when the pack is still where it was."""
    import json
    import zipfile

    path = Path(str(pack.get("path") or ""))
    try:
        if path.is_dir() and (path / "manifest.json").is_file():
            return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                name = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "manifest.json"), None)
                if name and zf.getinfo(name).file_size < 10_000_000:
                    return json.loads(zf.read(name).decode("utf-8"))
    except (OSError, ValueError, zipfile.BadZipFile):
        pass
    return {}


def render_report(
    result: Any,
    out: str | Path,
    *,
    fields: ReportFields | None = None,
    reference: Any = None,
    page_size: str = "A4",
    video_path: str | Path | None = None,
) -> Path:
    """Write the PDF report of one scored routine (``reference``: an earlier attempt to compare with)."""
    out = Path(out)
    fields = fields or ReportFields()
    pack = dict(result.pack or {})
    video = dict(result.video or {})
    warning = _not_for_judging(pack)
    from vatp_core import __version__

    footer = f"VATP Studio {__version__} · {result.video_name} · pack {pack.get('name', '?')}"
    if warning:
        footer += f" · {warning}"
    c = _Canvas(out, page_size, fields.title or "Routine score report", footer)
    try:
        _report_body(c, result, fields, reference, pack, video, warning, video_path)
    finally:
        c.finish()
    return out


def _report_body(
    c: _Canvas,
    result: Any,
    fields: ReportFields,
    reference: Any,
    pack: dict,
    video: dict,
    warning: str,
    video_path: str | Path | None,
) -> None:
    W, M = c.content_width, c.margin
    # title + fields
    c.text(QRectF(M, c.y, W, 24), fields.title or "Routine score report", 19, bold=True)
    c.y += 28
    col = W / 3
    info = [
        ("Athlete", fields.athlete or "—"),
        ("Routine", fields.routine or result.video_name),
        ("Date", fields.date or date.today().isoformat()),
    ]
    for k, (label, value) in enumerate(info):
        x = M + k * col
        c.text(QRectF(x, c.y, col - 8, 10), label.upper(), 7, bold=True, color=MUTED)
        c.text(QRectF(x, c.y + 10, col - 8, 14), value, 10.5)
    c.y += 28
    c.text(
        QRectF(M, c.y, W, 11),
        f"Video: {result.video_name}  ·  {video.get('n_frames', '?')} frames  ·  "
        f"{float(video.get('fps') or 0):.2f} fps  ·  {_fmt_time(float(video.get('duration') or 0))}  ·  "
        f"scored {str(result.created)[:19].replace('T', ' ')}",
        8,
        color=MUTED,
    )
    c.y += 14
    if fields.notes:
        c.y += c.text(QRectF(M, c.y, W, 200), fields.notes, 9, italic=True, wrap=True) + 4
    if warning:
        r = QRectF(M, c.y, W, 20)
        c.painter.setPen(QPen(WARN_FG, 0.8))
        c.painter.setBrush(QBrush(WARN_BG))
        c.painter.drawRoundedRect(r, 3, 3)
        c.text(
            r.adjusted(8, 0, -8, 0),
            f"⚠  Model pack “{pack.get('name', '?')}”: {warning}",
            9,
            bold=True,
            color=WARN_FG,
            align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        )
        c.y += 26

    # score + distribution
    c.heading("Predicted score")
    top = c.y
    left_w = 170.0
    c.text(QRectF(M, top, left_w, 40), f"{result.mean:.2f}", 34, bold=True, color=ACCENT)
    c.text(QRectF(M, top + 42, left_w, 14), f"± {result.std:.2f}  (μ ± σ)", 11)
    lines = []
    lo_hi = pack.get("score_range")
    if lo_hi:
        lines.append(f"score range {float(lo_hi[0]):g}–{float(lo_hi[1]):g}")
    if result.difficulty is not None:
        raw = result.raw_mean if result.raw_mean is not None else result.mean / (result.difficulty or 1)
        lines.append(f"difficulty {result.difficulty:g} × execution {raw:.3f}")
    if result.segments:
        lines.append(f"baseline {result.baseline_mean:.2f} + sub-actions {sum(result.contributions or [0]):+.2f}")
    c.text(QRectF(M, top + 60, left_w, 40), "\n".join(lines), 8, color=MUTED, wrap=True)
    draw_distribution(c, QRectF(M + left_w + 10, top, W - left_w - 10, 112), result)
    c.y = top + 118

    # sub-action table
    c.heading("Sub-actions")
    segs = list(result.segments or [])
    names = list(result.subaction_names or [])
    contributions = list(result.contributions or [])
    placed = {s.index for s in segs}
    unplaced = [(i, n) for i, n in enumerate(names) if i not in placed]
    cols = [("#", 18), ("Sub-action", 150), ("Time", 96), ("Frames", 82), ("Contribution", W - 346)]
    row_h = 15.0
    c.need(row_h * (len(segs) + len(unplaced) + 2))
    c.table_header(cols, row_h)
    all_c = [abs(s.contribution) for s in segs] + [abs(contributions[i]) for i, _ in unplaced if i < len(contributions)]
    cmax = max(all_c + [1e-9])
    bar_w = cols[-1][1] - 60

    def table_row(k: int, index: int, name: str, time_txt: str, frame_txt: str, contrib: float | None) -> None:
        if k % 2 == 0:
            c.painter.setPen(Qt.PenStyle.NoPen)
            c.painter.setBrush(QBrush(QColor("#f5f7f9")))
            c.painter.drawRect(QRectF(M, c.y, W, row_h))
        color = QColor(SUBACTION_COLORS[index % len(SUBACTION_COLORS)])
        c.painter.setBrush(QBrush(color))
        c.painter.setPen(Qt.PenStyle.NoPen)
        c.painter.drawRect(QRectF(M + cols[0][1], c.y + 4, 7, 7))
        vals = [str(k + 1), name, time_txt, frame_txt]
        xx = M
        for (head, w), v in zip(cols, vals):
            off = 11 if head == "Sub-action" else 0
            c.text(
                QRectF(xx + off, c.y, w - off, row_h),
                v,
                8.5,
                align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            )
            xx += w
        if contrib is not None:
            c.text(
                QRectF(xx, c.y, 50, row_h),
                f"{contrib:+.3f}",
                8.5,
                align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            )
            mid = xx + 60 + bar_w / 2
            length = contrib / cmax * (bar_w / 2 - 2)
            c.painter.setBrush(QBrush(QColor("#2e8b57") if contrib >= 0 else QColor("#c0392b")))
            c.painter.drawRect(QRectF(min(mid, mid + length), c.y + 4, abs(length), row_h - 8))
            c.painter.setPen(QPen(MUTED, 0.5))
            c.painter.drawLine(QPointF(mid, c.y + 2), QPointF(mid, c.y + row_h - 2))
        c.y += row_h

    for k, seg in enumerate(segs):
        table_row(
            k,
            seg.index,
            seg.name,
            f"{_fmt_time(seg.start_time)} – {_fmt_time(seg.end_time)}",
            f"{seg.start_frame}–{seg.end_frame}",
            seg.contribution,
        )
    for j, (i, name) in enumerate(unplaced):
        table_row(
            len(segs) + j, i, name, "not placed in time", "—", contributions[i] if i < len(contributions) else None
        )
    if not segs and not unplaced:
        c.text(
            QRectF(M, c.y, W, 14),
            "This model pack does not parse the routine into sub-actions.",
            9,
            italic=True,
            color=MUTED,
        )
        c.y += 16

    # attention strip
    if result.attention:
        c.heading("Attention along the routine", keep_with=14 + 4 + 14.0 * len(result.attention) + 46)
        h = 14 + 4 + 14.0 * len(result.attention) + 26
        c.need(h + 20)
        draw_attention_strip(c, QRectF(M, c.y, W, h), result)
        c.y += h + 4
        c.text(
            QRectF(M, c.y, W, 24),
            "Each row shows where in the video the model looked for that sub-action "
            "(darker = more attention); the band above shows the parsed sub-actions.",
            7.5,
            color=MUTED,
            wrap=True,
        )
        c.y += 20

    # key frames
    frames, note = key_frames(result, video_path)
    fps = float(video.get("fps") or 25.0)
    ncol = max(1, min(4, len(frames)))
    gap = 8.0
    cell_w = (W - gap * (ncol - 1)) / ncol
    aspect = max((img.height() / max(1, img.width()) for _, _, img in frames), default=0.0)
    img_h = min(cell_w * aspect, 150.0)
    c.heading("Key frames", keep_with=(img_h + 30) if frames else 20)
    if note:
        c.text(QRectF(M, c.y, W, 30), note, 9, italic=True, color=MUTED, wrap=True)
        c.y += c.text_height(note, W, 9) + 6
    for start in range(0, len(frames), ncol):
        c.need(img_h + 30)
        for k, (seg, idx, img) in enumerate(frames[start : start + ncol]):
            x = M + k * (cell_w + gap)
            w = min(cell_w, img_h * img.width() / max(1, img.height()))
            target = QRectF(x, c.y, w, w * img.height() / max(1, img.width()))
            c.painter.drawImage(target, img)
            c.painter.setPen(QPen(QColor(SUBACTION_COLORS[seg.index % len(SUBACTION_COLORS)]), 2))
            c.painter.setBrush(Qt.BrushStyle.NoBrush)
            c.painter.drawRect(target)
            c.text(QRectF(x, c.y + img_h + 3, cell_w, 11), seg.name, 8.5, bold=True)
            c.text(QRectF(x, c.y + img_h + 14, cell_w, 10), f"frame {idx} · {_fmt_time(idx / fps)}", 7.5, color=MUTED)
        c.y += img_h + 30

    # cumulative comparison
    xs, ys = cumulative_series(result)
    if xs:
        c.heading(
            "Cumulative score" + (" — comparison with the reference attempt" if reference is not None else ""),
            keep_with=170,
        )
        series = [(f"this attempt ({result.mean:.2f})", xs, ys, ACCENT, False)]
        if reference is not None:
            rx, ry = cumulative_series(reference)
            if rx:
                series.append(
                    (f"reference: {reference.video_name} ({reference.mean:.2f})", rx, ry, QColor("#d35400"), True)
                )
        draw_lines(c, QRectF(M, c.y, W, 160), series, "time (s)", "score so far", step=True)
        c.y += 164
        text = "The curve starts at the baseline score and adds each sub-action's contribution when it ends."
        if reference is not None:
            diff = result.mean - reference.mean
            text += f" This attempt scores {diff:+.2f} against the reference."
            ref_by_name = {s.name: s.contribution for s in reference.segments or []}
            deltas = [(s.name, s.contribution - ref_by_name[s.name]) for s in segs if s.name in ref_by_name]
            if deltas:
                text += " Per sub-action: " + ", ".join(f"{n} {d:+.2f}" for n, d in deltas) + "."
        c.y += c.text(QRectF(M, c.y, W, 60), text, 8, color=MUTED, wrap=True) + 6
    elif reference is not None:
        c.heading("Comparison with the reference attempt")
        c.text(
            QRectF(M, c.y, W, 14),
            f"This attempt {result.mean:.2f}, reference {reference.mean:.2f} ({result.mean - reference.mean:+.2f}).",
            9,
        )
        c.y += 18

    # provenance
    c.heading("Model pack")
    rows = [
        ("Pack", str(pack.get("name", "?"))),
        ("Sport / event", " / ".join(str(pack.get(k)) for k in ("sport", "event") if pack.get(k)) or "—"),
        ("Backbone", str(pack.get("backbone", "—"))),
        ("Clip protocol", _protocol_text(pack.get("protocol")) or "—"),
    ]
    if lo_hi:
        rows.append(("Score range", f"{float(lo_hi[0]):g} – {float(lo_hi[1]):g}"))
    extra = _pack_manifest(pack)
    for key in ("description", "training", "metrics"):
        if extra.get(key):
            value = extra[key]
            if isinstance(value, dict):  # the readable top level only; the manifest has the rest
                text = ", ".join(
                    f"{k}: {_fmt_value(v)}"
                    for k, v in value.items()
                    if isinstance(v, (str, int, float)) and v not in ("", None)
                )
            else:
                text = str(value)
            if len(text) > 400:
                text = text[:397] + "…"
            if text:
                rows.append((key.replace("_", " ").capitalize(), text))
    if pack.get("weights_sha256"):
        rows.append(("Weights SHA-256", str(pack["weights_sha256"])[:16]))
    rows.append(("Label", warning or str(pack.get("label") or "—")))
    if video.get("content_hash"):
        rows.append(("Video hash", str(video["content_hash"])[:16]))
    if result.timings:
        rows.append(("Scoring time", f"{sum(float(v) for v in result.timings.values()):.1f} s"))
    for key, value in rows:
        h = max(12.0, c.text_height(value, W - 100, 8.5))
        c.need(h + 2)
        c.text(QRectF(M, c.y, 95, h), key, 8.5, bold=True, color=MUTED)
        c.text(
            QRectF(M + 100, c.y, W - 100, h + 2),
            value,
            8.5,
            wrap=True,
            color=WARN_FG if key == "Label" and warning else INK,
        )
        c.y += h + 2
    c.y += 4
    disclaimer = (
        "Scores are predictions of a machine-learning model and come with the uncertainty shown (σ). "
        "They are an aid for training and review, not an official judgement."
    )
    c.need(30)
    c.text(QRectF(M, c.y, W, 30), disclaimer, 7.5, italic=True, color=MUTED, wrap=True)


def batch_report_maker(reports: str | Path, page_size: str = "A4"):
    """A ``make_report(row, result)`` for `run_batch`: one PDF per scored video in ``reports``."""
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)

    def make(row: Any, result: Any) -> Path:
        name = row.file.replace("/", "__").rsplit(".", 1)[0] + ".pdf"
        fields = ReportFields(routine=Path(row.file).stem)
        return render_report(result, reports / name, fields=fields, page_size=page_size)

    return make


# --- the batch summary -----------------------------------------------------------------------------
def render_batch_summary(
    rows: Sequence[Any],
    metrics: dict | None,
    out: str | Path,
    *,
    page_size: str = "A4",
    title: str = "Batch summary",
    pack_name: str = "",
) -> Path:
    """A PDF ranking the scored routines, with the label metrics, scatter and CS curve when labels were given."""
    out = Path(out)
    from vatp_core import __version__

    ok = sorted((r for r in rows if r.status == "ok" and r.mean is not None), key=lambda r: -float(r.mean))
    failed = [r for r in rows if r.status != "ok"]
    pack_name = pack_name or next((r.pack for r in rows if getattr(r, "pack", "")), "")
    c = _Canvas(out, page_size, title, f"VATP Studio {__version__} · batch summary · pack {pack_name or '?'}")
    try:
        W, M = c.content_width, c.margin
        c.text(QRectF(M, c.y, W, 24), title, 19, bold=True)
        c.y += 28
        c.text(
            QRectF(M, c.y, W, 12),
            f"{len(rows)} video(s): {len(ok)} scored, {len(failed)} failed  ·  pack "
            f"{pack_name or '?'}  ·  {date.today().isoformat()}",
            9,
            color=MUTED,
        )
        c.y += 16
        if metrics:
            c.heading("Agreement with the labels", keep_with=200)
            c.text(
                QRectF(M, c.y, W, 14),
                f"n = {metrics['n']}    Spearman ρ = {metrics['spearman']:.3f}    "
                f"R-ℓ2 = {metrics['rl2']:.3f}    MSE = {metrics['mse']:.3f}    MAE = {metrics.get('mae', 0):.3f}",
                10,
                bold=True,
            )
            c.y += 18
            c.need(180)
            half = (W - 12) / 2
            sc = metrics.get("scatter") or {}
            if sc.get("pred"):
                draw_scatter(c, QRectF(M, c.y, half, 170), list(sc["pred"]), list(sc["true"]))
            cs = metrics.get("cs_curve") or {}
            if cs.get("alpha"):
                draw_lines(
                    c,
                    QRectF(M + half + 12, c.y, half, 170),
                    [("share with |error| ≤ α", list(cs["alpha"]), list(cs["share"]), ACCENT, False)],
                    "error threshold α",
                    "share of videos",
                    y_range=(0.0, 1.02),
                )
            c.y += 176
        c.heading("Ranking")
        cols = [
            ("Rank", 34),
            ("Video", W - 34 - 70 - 50 - 60 - 55),
            ("Score μ", 70),
            ("σ", 50),
            ("True", 60),
            ("|error|", 55),
        ]
        row_h = 13.0

        c.table_header(cols, row_h)
        for k, r in enumerate(ok):
            if c.y + row_h > c.bottom:
                c.new_page()
                c.table_header(cols, row_h)
            if k % 2 == 0:
                c.painter.setPen(Qt.PenStyle.NoPen)
                c.painter.setBrush(QBrush(QColor("#f5f7f9")))
                c.painter.drawRect(QRectF(M, c.y, W, row_h))
            err = abs(r.mean - r.true_score) if r.true_score is not None else None
            vals = [
                str(k + 1),
                r.file,
                f"{r.mean:.2f}",
                f"{r.std:.2f}" if r.std is not None else "",
                f"{r.true_score:.2f}" if r.true_score is not None else "",
                f"{err:.2f}" if err is not None else "",
            ]
            x = M
            for (_head, w), v in zip(cols, vals):
                c.text(
                    QRectF(x, c.y, w - 4, row_h), v, 8, align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                )
                x += w
            c.y += row_h
        if failed:
            c.heading("Videos that could not be scored")
            for r in failed:
                h = max(12.0, c.text_height(f"{r.file}: {r.error}", W, 8))
                c.need(h + 2)
                c.text(QRectF(M, c.y, W, h + 2), f"{r.file}: {r.error}", 8, color=WARN_FG, wrap=True)
                c.y += h + 2
    finally:
        c.finish()
    return out


# --- GUI: File → Export report… -------------------------------------------------------------------
class ReportOptionsDialog(QDialog):
    """Athlete, routine, date, notes, paper size and an optional reference attempt for the report."""

    def __init__(self, parent: QWidget | None, result: Any, reference: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.result = result
        self.open_reference = reference
        form = QFormLayout(self)
        self.title_edit = QLineEdit(ReportFields.title)
        self.athlete_edit = QLineEdit()
        self.athlete_edit.setPlaceholderText("athlete's name")
        self.routine_edit = QLineEdit(Path(result.video_name).stem if result is not None else "")
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText("notes for the athlete (optional)")
        self.notes_edit.setFixedHeight(60)
        self.page_combo = QComboBox()
        self.page_combo.addItems(list(PAGE_SIZES))
        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("optional: result JSON of an earlier attempt")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_reference)
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.reference_edit)
        ref_row.addWidget(browse)
        form.addRow("Title", self.title_edit)
        form.addRow("Athlete", self.athlete_edit)
        form.addRow("Routine", self.routine_edit)
        form.addRow("Date", self.date_edit)
        form.addRow("Notes", self.notes_edit)
        form.addRow("Paper", self.page_combo)
        self.reference_check = QCheckBox()
        if reference is not None:
            self.reference_check.setText(f"the other open attempt: {reference.video_name} ({reference.mean:.2f})")
            self.reference_check.setChecked(True)
            form.addRow("Compare with", self.reference_check)
            form.addRow("or a file", ref_row)
        else:
            form.addRow("Compare with", ref_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @Slot()
    def _browse_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference attempt", "", "VATP results (*.json);;All files (*)")
        if path:
            self.reference_edit.setText(path)

    def fields(self) -> ReportFields:
        return ReportFields(
            title=self.title_edit.text().strip() or ReportFields.title,
            athlete=self.athlete_edit.text().strip(),
            routine=self.routine_edit.text().strip(),
            date=self.date_edit.date().toString("yyyy-MM-dd"),
            notes=self.notes_edit.toPlainText().strip(),
        )

    def page_size(self) -> str:
        return self.page_combo.currentText()

    def reference(self) -> Any:
        """The reference attempt's ScoreResult, or None when the field is empty."""
        text = self.reference_edit.text().strip()
        if not text:
            return self.open_reference if self.reference_check.isChecked() else None
        from vatp_core.result import ScoreResult

        return ScoreResult.from_json(text)


def export_report_dialog(
    parent: Any, result: Any, video_path: str | Path | None = None, reference: Any = None
) -> Path | None:
    """File → Export report…: ask for the fields and a file name, write the PDF; None when cancelled.

    ``reference`` (e.g. the other attempt open in the comparison tab) is offered, ticked, as the attempt to compare with.
    """
    from vatp_core.errors import VATPError

    if result is None:
        QMessageBox.information(parent, "Export report", "Score a video first: the report is made from its result.")
        return None
    dlg = ReportOptionsDialog(parent, result, reference)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    default = Path(str((result.video or {}).get("path") or result.video_name)).with_suffix(".report.pdf")
    path, _ = QFileDialog.getSaveFileName(parent, "Save report", str(default), "PDF (*.pdf)")
    if not path:
        return None
    path = Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
    try:
        return render_report(
            result,
            path,
            fields=dlg.fields(),
            reference=dlg.reference(),
            page_size=dlg.page_size(),
            video_path=video_path,
        )
    except (VATPError, OSError, ValueError) as exc:
        QMessageBox.warning(parent, "Export report", f"The report could not be written:\n{exc}")
        return None
