"""QPainter backend of vatp_core.charts: a `Chart` painted as vector paths on a report page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen

from vatp_core.charts import Chart

from .canvas import GRID, INK, MUTED, Canvas, qcolor


@dataclass
class Axes:
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

    def polyline(self, xs: Sequence[float], ys: Sequence[float]) -> QPainterPath:
        path = QPainterPath()
        for i, (x, y) in enumerate(zip(xs, ys)):
            if i == 0:
                path.moveTo(self.pt(x, y))
            else:
                path.lineTo(self.pt(x, y))
        return path


def _pen(color: QColor, width: float, dashed: bool = False) -> QPen:
    pen = QPen(color, width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def draw_axes(c: Canvas, rect: QRectF, chart: Chart) -> Axes:
    """Frame, grid, ticks and labels; returns the mapping for the plot area inside ``rect``."""
    xa, ya = chart.x, chart.y
    left = 30 if ya.ticks else 8
    area = QRectF(rect.left() + left, rect.top() + 4, rect.width() - left - 6, rect.height() - 4 - 24)
    ax = Axes(area, xa.lo, xa.hi, ya.lo, ya.hi)
    p = c.painter
    center_top = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    for t, label in zip(xa.ticks, xa.tick_labels):
        if not xa.categorical:
            p.setPen(QPen(GRID, 0.5))  # set every time: drawing the tick label changes the pen
            p.drawLine(QPointF(ax.px(t), area.top()), QPointF(ax.px(t), area.bottom()))
        c.text(QRectF(ax.px(t) - 20, area.bottom() + 2, 40, 10), label, 7, color=MUTED, align=center_top)
    for t, label in zip(ya.ticks, ya.tick_labels):
        if not ya.categorical:
            p.setPen(QPen(GRID, 0.5))
            p.drawLine(QPointF(area.left(), ax.py(t)), QPointF(area.right(), ax.py(t)))
        c.text(
            QRectF(rect.left(), ax.py(t) - 5, left - 3, 10),
            label,
            7,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        )
    p.setPen(QPen(MUTED, 0.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(area)
    if xa.label:
        c.text(QRectF(area.left(), area.bottom() + 12, area.width(), 10), xa.label, 7.5, color=MUTED, align=center_top)
    if ya.label and ya.ticks:
        p.save()
        p.translate(rect.left() - 2, area.center().y())
        p.rotate(-90)
        c.text(QRectF(-area.height() / 2, -1, area.height(), 10), ya.label, 7.5, color=MUTED, align=center_top)
        p.restore()
    return ax


def draw_chart(c: Canvas, rect: QRectF, chart: Chart) -> Axes:
    """Axes, ±σ bands, reference lines, series and legend of ``chart`` inside ``rect``."""
    ax = draw_axes(c, rect, chart)
    p = c.painter
    p.save()
    p.setClipRect(ax.rect.adjusted(-1, -1, 1, 1))
    for band in chart.bands:
        path = QPainterPath()
        outline = band.outline()
        path.moveTo(ax.pt(*outline[0]))
        for x, y in outline[1:]:
            path.lineTo(ax.pt(x, y))
        path.closeSubpath()
        p.fillPath(path, QBrush(qcolor(band.color, band.alpha)))
    for line in chart.lines:
        p.setPen(_pen(QColor(line.color), 0.8, line.dashed))
        p.drawLine(ax.pt(line.x0, line.y0), ax.pt(line.x1, line.y1))
    for s in chart.series:
        color = QColor(s.color)
        if s.style == "points":
            p.setPen(QPen(color.darker(130), 0.5))
            p.setBrush(QBrush(qcolor(s.color, 0.6)))
            for x, y in zip(s.x, s.y):
                p.drawEllipse(ax.pt(x, y), 2.2, 2.2)
            continue
        p.setPen(_pen(color, 1.6, s.dashed))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(ax.polyline(*s.path()))
    p.restore()
    entries = chart.legend_entries()
    x = ax.rect.left() + 6 if chart.legend == "upper left" else ax.rect.right() - 150
    y = ax.rect.top() + 4 if chart.legend == "upper left" else ax.rect.bottom() - 4 - 11 * len(entries)
    for label, color, dashed in entries:
        c.painter.setPen(_pen(QColor(color), 1.6, dashed))
        c.painter.drawLine(QPointF(x, y + 5), QPointF(x + 16, y + 5))
        c.text(QRectF(x + 20, y, 200, 10), label, 7.5, color=INK)
        y += 11
    return ax
