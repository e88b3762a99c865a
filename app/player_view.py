"""The video picture: draws the current frame fitted to the widget or at 100 % (drag to pan)."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class PlayerView(QWidget):
    """Paints one frame. The wheel steps frames (one notch = one frame), as in Kinovea."""

    step_requested = Signal(int)
    painted = Signal(int, float)  # frame index, time.perf_counter() when painted (benchmarks)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.image: QImage | None = None
        self.index = -1
        self.fit = True
        self._pan = QPointF(0, 0)
        self._drag_from: QPointF | None = None
        self._wheel_accum = 0
        self._drawing = False  # a press went to the overlay: moves and the release follow it
        self.overlay = None  # an app.drawings.overlay.DrawingOverlay: drawings painted and edited on the frame
        self.setMouseTracking(True)

    def set_overlay(self, overlay) -> None:
        self.overlay = overlay
        overlay.changed.connect(self.update)

    def show_frame(self, index: int, image: QImage) -> None:
        self.index, self.image = index, image
        if self.overlay is not None:
            self.overlay.set_frame(index)
        self.update()

    def clear(self) -> None:
        self.index, self.image = -1, None
        self.update()

    def set_fit(self, fit: bool) -> None:
        """Zoom to fit (True) or show pixels 1:1 (False)."""
        self.fit = fit
        self._pan = QPointF(0, 0)
        self.update()

    def target_rect(self) -> QRectF:
        """Where the frame is drawn in widget coordinates."""
        if self.image is None:
            return QRectF()
        iw, ih, ww, wh = self.image.width(), self.image.height(), self.width(), self.height()
        if self.fit:
            scale = min(ww / iw, wh / ih) if iw and ih else 1.0
        else:
            scale = 1.0
        w, h = iw * scale, ih * scale
        return QRectF((ww - w) / 2 + self._pan.x(), (wh - h) / 2 + self._pan.y(), w, h)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 16, 16))
        if self.image is not None:
            if self.fit:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(self.target_rect(), self.image)
            if self.overlay is not None:
                self.overlay.paint(painter, self.target_rect())
        painter.end()
        if self.image is not None:
            self.painted.emit(self.index, time.perf_counter())

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel_accum += event.angleDelta().y()
        steps = int(self._wheel_accum / 120)
        if steps:
            self._wheel_accum -= steps * 120
            self.step_requested.emit(-steps)  # wheel down = forward
        event.accept()

    def _video_point(self, event) -> list[float]:
        from .drawings.overlay import view_to_video

        return view_to_video(event.position(), self.target_rect(), self.overlay.drawings.space)

    def _tolerance(self) -> float:
        from .drawings.overlay import HIT_TOLERANCE

        rect, (sw, _) = self.target_rect(), self.overlay.drawings.space
        return HIT_TOLERANCE * (sw / rect.width() if rect.width() > 0 and sw else 1.0)

    def mousePressEvent(self, event) -> None:
        if self.overlay is not None and self.image is not None and event.button() == Qt.MouseButton.LeftButton:
            if self.overlay.press(self._video_point(event), self._tolerance()):
                self._drawing = True
                event.accept()
                return
        if not self.fit and event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self.overlay is not None and self.image is not None:
            self.overlay.move(self._video_point(event), self._drawing)
            if self._drawing:
                return
        if self._drag_from is not None:
            self._pan += event.position() - self._drag_from
            self._drag_from = event.position()
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._drawing and self.overlay is not None:
            self._drawing = False
            self.overlay.release(self._video_point(event))
        self._drag_from = None
        super().mouseReleaseEvent(event)
