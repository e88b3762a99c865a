"""Paints drawings with QPainter: the same code for the player, the exported PNG frame and the PDF's key frames.

Drawings are stored in upright display pixels of the video (`vatp_core.drawings`); ``target`` is the
rectangle the frame occupies on the device, so the shapes land on the same spot at any zoom or size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen

from vatp_core.drawings import Drawing

ARROW_HEAD = 4.0  # arrow head length in line thicknesses
SELECTED = QColor("#35C2FF")


def _mapper(target: QRectF, space: tuple[int, int]):
    sw, sh = space
    sx = target.width() / sw if sw else 1.0
    sy = target.height() / sh if sh else 1.0

    def to_device(p) -> QPointF:
        return QPointF(target.x() + p[0] * sx, target.y() + p[1] * sy)

    return to_device, (sx + sy) / 2


def paint_drawings(
    painter: QPainter,
    drawings: Iterable[Drawing],
    target: QRectF,
    space: tuple[int, int],
    selected: str | None = None,
) -> None:
    """Draw ``drawings`` (points in ``space`` pixels) into ``target``; the ``selected`` id gets handles."""
    to_device, scale = _mapper(target, space)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for d in drawings:
        _paint_one(painter, d, to_device, scale, d.id == selected)
    painter.restore()


def _paint_one(painter: QPainter, d: Drawing, to_device, scale: float, selected: bool) -> None:
    width = max(1.0, d.thickness * max(scale, 0.35))
    color = QColor(d.color)
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    pts = [to_device(p) for p in d.points]
    if d.kind in ("line", "arrow"):
        painter.drawLine(pts[0], pts[1])
        if d.kind == "arrow":
            _arrow_head(painter, pts[0], pts[1], width, color)
    elif d.kind == "angle":
        painter.drawLine(pts[1], pts[0])
        painter.drawLine(pts[1], pts[2])
        _angle_arc(painter, d, pts, width)
        _label(painter, d.label(), pts[1] + QPointF(10, -10), color, width)
    elif d.kind == "circle":
        r = math.hypot(pts[1].x() - pts[0].x(), pts[1].y() - pts[0].y())
        painter.drawEllipse(pts[0], r, r)
    elif d.kind == "text":
        _label(painter, d.text, pts[0], color, width)
    elif d.kind == "freehand":
        path = QPainterPath(pts[0])
        for p in pts[1:]:
            path.lineTo(p)
        painter.drawPath(path)
    if selected:
        painter.setPen(QPen(SELECTED, 1.5))
        painter.setBrush(SELECTED)
        for p in pts if d.kind != "freehand" else pts[:1] + pts[-1:]:
            painter.drawRect(QRectF(p.x() - 3.5, p.y() - 3.5, 7, 7))


def _arrow_head(painter: QPainter, a: QPointF, b: QPointF, width: float, color: QColor) -> None:
    angle = math.atan2(b.y() - a.y(), b.x() - a.x())
    size = ARROW_HEAD * width + 6
    left = QPointF(b.x() - size * math.cos(angle - 0.45), b.y() - size * math.sin(angle - 0.45))
    right = QPointF(b.x() - size * math.cos(angle + 0.45), b.y() - size * math.sin(angle + 0.45))
    painter.save()
    painter.setBrush(color)
    painter.drawPolygon([b, left, right])
    painter.restore()


def _angle_arc(painter: QPainter, d: Drawing, pts: list[QPointF], width: float) -> None:
    o = pts[1]
    a1 = math.degrees(math.atan2(-(pts[0].y() - o.y()), pts[0].x() - o.x()))
    a2 = math.degrees(math.atan2(-(pts[2].y() - o.y()), pts[2].x() - o.x()))
    span = (a2 - a1) % 360.0
    if span > 180.0:
        span -= 360.0
    r = 18 + 2 * width
    painter.drawArc(QRectF(o.x() - r, o.y() - r, 2 * r, 2 * r), int(a1 * 16), int(span * 16))


def _label(painter: QPainter, text: str, at: QPointF, color: QColor, width: float) -> None:
    if not text:
        return
    painter.save()
    font = QFont(painter.font())
    font.setPointSizeF(max(9.0, 4.0 + 2.2 * width))
    font.setBold(True)
    painter.setFont(font)
    rect = painter.fontMetrics().boundingRect(text).toRectF().translated(at)
    rect.adjust(-4, -2, 4, 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRoundedRect(rect, 3, 3)
    painter.setPen(color)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def render_frame_with_drawings(frame_rgb, drawings: Iterable[Drawing], space: tuple[int, int]) -> QImage:
    """The frame (RGB array, any size) with the drawings painted on it, as a QImage of the frame's size."""
    from ..frame_loader import rgb_to_qimage

    image = rgb_to_qimage(frame_rgb).convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    paint_drawings(painter, drawings, QRectF(0, 0, image.width(), image.height()), space)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    """The image encoded as PNG in memory (written to disk through vatp_core.atomic by the caller)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def frame_png(video, frame: int, out, store=None):
    """Frame ``frame`` of ``video`` at full size with its drawings, written as a PNG at ``out``."""
    from pathlib import Path

    from vatp_core.atomic import atomic_write
    from vatp_core.drawings import DrawingStore
    from vatp_core.video import open_video

    with open_video(video, prefetch=False) as reader:
        if not 0 <= int(frame) < len(reader):
            from vatp_core.errors import VATPError

            raise VATPError(f"Frame {frame} is outside the video (frames 0–{len(reader) - 1}).")
        rgb = reader.frame(int(frame))
        size = reader.size
    drawings = (store or DrawingStore()).load(video).in_space(*size)
    image = render_frame_with_drawings(rgb, drawings.on_frame(int(frame)), size)
    out = Path(out)
    atomic_write(out, png_bytes(image))
    return out, len(drawings.on_frame(int(frame)))
