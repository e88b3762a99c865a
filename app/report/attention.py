"""The attention strip of a report: sub-action bands over the timeline, one heat row per sub-action."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen

from vatp_core import palette
from vatp_core.charts import nice_ticks, tick_labels

from .canvas import GRID, INK, MUTED, Canvas, subaction_qcolor


def draw_attention_strip(c: Canvas, rect: QRectF, result: Any) -> None:
    """Sub-action bands over the timeline, then one heat row per sub-action (the ParseFormer attention)."""
    n_frames = result.video.n_frames
    ranges = [tuple(r) for r in (result.clip_ranges or [])]
    if ranges:
        n_frames = max(n_frames, max(int(b) for _, b in ranges) + 1)
    n_frames = max(n_frames, 1)
    fps = result.video.fps or 25.0
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
    p.setBrush(QBrush(QColor(palette.BAND_BG)))
    p.drawRect(QRectF(area.left(), area.top(), area.width(), band_h))
    for seg in result.segments or []:
        color = subaction_qcolor(seg.index)
        r = QRectF(fx(seg.start_frame), area.top(), max(0.6, fx(seg.end_frame + 1) - fx(seg.start_frame)), band_h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(color))
        p.drawRect(r)
        c.text(
            r.adjusted(2, 0, -1, 0),
            seg.name,
            6.5,
            color=QColor(palette.text_on(palette.subaction_color(seg.index))),
            bold=True,
            align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        )
    # heat rows (one colour scale for all rows, so a flat row reads as flat, a peaked one as peaked)
    peak = max((max(row) for row in att if row), default=0.0)
    y = area.top() + band_h + 4
    for s, row in enumerate(att):
        color = subaction_qcolor(s)
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
    ticks = nice_ticks(0.0, duration, n=8)
    for t, label in zip(ticks, tick_labels(ticks)):
        x = fx(t * fps)
        p.setPen(QPen(MUTED, 0.5))
        p.drawLine(QPointF(x, y), QPointF(x, y + 3))
        c.text(
            QRectF(x - 20, y + 3, 40, 10),
            label,
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
