"""The timeline under the player (pyqtgraph): frame ruler, sub-action bands, attention heat rows, playhead.

Rows, top to bottom: one band row with the parsed sub-actions (coloured, named), then one heat row per
sub-action showing the ParseFormer's attention over the clips, tinted with that sub-action's colour.
The playhead follows the player; clicking or dragging on the timeline asks the player to seek. The
mouse wheel zooms and dragging the ruler pans along the frames (x only).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from vatp_core.time_format import clock

from .colors import subaction_color

pg.setConfigOptions(antialias=False, useOpenGL=False)  # raster painting: fast and identical offscreen

BAND_ROW = 0.0
HEAT_TOP = 1.15
MAX_HEAT_COLUMNS = 4000
_BACKGROUND = np.array([24, 24, 28], np.float32)


def attention_image(
    attention: list[list[float]],
    clip_ranges: list[list[int]],
    n_frames: int,
    colors: list[QColor],
    columns: int | None = None,
) -> np.ndarray:
    """RGB image (S, columns, 3): each row the sub-action's attention over the frames, per-row normalised."""
    att = np.asarray(attention, np.float32)
    if att.ndim != 2 or att.size == 0 or n_frames <= 0:
        return np.zeros((0, 0, 3), np.uint8)
    s_count, _ = att.shape
    columns = columns or min(n_frames, MAX_HEAT_COLUMNS)
    per_frame = np.zeros((s_count, columns), np.float32)
    scale = columns / n_frames
    for j, (first, last) in enumerate(clip_ranges[: att.shape[1]]):
        a = int(np.floor(first * scale))
        b = max(a + 1, int(np.ceil((last + 1) * scale)))
        per_frame[:, a:b] = np.maximum(per_frame[:, a:b], att[:, j : j + 1])
    peak = per_frame.max(axis=1, keepdims=True)
    strength = np.divide(per_frame, peak, out=np.zeros_like(per_frame), where=peak > 0)[..., None]
    tint = np.array([[c.red(), c.green(), c.blue()] for c in colors[:s_count]], np.float32)[:, None, :]
    img = _BACKGROUND * (1 - strength) + tint * strength
    return np.clip(img, 0, 255).astype(np.uint8)


class _RowAxis(pg.AxisItem):
    """Left axis naming the rows."""

    def __init__(self) -> None:
        super().__init__("left")
        self.setWidth(110)


class _TimeAxis(pg.AxisItem):
    """Top axis: the same frame positions labelled as time (seconds at the video's frame rate)."""

    def __init__(self, timeline: "Timeline") -> None:
        super().__init__("top")
        self._timeline = timeline

    def tickStrings(self, values, scale, spacing):
        fps = self._timeline.fps or 25.0
        out = []
        for v in values:
            seconds = max(0.0, v / fps)
            out.append(clock(seconds, 1) if seconds >= 59.95 else f"{seconds:.1f} s")
        return out


class Timeline(QWidget):
    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_frames = 0
        self.fps = 25.0
        self.result = None
        self.band_names: list[str] = []
        self.band_ranges: list[tuple[int, int]] = []
        self._band_items: list = []
        self._moving_playhead = False

        self.left_axis = _RowAxis()
        self.plot = pg.PlotWidget(axisItems={"left": self.left_axis, "top": _TimeAxis(self)}, background=(24, 24, 28))
        self.plot.showAxis("top")
        self.plot.setMinimumHeight(190)
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "frame")
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        self.view = self.plot.getViewBox()
        self.view.invertY(True)
        self.view.setMouseEnabled(x=True, y=False)
        self.view.setDefaultPadding(0.0)

        self.heat = pg.ImageItem()
        self.heat.setZValue(-10)
        self.plot.addItem(self.heat)
        self.playhead = pg.InfiniteLine(
            pos=0, angle=90, movable=True, pen=pg.mkPen("#FFD400", width=2), hoverPen=pg.mkPen("#FFFFFF", width=3)
        )
        self.playhead.setZValue(100)
        self.plot.addItem(self.playhead)
        self.playhead.sigPositionChanged.connect(self._on_playhead_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._set_rows([])

    # --- content -----------------------------------------------------------------------------
    def set_video(self, n_frames: int, fps: float) -> None:
        """A new video: ruler only, until a result arrives."""
        self.n_frames, self.fps = max(int(n_frames), 0), float(fps or 25.0)
        self.set_result(None)
        self.view.setLimits(xMin=-0.5, xMax=max(self.n_frames, 1) - 0.5, minXRange=min(10, max(self.n_frames, 1)))
        self.show_all()

    def set_result(self, result) -> None:
        """Draw the sub-action bands and attention rows of a ScoreResult (None clears them)."""
        for item in self._band_items:
            self.plot.removeItem(item)
        self._band_items = []
        self.band_names, self.band_ranges = [], []
        self.result = result
        if result is None:
            self.heat.clear()
            self._set_rows([])
            return
        names = list(result.subaction_names)
        colors = [subaction_color(i) for i in range(len(names))]
        font = QFont()
        font.setBold(True)
        for seg in result.segments:
            color = subaction_color(seg.index, 200)
            rect = pg.QtWidgets.QGraphicsRectItem(
                QRectF(seg.start_frame - 0.5, BAND_ROW + 0.08, seg.end_frame - seg.start_frame + 1, 0.84)
            )
            rect.setBrush(color)
            rect.setToolTip(
                f"{seg.name}: frames {seg.start_frame}–{seg.end_frame} "
                f"({seg.start_time:.2f}–{seg.end_time:.2f} s), contribution {seg.contribution:+.2f}"
            )
            rect.setPen(QPen(color.darker(150), 0))
            self.plot.addItem(rect)
            label = pg.TextItem(seg.name, color="#101010", anchor=(0.5, 0.5))
            label.setFont(font)
            label.setPos((seg.start_frame + seg.end_frame) / 2, BAND_ROW + 0.5)
            self.plot.addItem(label)
            self._band_items += [rect, label]
            self.band_names.append(seg.name)
            self.band_ranges.append((seg.start_frame, seg.end_frame))
        image = attention_image(result.attention, result.clip_ranges, self.n_frames, colors)
        if image.size:
            self.heat.setImage(np.ascontiguousarray(image.transpose(1, 0, 2)), levels=(0, 255))
            self.heat.setRect(QRectF(-0.5, HEAT_TOP, self.n_frames, image.shape[0]))
        else:
            self.heat.clear()
        self._set_rows(names)

    def _set_rows(self, names: list[str]) -> None:
        ticks = [(BAND_ROW + 0.5, "sub-actions")] + [
            (HEAT_TOP + i + 0.5, f"{name[:14]}") for i, name in enumerate(names)
        ]
        self.left_axis.setTicks([ticks, []])
        bottom = HEAT_TOP + max(len(names), 1)
        self.view.setLimits(yMin=-0.1, yMax=bottom + 0.1)
        self.view.setYRange(-0.05, bottom + 0.05, padding=0)

    def show_all(self) -> None:
        if self.n_frames:
            self.view.setXRange(-0.5, self.n_frames - 0.5, padding=0)

    # --- playhead ----------------------------------------------------------------------------
    @Slot(int)
    def set_position(self, frame: int) -> None:
        """Move the playhead (from the player); keeps it in view when zoomed in."""
        self._moving_playhead = True
        self.playhead.setValue(frame)
        self._moving_playhead = False
        lo, hi = self.view.viewRange()[0]
        if not lo <= frame <= hi and self.n_frames:
            width = hi - lo
            start = min(max(frame - width * 0.1, -0.5), self.n_frames - 0.5 - width)
            self.view.setXRange(start, start + width, padding=0)

    @property
    def position(self) -> int:
        return int(round(self.playhead.value()))

    def _clamp(self, x: float) -> int:
        return max(0, min(int(round(x)), max(self.n_frames - 1, 0)))

    @Slot(object)
    def _on_playhead_moved(self, line) -> None:
        if not self._moving_playhead and self.n_frames:
            self.seek_requested.emit(self._clamp(self.playhead.value()))

    @Slot(object)
    def _on_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.n_frames:
            return
        pos: QPointF = self.view.mapSceneToView(event.scenePos())
        self.seek_requested.emit(self._clamp(pos.x()))

    def seek_to_x(self, x: float) -> None:
        """Seek as a click at frame position ``x`` would (also used by tests)."""
        self.seek_requested.emit(self._clamp(x))
